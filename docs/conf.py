"""Sphinx configuration for the anyiohttp documentation (builds offline)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "anyiohttp"
author = "the anyiohttp developers"
extensions = ["sphinx.ext.autodoc", "public_api"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
# The reference documents each object once (public_api.py), yet the same
# attribute name lives on several classes (WSMessage.type, MimeType.type):
# a type hint naming ``type`` would warn that it could mean any of them.
suppress_warnings = ["ref.python"]
