"""Development helpers: not part of the spamcore package."""
