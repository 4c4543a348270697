"""``anyiohttp.multipart``: the names aiohttp users import from ``aiohttp.multipart``."""

from .http.multipart import BodyPartReader, MultipartReader
from .http.payload import MultipartWriter, content_disposition_header

__all__ = ["BodyPartReader", "MultipartReader", "MultipartWriter", "content_disposition_header"]
