"""``python -m anyiohttp.web module:factory``: see :mod:`anyiohttp.web.cli`."""

from .cli import main

main()
