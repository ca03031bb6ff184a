"""Screens of the app shell, one module per screen area (``office``, ``units``, ``home``).

How a page joins the shell is described in ``workflows/site.py``.
"""
