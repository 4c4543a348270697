"""Reading multipart bodies (RFC 7578 form-data, RFC 2046 multipart): sans-I/O.

:func:`parse_multipart` splits a whole body (already bounded by
``client_max_size``) into parts. A streaming reader is planned; this one
serves ``request.post()`` for ``multipart/form-data`` forms.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from multidict import CIMultiDict, CIMultiDictProxy

from ..helpers import parse_content_type
from .exceptions import BadHttpMessage

__all__ = ("BodyPart", "FileField", "parse_multipart")


@dataclass(frozen=True, slots=True)
class FileField:
    """An uploaded file of a form: as ``request.post()`` returns it."""

    name: str
    filename: str
    file: IO[bytes]
    content_type: str
    headers: CIMultiDictProxy[str]


@dataclass(frozen=True, slots=True)
class BodyPart:
    """One part of a multipart body: its headers and its bytes."""

    headers: CIMultiDictProxy[str]
    data: bytes

    @property
    def name(self) -> str | None:
        """The ``name`` of the Content-Disposition header."""
        return _disposition(self.headers)[1].get("name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` of the Content-Disposition header."""
        return _disposition(self.headers)[1].get("filename")


def _disposition(headers: CIMultiDictProxy[str]) -> tuple[str, dict[str, str]]:
    return parse_content_type(headers.get("Content-Disposition", ""))


def parse_multipart(body: bytes, content_type: str, *, max_headers: int = 128) -> list[BodyPart]:
    """The parts of ``body``, whose Content-Type carries the boundary.

    Raises BadHttpMessage for a body that does not follow the format.
    """
    boundary = parse_content_type(content_type)[1].get("boundary")
    if not boundary:
        raise BadHttpMessage("multipart body without a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise BadHttpMessage("multipart body without its boundary")
    parts: list[BodyPart] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts  # the close delimiter
        if not chunk.startswith(b"\r\n"):
            raise BadHttpMessage("multipart boundary not followed by CRLF")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            if chunk[2:].startswith(b"\r\n"):  # a part without headers
                head, data = b"", chunk[4:]
            else:
                raise BadHttpMessage("multipart part without the blank line after its headers")
        if not data.endswith(b"\r\n"):
            raise BadHttpMessage("multipart part not ended by CRLF before the boundary")
        headers: CIMultiDict[str] = CIMultiDict()
        lines = head.split(b"\r\n") if head else []
        if len(lines) > max_headers:
            raise BadHttpMessage("too many headers in a multipart part")
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon or not name.strip():
                raise BadHttpMessage(f"invalid multipart part header {line[:100]!r}")
            headers.add(name.decode("latin-1").strip(), value.decode("utf-8", "replace").strip())
        parts.append(BodyPart(CIMultiDictProxy(headers), data[:-2]))
    raise BadHttpMessage("multipart body without its closing boundary")


def form_value(part: BodyPart, default_charset: str = "utf-8") -> str | FileField:
    """A form field: text, or a FileField for a part with a filename."""
    name = part.name or ""
    filename = part.filename
    content_type = part.headers.get("Content-Type", "")
    if filename is not None:
        return FileField(
            name=name,
            filename=filename,
            file=io.BytesIO(part.data),
            content_type=content_type or "application/octet-stream",
            headers=part.headers,
        )
    charset = parse_content_type(content_type)[1].get("charset", default_charset)
    return part.data.decode(charset)
