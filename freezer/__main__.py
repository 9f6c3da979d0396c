"""`python -m freezer` is the `freeze` command."""
from .cli import main

main()
