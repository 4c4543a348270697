"""``anyiohttp.streams``: the names aiohttp users import from ``aiohttp.streams``."""

from .http.streams import EMPTY_PAYLOAD, EmptyStreamReader, EofStream, StreamReader

__all__ = ["EMPTY_PAYLOAD", "EmptyStreamReader", "EofStream", "StreamReader"]
