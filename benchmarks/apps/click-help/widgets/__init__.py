"""widgets: keep track of a small stock of parts from the command line."""

__version__ = "1.4.0"
