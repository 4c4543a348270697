"""Reading multipart bodies (RFC 7578 form-data, RFC 2046 multipart): sans-I/O.

:class:`MultipartReader` streams the parts of a body (``request.multipart()``);
:func:`iter_multipart` and :func:`parse_multipart` split a whole body (already bounded by
``client_max_size``) for ``request.post()``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from ..helpers import parse_content_type
from .exceptions import BadHttpMessage
from .streams import StreamReader

__all__ = (
    "BodyPart",
    "BodyPartReader",
    "FileField",
    "MultipartReader",
    "iter_multipart",
    "parse_multipart",
)


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
    return list(iter_multipart(body, content_type, max_headers=max_headers))


def iter_multipart(body: bytes, content_type: str, *, max_headers: int = 128) -> Iterator[BodyPart]:
    """The parts of ``body`` one by one, each parsed only when it is asked for.

    A caller that limits the number of parts stops early, instead of having
    every part of a body made of tiny parts split and parsed first. Raises
    BadHttpMessage where the body stops following the format.
    """
    boundary = parse_content_type(content_type)[1].get("boundary")
    if not boundary:
        raise BadHttpMessage("multipart body without a boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    pos = body.find(delimiter)
    if pos < 0:
        raise BadHttpMessage("multipart body without its boundary")
    pos += len(delimiter)
    while pos >= 0:
        end = body.find(delimiter, pos)
        chunk = body[pos:] if end < 0 else body[pos:end]
        pos = end if end < 0 else end + len(delimiter)
        if chunk.startswith(b"--"):
            return  # the close delimiter
        yield _parse_part(chunk, max_headers)
    raise BadHttpMessage("multipart body without its closing boundary")


def _parse_part(chunk: bytes, max_headers: int) -> BodyPart:
    """One part: what lies between two delimiters (CRLF, headers, blank line, data, CRLF)."""
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
    return BodyPart(CIMultiDictProxy(headers), data[:-2])


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


class _Buffered:
    """A StreamReader with a pushback buffer, for scanning boundaries across chunks."""

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream
        self._buffer = b""

    async def more(self) -> bool:
        data = await self._stream.readany()
        if not data:
            return False
        self._buffer += data
        return True

    async def readline(self, limit: int) -> bytes:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > limit:
                raise BadHttpMessage("multipart line too long")
            if not await self.more():
                break
        line, sep, rest = self._buffer.partition(b"\r\n")
        self._buffer = rest
        return line + sep

    def take(self, n: int) -> bytes:
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    @property
    def buffer(self) -> bytes:
        return self._buffer


class BodyPartReader:
    """One part of a streamed multipart body: headers, then its bytes on demand."""

    chunk_size = 8192

    def __init__(self, boundary: bytes, headers: CIMultiDictProxy[str], source: _Buffered) -> None:
        self.headers = headers
        self._delimiter = b"\r\n--" + boundary
        self._source = source
        self._at_eof = False

    @property
    def name(self) -> str | None:
        """The ``name`` of Content-Disposition."""
        return _disposition(self.headers)[1].get("name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` of Content-Disposition."""
        return _disposition(self.headers)[1].get("filename")

    def at_eof(self) -> bool:
        """True once the part's body was read."""
        return self._at_eof

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Up to ``size`` bytes of the part's body; b"" at its end."""
        if self._at_eof:
            return b""
        # The delimiter is CRLF--boundary: the CRLF belongs to it, so an
        # empty body is one where it comes right after the header block.
        source = self._source
        delimiter = self._delimiter
        while True:
            buffer = source.buffer
            index = buffer.find(delimiter)
            if index != -1:
                if index == 0:
                    source.take(len(delimiter))
                    self._at_eof = True
                    return b""
                return source.take(min(index, size))
            keep = len(delimiter) - 1  # a delimiter may be split across reads
            if len(buffer) > keep:
                return source.take(min(len(buffer) - keep, size))
            if not await source.more():
                raise BadHttpMessage("multipart body ended inside a part")

    async def read(self, *, decode: bool = False) -> bytes:
        """The whole body of the part."""
        chunks = []
        while chunk := await self.read_chunk():
            chunks.append(chunk)
        return b"".join(chunks)

    async def release(self) -> None:
        """Skip the rest of the part."""
        while await self.read_chunk():
            pass

    def get_charset(self, default: str) -> str:
        """The charset of the part's Content-Type."""
        return parse_content_type(self.headers.get("Content-Type"))[1].get("charset", default)

    async def text(self, *, encoding: str | None = None) -> str:
        """The body as text."""
        return (await self.read()).decode(encoding or self.get_charset("utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        """The body parsed as JSON (None when empty)."""
        data = await self.read()
        return json.loads(data.decode(encoding or self.get_charset("utf-8"))) if data else None

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """The body parsed as an urlencoded form."""
        charset = encoding or self.get_charset("utf-8")
        return parse_qsl(
            (await self.read()).decode(charset), keep_blank_values=True, encoding=charset
        )


class MultipartReader:
    """A streamed multipart body: ``async for part in reader`` (each a BodyPartReader).

    Parts are read in order; moving to the next part skips what is left of
    the current one. Nothing is buffered beyond one chunk and a boundary.
    """

    def __init__(
        self, headers: CIMultiDictProxy[str] | CIMultiDict[str], content: StreamReader
    ) -> None:
        boundary = parse_content_type(headers.get("Content-Type"))[1].get("boundary")
        if not boundary:
            raise ValueError(f"Invalid boundary {boundary!r}: Content-Type has none")
        self.headers = headers
        self._boundary = boundary.encode("latin-1")
        self._source = _Buffered(content)
        self._started = False
        self._at_eof = False
        self._last: BodyPartReader | None = None

    def at_eof(self) -> bool:
        """True after the closing boundary."""
        return self._at_eof

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    async def next(self) -> BodyPartReader | None:
        """The next part, or None after the last."""
        if self._at_eof:
            return None
        limit = 8192
        source = self._source
        if not self._started:
            self._started = True
            opening = b"--" + self._boundary
            while True:  # skip the preamble
                line = await source.readline(limit)
                if not line:
                    raise BadHttpMessage("multipart body without its boundary")
                if line.rstrip(b"\r\n") in (opening, opening + b"--"):
                    if line.rstrip(b"\r\n").endswith(b"--"):
                        self._at_eof = True
                        return None
                    break
        else:
            if self._last is not None:
                await self._last.release()
            while len(source.buffer) < 2:
                if not await source.more():
                    raise BadHttpMessage("multipart body without its closing boundary")
            after = source.take(2)
            if after == b"--":
                self._at_eof = True
                return None
            if after != b"\r\n":
                await source.readline(limit)  # transport padding up to the line end
        headers: CIMultiDict[str] = CIMultiDict()
        while True:
            line = await source.readline(limit)
            if line in (b"\r\n", b""):
                break
            name, colon, value = line.rstrip(b"\r\n").partition(b":")
            if not colon:
                raise BadHttpMessage(f"invalid multipart part header {line[:100]!r}")
            headers.add(name.decode("latin-1").strip(), value.decode("utf-8", "replace").strip())
        self._last = BodyPartReader(self._boundary, CIMultiDictProxy(headers), source)
        return self._last

    async def release(self) -> None:
        """Skip every remaining part."""
        while (part := await self.next()) is not None:
            await part.release()
