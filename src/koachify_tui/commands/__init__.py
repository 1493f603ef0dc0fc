"""Typer sub-commands of `koachify`, one module per noun; cli.py registers them."""
