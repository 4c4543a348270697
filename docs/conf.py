"""Sphinx configuration for the anyiohttp documentation (builds offline)."""

project = "anyiohttp"
author = "the anyiohttp developers"
extensions = ["sphinx.ext.autodoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
