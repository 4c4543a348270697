"""``anyiohttp.multipart``: the names aiohttp users import from ``aiohttp.multipart``."""

from .http.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    MultipartResponseWrapper,
    content_disposition_filename,
    parse_content_disposition,
)
from .http.payload import MultipartWriter, content_disposition_header

__all__ = [
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "MultipartReader",
    "MultipartResponseWrapper",
    "MultipartWriter",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
]
