"""Entry script of the `widgets` CLI: a click group whose commands live in a small package."""

from widgets.cli import main

if __name__ == "__main__":
    main()
