"""anyiohttp: aiohttp's HTTP client/server framework on anyio.

One application runs unchanged on asyncio and on trio. The server lives in
``anyiohttp.web``; this module carries the shared types and, as the client
lands, the client API.
"""

from .http.exceptions import HttpProcessingError

__version__ = "0.1.0.dev0"

__all__ = ["HttpProcessingError", "__version__"]
