"""Screens of the app; `registry.py` lists the top-level ones (modes) with their number keys."""
