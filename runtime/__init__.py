"""Run-time importer."""
