"""Koachify TUI: a local, keyboard-driven CRM for coaches."""

__version__ = "0.1.0"
