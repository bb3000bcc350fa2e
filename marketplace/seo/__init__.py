"""What search engines and chat apps read: robots.txt, the sitemaps, schema.org JSON-LD, noindex on
private pages."""
