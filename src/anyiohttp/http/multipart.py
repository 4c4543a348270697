"""Reading multipart bodies (RFC 7578 form-data, RFC 2046 multipart).

:class:`MultipartReader` streams the parts of a body (``request.multipart()``,
``MultipartReader.from_response()``) from any stream with ``read(n)``, as
aiohttp's does; :func:`iter_multipart` and :func:`parse_multipart` split a
whole body (already bounded by ``client_max_size``) for ``request.post()``,
sans-I/O. :func:`parse_content_disposition` reads a Content-Disposition as
aiohttp does.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import io
import json
import re
import sys
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Final, Protocol
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDict, CIMultiDictProxy

from .. import hdrs
from ..helpers import parse_content_type
from .exceptions import BadHttpMessage, LineTooLong

__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPart",
    "BodyPartReader",
    "FileField",
    "MultipartFormatError",
    "MultipartReader",
    "MultipartResponseWrapper",
    "ReadableStream",
    "content_disposition_filename",
    "iter_multipart",
    "parse_content_disposition",
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


# -- Content-Disposition (RFC 6266, RFC 2231 parameters), as aiohttp reads it ------


class BadContentDispositionHeader(RuntimeWarning):
    """A Content-Disposition header that could not be parsed (warned, then ignored)."""


class BadContentDispositionParam(RuntimeWarning):
    """A Content-Disposition parameter that could not be parsed (warned, then skipped)."""


# token = 1*tchar -- RFC 9110 5.6.2 (visible ASCII but the delimiters)
_TOKEN_CHARS: Final = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('()<>@,;:\\"/[]?={}')
_ESCAPED: Final = re.compile(r"\\([\x00-\x7f])")
_CONTINUATION: Final = re.compile(r"[^*]+\*\d+\*?")


def _is_token(text: str) -> bool:
    return bool(text) and _TOKEN_CHARS.issuperset(text)


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == text[-1] == '"'


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """The disposition type (lower-cased) and parameters of a Content-Disposition value.

    Parameter names are lower-cased; ``name*`` (RFC 5987) values are decoded
    with their charset, ``name*0``/``name*1*`` continuations are kept as
    they are (see :func:`content_disposition_filename`). As aiohttp: a header
    it cannot make sense of warns ``BadContentDispositionHeader`` and gives
    ``(None, {})``; a bad parameter warns ``BadContentDispositionParam`` and
    is skipped.
    """
    if not header:
        return None, {}
    disptype, *parts = header.split(";")
    disptype = disptype.strip()
    if not _is_token(disptype):
        warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
        return None, {}
    params: dict[str, str] = {}
    while parts:
        item = parts.pop(0)
        if not item:  # a stray ";"
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            continue
        key, eq, value = item.partition("=")
        if not eq:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            return None, {}
        key = key.lower().strip()
        value = value.lstrip()
        if key in params:
            warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
            return None, {}
        if not _is_token(key):
            warnings.warn(BadContentDispositionParam(item), stacklevel=2)
            continue
        if _CONTINUATION.fullmatch(key):
            if _is_quoted(value):
                value = _unescape(value[1:-1])
            elif not _is_token(value):
                warnings.warn(BadContentDispositionParam(item), stacklevel=2)
                continue
        elif key.endswith("*"):
            # ext-value = charset "'" [ language ] "'" value-chars -- RFC 5987 3.2
            if not (_is_token(value) and value.count("'") == 2):
                warnings.warn(BadContentDispositionParam(item), stacklevel=2)
                continue
            charset, _, encoded = value.split("'", 2)
            try:
                value = unquote(encoded, charset or "utf-8", "strict")
            except (LookupError, UnicodeDecodeError):  # the charset is the peer's to name
                warnings.warn(BadContentDispositionParam(item), stacklevel=2)
                continue
        else:
            stripped = value.rstrip()
            if _is_quoted(stripped):
                value = _unescape(stripped[1:-1].lstrip("\\/"))
            elif not _is_token(value):
                # A ";" inside a quoted filename split it in two: join them back.
                joined = f"{value};{parts[0]}" if parts else ""
                if not _is_quoted(joined):
                    warnings.warn(BadContentDispositionHeader(header), stacklevel=2)
                    return None, {}
                parts.pop(0)
                value = _unescape(joined[1:-1].lstrip("\\/"))
        params[key] = value
    return disptype.lower(), params


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """The value of parameter ``name`` (``name*`` first, then ``name``, then continuations).

    Continuations ``name*0``, ``name*1`` ... (RFC 2231 3) are joined in
    order; their charset prefix, if any, decodes the result. None when the
    parameter is absent or cannot be decoded.
    """
    if not params:
        return None
    extended = f"{name}*"
    if extended in params:
        return params[extended]
    if name in params:
        return params[name]
    pieces: dict[int, str] = {}
    for key, value in params.items():
        if key.startswith(extended):
            index = key[len(extended) :].rstrip("*")
            if index.isdigit():
                pieces[int(index)] = value
    parts = []
    for number in range(len(pieces)):
        if number not in pieces:
            break
        parts.append(pieces[number])
    if not parts:
        return None
    value = "".join(parts)
    if "'" in value:
        charset, _, encoded = value.split("'", 2)
        try:
            return unquote(encoded, charset or "utf-8", "strict")
        except (LookupError, UnicodeDecodeError):
            return None
    return value


# -- streamed reading -------------------------------------------------------------


class MultipartFormatError(BadHttpMessage, ValueError):
    """A multipart body that does not follow the format.

    A ValueError, as aiohttp raises, and a 400 Bad Request when it leaves a
    handler unhandled.
    """

    def __str__(self) -> str:
        return self.message


class ReadableStream(Protocol):
    """What the multipart readers need of a body: ``read(n)``, as aiohttp's StreamReader has."""

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (at least one unless at the end); b"" at the end."""
        ...


_READ_SIZE: Final = 2**16
_LINE_LIMIT: Final = 2**17  # aiohttp's StreamReader.readline() limit


class _Source:
    """The body as the readers of one multipart body see it.

    Reads the stream with its public ``read()`` only and keeps what was read
    past a boundary in a pushback buffer of its own, so any stream with
    aiohttp's reading API serves (ours, aiohttp's, a user's). A nested
    multipart part shares its parent's source.
    """

    __slots__ = ("_eof", "_stream", "buffer")

    def __init__(self, stream: ReadableStream) -> None:
        self._stream = stream
        # bytearray: taking from the front is amortized O(1) in CPython.
        self.buffer = bytearray()
        self._eof = False

    async def fill(self) -> bool:
        """Read more into the buffer; False at the end of the stream."""
        if self._eof:
            return False
        data = await self._stream.read(_READ_SIZE)
        if not data:
            self._eof = True
            return False
        self.buffer += data
        return True

    def take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def unread(self, data: bytes) -> None:
        self.buffer[0:0] = data

    async def readline(self, limit: int = _LINE_LIMIT) -> bytes:
        """A line with its ``\\n`` (the rest at the end); LineTooLong past ``limit``."""
        scanned = 0
        while True:
            end = self.buffer.find(b"\n", scanned)
            if end >= 0:
                if end + 1 > limit:
                    raise LineTooLong(bytes(self.buffer[:100]) + b"...", limit)
                return self.take(end + 1)
            scanned = len(self.buffer)
            if scanned > limit:
                raise LineTooLong(bytes(self.buffer[:100]) + b"...", limit)
            if not await self.fill():
                return self.take(scanned)


def _source(content: ReadableStream | _Source) -> _Source:
    return content if isinstance(content, _Source) else _Source(content)


class BodyPartReader:
    """One part of a streamed multipart body: its headers, then its bytes on demand.

    As aiohttp's: ``boundary`` is the delimiter line (``b"--" + boundary``);
    ``content`` any stream with ``read(n)``. A part of a non-form-data body
    with a Content-Length is read by that length (a malformed one is a
    ValueError); others end at the next boundary.
    """

    chunk_size = 8192

    def __init__(
        self,
        boundary: bytes,
        headers: CIMultiDictProxy[str] | Mapping[str, str],
        content: ReadableStream | _Source,
        *,
        subtype: str = "mixed",
        default_charset: str | None = None,
        max_decompress_size: int = _READ_SIZE,
        client_max_size: int = sys.maxsize,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        self.headers = headers
        self._boundary = boundary
        self._source = _source(content)
        self._is_form_data = subtype == "form-data"
        self._default_charset = default_charset
        self._max_decompress_size = max_decompress_size
        self._client_max_size = client_max_size
        self._max_size_error_cls = max_size_error_cls
        # "Content-Length ... has no meaning in multipart/form-data" -- RFC 7578 4.8
        length = None if self._is_form_data else headers.get(hdrs.CONTENT_LENGTH)
        if length is not None and not (length.isascii() and length.isdigit()):
            # int() would take a sign, "_" or other digits: RFC 9110 8.6 does not.
            raise MultipartFormatError(f"invalid Content-Length: {length!r}")
        self._length = int(length) if length is not None else None
        self._read_bytes = 0
        self._started = False
        self._at_eof = False

    def __aiter__(self) -> BodyPartReader:
        return self

    async def __anext__(self) -> bytes:
        data = await self.next()
        if data is None:
            raise StopAsyncIteration
        return data

    async def next(self) -> bytes | None:
        """The whole part, or None once it was read."""
        data = await self.read()
        return bytes(data) if data else None

    @property
    def name(self) -> str | None:
        """The ``name`` of Content-Disposition (None if absent or malformed)."""
        return content_disposition_filename(self._disposition_params(), "name")

    @property
    def filename(self) -> str | None:
        """The ``filename`` of Content-Disposition (None if absent or malformed)."""
        return content_disposition_filename(self._disposition_params(), "filename")

    def _disposition_params(self) -> dict[str, str]:
        return parse_content_disposition(self.headers.get(hdrs.CONTENT_DISPOSITION))[1]

    def at_eof(self) -> bool:
        """True once the part's body was read."""
        return self._at_eof

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Up to ``size`` bytes of the part's body; b"" at its end."""
        if self._at_eof:
            return b""
        if self._length is not None:
            chunk = await self._chunk_by_length(size)
        else:
            chunk = await self._chunk_by_boundary(size)
        if self._at_eof:
            # What ends the body is the CRLF that starts the next delimiter.
            if await self._source.readline() != b"\r\n":
                raise MultipartFormatError("Reader did not read all the data or it is malformed")
        return chunk

    async def _chunk_by_length(self, size: int) -> bytes:
        assert self._length is not None
        source = self._source
        want = min(size, self._length - self._read_bytes)
        if want and not source.buffer and not await source.fill():
            self._at_eof = True  # the stream ended short: the check after says so
            return b""
        chunk = source.take(want)
        self._read_bytes += len(chunk)
        if self._read_bytes == self._length:
            self._at_eof = True
        return chunk

    async def _chunk_by_boundary(self, size: int) -> bytes:
        source = self._source
        boundary = self._boundary
        delimiter = b"\r\n" + boundary  # RFC 2046 5.1.1: the CRLF belongs to it
        if not self._started:
            self._started = True
            while len(source.buffer) < len(boundary) and await source.fill():
                pass
            if source.buffer.startswith(boundary):
                # An empty body right after the header block, whose CRLF
                # serves as the delimiter's (aiohttp takes it so too).
                source.unread(b"\r\n")
        while True:
            buffer = source.buffer
            index = buffer.find(delimiter)
            if index >= 0:
                if index <= size:
                    self._at_eof = True
                    return source.take(index)
                return source.take(size)
            # Keep what could be the start of a delimiter split across reads.
            safe = len(buffer) - len(delimiter) + 1
            if safe > 0:
                return source.take(min(safe, size))
            if not await source.fill():
                raise MultipartFormatError("multipart body ended inside a part")

    async def read(self, *, decode: bool = False) -> bytearray:
        """The whole body of the part, decoded (Content-Transfer-Encoding, Content-Encoding)
        when ``decode`` is true; over ``client_max_size`` raises ``max_size_error_cls``."""
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(self.chunk_size)
            if len(data) > self._client_max_size:
                raise self._max_size_error_cls(self._client_max_size)
        if decode:
            return self._decoded(data, self._client_max_size)
        return data

    async def readline(self) -> bytes:
        """The next line of the body (its last line without the CRLF of the delimiter)."""
        if self._at_eof:
            return b""
        source = self._source
        boundary = self._boundary
        line = await source.readline()
        if line.startswith(boundary):
            if line.rstrip(b"\r\n") in (boundary, boundary + b"--"):
                self._at_eof = True
                source.unread(line)  # for the MultipartReader to read
                return b""
            return line  # only looks like one (as aiohttp, kept whole)
        following = await source.readline()
        if following.startswith(boundary):
            line = line[:-2]  # that CRLF is the delimiter's
        source.unread(following)
        return line

    async def release(self) -> None:
        """Skip the rest of the part."""
        while not self._at_eof:
            await self.read_chunk(self.chunk_size)

    async def text(self, *, encoding: str | None = None) -> str:
        """The body (decoded) as text, in ``encoding`` or the part's charset."""
        data = await self.read(decode=True)
        return data.decode(encoding or self.get_charset(default="utf-8"))

    async def json(self, *, encoding: str | None = None) -> Any:
        """The body (decoded) parsed as JSON; None when empty."""
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self.get_charset(default="utf-8")))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """The body (decoded) parsed as an urlencoded form."""
        data = await self.read(decode=True)
        if not data:
            return []
        charset = encoding if encoding is not None else self.get_charset(default="utf-8")
        try:
            text = data.rstrip().decode(charset)
        except UnicodeDecodeError:
            raise ValueError(f"data cannot be decoded with {charset} encoding") from None
        return parse_qsl(text, keep_blank_values=True, encoding=charset)

    def get_charset(self, default: str) -> str:
        """The part's Content-Type charset, else the body's ``_charset_``, else ``default``."""
        charset = parse_content_type(self.headers.get(hdrs.CONTENT_TYPE))[1].get("charset")
        return charset or self._default_charset or default

    def decode(self, data: bytes | bytearray) -> bytes:
        """``data`` decoded by the part's Content-Transfer-Encoding, then Content-Encoding.

        Content-Encoding is not applied in a form-data body ("Senders MUST
        NOT generate any header fields other than Content-Type, Content-
        Disposition" ... -- RFC 7578 4.8); unknown codings raise RuntimeError.
        """
        return bytes(self._decoded(data, None))

    def _decoded(self, data: bytes | bytearray, limit: int | None) -> bytearray:
        data = self._decode_transfer(data)
        coding = "" if self._is_form_data else self.headers.get(hdrs.CONTENT_ENCODING, "")
        coding = coding.lower()
        if coding in ("", "identity"):
            return bytearray(data)
        if coding not in ("deflate", "gzip"):
            raise RuntimeError(f"unknown content encoding: {coding}")
        # Inflated in steps, so a small bomb stops at the size limit.
        inflater = zlib.decompressobj(wbits=-zlib.MAX_WBITS if coding == "deflate" else 31)
        out = bytearray()
        pending = bytes(data)
        while not inflater.eof:
            chunk = inflater.decompress(pending, self._max_decompress_size)
            pending = inflater.unconsumed_tail
            out += chunk
            if limit is not None and len(out) > limit:
                raise self._max_size_error_cls(limit)
            if not chunk and not pending:
                break
        return out

    def _decode_transfer(self, data: bytes | bytearray) -> bytes | bytearray:
        coding = self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING)
        if coding is None:
            return data
        coding = coding.lower()
        if coding == "base64":
            return base64.b64decode(data)
        if coding == "quoted-printable":
            return binascii.a2b_qp(data)
        if coding in ("binary", "8bit", "7bit"):
            return data
        raise RuntimeError(f"unknown content transfer encoding: {coding}")


