"""Sentra: the creative centres of a kelurahan (batik, anyaman, kuliner kemasan…) and their shops."""
