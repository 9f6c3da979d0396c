#!/usr/bin/env python3
"""Entry script of the inventory example: ``python app.py sample.csv``."""

import sys

from inventory.cli import main

if __name__ == "__main__":
    sys.exit(main())
