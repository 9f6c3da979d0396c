"""freeze: static bundler."""