class MultipartResponseWrapper:
    """A client response read as multipart: releases the response after the last part."""

    def __init__(self, resp: Any, stream: MultipartReader) -> None:
        self.resp = resp
        self.stream = stream

    def __aiter__(self) -> MultipartResponseWrapper:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    def at_eof(self) -> bool:
        """True once the whole response body was read."""
        return bool(self.resp.content.at_eof())

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part; after the last, the response is released."""
        item = await self.stream.next()
        if self.stream.at_eof():
            await self.release()
        return item

    async def release(self) -> None:
        """Give the response back (what is left of the body is discarded)."""
        result = self.resp.release()
        if inspect.isawaitable(result):
            await result


class MultipartReader:
    """A streamed multipart body: ``async for part in reader``.

    Each part is a :class:`BodyPartReader`, or a nested MultipartReader for
    a ``multipart/*`` part. Parts are read in order; moving to the next one
    skips what is left of the current one. Only the ``read(n)`` of the
    stream is used, and nothing is buffered beyond one read and a boundary.
    """

    #: What :meth:`from_response` returns.
    response_wrapper_cls = MultipartResponseWrapper
    #: The class of nested multipart parts (None: this class).
    multipart_reader_cls: type[MultipartReader] | None = None
    #: The class of the other parts.
    part_reader_cls = BodyPartReader

    def __init__(
        self,
        headers: Mapping[str, str],
        content: ReadableStream | _Source,
        *,
        client_max_size: int = sys.maxsize,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_size_error_cls: type[Exception] = ValueError,
    ) -> None:
        mimetype, params = parse_content_type(headers.get(hdrs.CONTENT_TYPE))
        self._subtype = mimetype.partition("/")[2]
        boundary = params.get("boundary")
        if not mimetype.startswith("multipart/") or not boundary:
            raise ValueError(f"boundary missed for Content-Type: {headers.get(hdrs.CONTENT_TYPE)}")
        if len(boundary) > 70:  # "1*70<bchars>" -- RFC 2046 5.1.1
            raise ValueError(f"boundary {boundary!r} is too long (70 chars max)")
        self.headers = headers
        self._boundary = b"--" + boundary.encode("latin-1")
        self._source = _source(content)
        self._client_max_size = client_max_size
        self._max_field_size = max_field_size
        self._max_headers = max_headers
        self._max_size_error_cls = max_size_error_cls
        self._default_charset: str | None = None
        self._last_part: MultipartReader | BodyPartReader | None = None
        self._at_bof = True
        self._at_eof = False

    @classmethod
    def from_response(cls, response: Any) -> MultipartResponseWrapper:
        """A reader of a client response's multipart body (``async for part in ...``)."""
        return cls.response_wrapper_cls(response, cls(response.headers, response.content))

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> MultipartReader | BodyPartReader:
        part = await self.next()
        if part is None:
            raise StopAsyncIteration
        return part

    def at_eof(self) -> bool:
        """True after the closing boundary."""
        return self._at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part, or None after the last."""
        if self._at_eof:
            return None
        await self._release_last_part()
        if self._at_bof:
            await self._read_until_first_boundary()
            self._at_bof = False
        else:
            await self._read_boundary()
        if self._at_eof:
            return None
        part = await self.fetch_next_part()
        if (
            self._last_part is None
            and self._subtype == "form-data"
            and isinstance(part, BodyPartReader)
            and part.name == "_charset_"
        ):
            # "_charset_" first names the charset of the fields that follow
            # -- RFC 7578 4.6 (no charset name is longer than 31 characters).
            charset = await part.read()
            if len(charset) > 31:
                raise RuntimeError("Invalid default charset")
            self._default_charset = charset.strip().decode()
            await self._read_boundary()
            if self._at_eof:
                return None
            part = await self.fetch_next_part()
        self._last_part = part
        return part

    async def release(self) -> None:
        """Skip every remaining part."""
        while not self._at_eof:
            part = await self.next()
            if part is None:
                break
            await part.release()

    async def fetch_next_part(self) -> MultipartReader | BodyPartReader:
        """The reader of the part whose headers come next."""
        return self._get_part_reader(await self._read_headers())

    def _get_part_reader(self, headers: CIMultiDictProxy[str]) -> MultipartReader | BodyPartReader:
        mimetype = parse_content_type(headers.get(hdrs.CONTENT_TYPE))[0]
        if mimetype.startswith("multipart/"):
            nested = self.multipart_reader_cls or type(self)
            return nested(
                headers,
                self._source,
                client_max_size=self._client_max_size,
                max_field_size=self._max_field_size,
                max_headers=self._max_headers,
                max_size_error_cls=self._max_size_error_cls,
            )
        return self.part_reader_cls(
            self._boundary,
            headers,
            self._source,
            subtype=self._subtype,
            default_charset=self._default_charset,
            client_max_size=self._client_max_size,
            max_size_error_cls=self._max_size_error_cls,
        )

    async def _release_last_part(self) -> None:
        if self._last_part is not None:
            if not self._last_part.at_eof():
                await self._last_part.release()
            self._last_part = None

    async def _read_until_first_boundary(self) -> None:
        # The preamble before the first delimiter is skipped -- RFC 2046 5.1.1.
        while True:
            line = await self._source.readline()
            if not line:
                raise MultipartFormatError(f"Could not find starting boundary {self._boundary!r}")
            line = line.rstrip()
            if line == self._boundary:
                return
            if line == self._boundary + b"--":
                self._at_eof = True
                return

    async def _read_boundary(self) -> None:
        source = self._source
        line = (await source.readline()).rstrip()
        if line == self._boundary:
            return
        if line != self._boundary + b"--":
            raise MultipartFormatError(f"Invalid boundary {line!r}, expected {self._boundary!r}")
        self._at_eof = True
        # The epilogue: a nested body's ends at its parent's next delimiter,
        # which stays for the parent to read.
        epilogue = await source.readline()
        following = await source.readline()
        source.unread(following)
        if not following.startswith(b"--"):
            source.unread(epilogue)

    async def _read_headers(self) -> CIMultiDictProxy[str]:
        headers: CIMultiDict[str] = CIMultiDict()
        lines = 0
        while True:
            line = (await self._source.readline(self._max_field_size)).rstrip(b"\r\n")
            if not line:
                return CIMultiDictProxy(headers)
            lines += 1
            if lines > self._max_headers:
                raise BadHttpMessage("Too many headers received")
            name, colon, value = line.partition(b":")
            name = name.strip()
            if not colon or not name or any(c in name for c in b" \t"):
                raise MultipartFormatError(f"invalid multipart part header {line[:100]!r}")
            headers.add(name.decode("latin-1"), value.decode("utf-8", "replace").strip())
