"""Promotion: channels that post approved listings, feeds, the artisan's share kit and attribution."""
