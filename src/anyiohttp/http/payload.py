"""Message bodies to send: bytes, text, files, async iterables, forms, multipart.

A :class:`Payload` knows its size when it can (then the message gets a
Content-Length, else it is sent chunked), its headers (Content-Type first,
as aiohttp's payloads carry it), and yields its bytes piece by piece, so
large bodies are streamed and never held in memory whole.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import mimetypes
import os
import re
import uuid
import zlib
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import IO, Any, Final, Protocol
from urllib.parse import quote, urlencode

import anyio
from multidict import CIMultiDict, MultiDict, MultiDictProxy

from .. import hdrs
from ..helpers import parse_content_type

__all__ = (
    "AsyncIterablePayload",
    "BytesPayload",
    "FormData",
    "IOPayload",
    "MultipartWriter",
    "Payload",
    "StringPayload",
    "content_disposition_header",
    "get_payload",
)

CHUNK_SIZE: Final = 2**16

# Control characters (HTAB aside) would end or split a part's header line.
_FORBIDDEN_HEADER_CHARS: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# token = 1*tchar -- RFC 9110 5.6.2
_TOKEN: Final = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('()<>@,;:\\"/[]?={}')
# What a quoted-string holds unescaped (qdtext); the rest of 7-bit text is
# written as a quoted-pair -- RFC 5322 3.2.4 (a MIME header is 7-bit email).
_NOT_QTEXT: Final = re.compile(r"[^\x21\x23-\x5b\x5d-\x7e]")
_QUOTABLE: Final = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\t"}


def _safe_header(value: str) -> str:
    """``value`` unchanged; a control character in it raises ValueError, as aiohttp."""
    if _FORBIDDEN_HEADER_CHARS.search(value) is not None:
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
    return value


def content_disposition_header(
    disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
) -> str:
    """A MIME Content-Disposition value (RFC 2183, RFC 7578 4.2), as aiohttp writes it.

    With ``quote_fields``, ``filename`` is percent-encoded in ``_charset``
    and other parameters are quoted-strings, or ``key*=charset''...``
    (RFC 5987) when they are not 7-bit text; without it, values are quoted
    as they are (for recipients that take 8-bit values). The type and the
    parameter names must be tokens (else ValueError).
    """
    if not disptype or not _TOKEN.issuperset(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    pieces = [disptype]
    for key, value in params.items():
        if not key or not _TOKEN.issuperset(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        if not quote_fields:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            pieces.append(f'{key}="{escaped}"')
        elif key.lower() == "filename":
            pieces.append(f'{key}="{quote(value, "", encoding=_charset)}"')
        elif _QUOTABLE.issuperset(value):
            escaped = _NOT_QTEXT.sub(lambda m: "\\" + m.group(0), value)
            pieces.append(f'{key}="{escaped}"')
        else:
            pieces.append(f"{key}*={_charset}''{quote(value, '', encoding=_charset)}")
    return "; ".join(pieces)


class _Writer(Protocol):
    async def write(self, data: bytes) -> None: ...


class Payload:
    """A body to send; subclasses yield its bytes from :meth:`iter_chunks`.

    ``headers`` holds the Content-Type (the given one, one guessed from
    ``filename``, or the default) and whatever else describes the body
    (Content-Disposition ...): a multipart part sends them as its headers.
    """

    _default_content_type: str = "application/octet-stream"
    _size: int | None = None

    def __init__(
        self,
        *,
        content_type: str | None = None,
        headers: Any = None,
        filename: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self._filename = filename
        self._encoding = encoding
        self.headers: CIMultiDict[str] = CIMultiDict()
        if content_type is None and filename is not None:
            content_type = mimetypes.guess_type(filename)[0]
        self.headers[hdrs.CONTENT_TYPE] = content_type or self._default_content_type
        if headers:
            self.headers.update(headers)

    @property
    def size(self) -> int | None:
        """The body's length in bytes, when known."""
        return self._size

    @property
    def content_type(self) -> str:
        """The Content-Type of the body."""
        return self.headers.get(hdrs.CONTENT_TYPE, self._default_content_type)

    @property
    def filename(self) -> str | None:
        """The file name the body carries, if any."""
        return self._filename

    @property
    def encoding(self) -> str | None:
        """The charset text was encoded with, if any."""
        return self._encoding

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set the Content-Disposition header (see :func:`content_disposition_header`).

        On a part already appended to a :class:`MultipartWriter` it still
        counts: a part's headers are written when the body is.
        """
        self.headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, **params
        )

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """Yield the body's bytes."""
        raise NotImplementedError
        yield b""  # pragma: no cover

    async def read_all(self) -> bytes:
        """The whole body (for small payloads and tests)."""
        return b"".join([chunk async for chunk in self.iter_chunks()])

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body as bytes (aiohttp's name for :meth:`read_all`)."""
        return await self.read_all()

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text, for payloads held in memory (others raise TypeError)."""
        raise TypeError(f"{type(self).__name__} cannot be decoded without reading it")

    async def write(self, writer: _Writer) -> None:
        """Write the body to ``writer`` (anything with ``await write(bytes)``, a response)."""
        async for chunk in self.iter_chunks():
            await writer.write(chunk)

    @property
    def replayable(self) -> bool:
        """True when :meth:`rewind` can make it ready to be sent again."""
        return False

    def rewind(self) -> bool:
        """Get ready to send the body again (a redirect, a retry); False if it cannot."""
        return False

    def keep_open(self) -> None:
        """Do not close what the body reads from once sent: :meth:`close` will."""

    def close(self) -> None:
        """Release what the body reads from (a file)."""


class BytesPayload(Payload):
    """Bytes (or bytearray, memoryview) sent as they are."""

    def __init__(self, value: bytes | bytearray | memoryview, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value = bytes(value)
        self._size = len(self._value)

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """One chunk: the bytes."""
        if self._value:
            yield self._value

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The bytes as text."""
        return self._value.decode(self._encoding or encoding, errors)

    @property
    def replayable(self) -> bool:
        """Always: bytes can be sent again."""
        return True

    def rewind(self) -> bool:
        """Nothing to do: bytes can be sent again."""
        return True


class StringPayload(BytesPayload):
    """Text, encoded with ``encoding``, else the content type's charset, else UTF-8."""

    def __init__(
        self,
        value: str,
        *,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                # A charset in the given type is the one to encode with (as aiohttp).
                encoding = parse_content_type(content_type)[1].get("charset") or "utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(
            value.encode(encoding), content_type=content_type, encoding=encoding, **kwargs
        )


class IOPayload(Payload):
    """A file-like object, read in chunks in a worker thread (so reads never block the loop).

    A named file is typed from its name and carries a Content-Disposition
    ``attachment; filename=...`` (as aiohttp's), which a multipart part
    sends and a form field replaces.
    """

    def __init__(self, value: IO[Any], *, disposition: str = "attachment", **kwargs: Any) -> None:
        if kwargs.get("filename") is None:
            kwargs["filename"] = _guess_filename(value)
        super().__init__(**kwargs)
        if self._filename is not None and hdrs.CONTENT_DISPOSITION not in self.headers:
            self.set_content_disposition(disposition, filename=self._filename)
        self._value = value
        self._size = _remaining_size(value)
        self._autoclose = True
        # Where sending starts, to start there again (a 307/308 redirect, a retry).
        self._start: int | None
        try:
            self._start = value.tell() if value.seekable() else None
        except (AttributeError, OSError, ValueError):
            self._start = None

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """The file's bytes from its current position; then closed, unless kept open."""
        try:
            while True:
                chunk = await anyio.to_thread.run_sync(self._value.read, CHUNK_SIZE)
                if not chunk:
                    return
                yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        finally:
            if self._autoclose:
                self.close()

    @property
    def replayable(self) -> bool:
        """True for a seekable file that is still open."""
        return self._start is not None and not self._value.closed

    def rewind(self) -> bool:
        """Seek back to where the first sending started."""
        if not self.replayable:
            return False
        assert self._start is not None
        self._value.seek(self._start)
        return True

    def keep_open(self) -> None:
        """Leave the file open after sending (the client closes it when the request ends)."""
        self._autoclose = False

    def close(self) -> None:
        """Close a real file (as aiohttp); an in-memory one stays usable by its owner."""
        if not isinstance(self._value, io.BytesIO | io.StringIO):
            self._value.close()


def _guess_filename(value: Any) -> str | None:
    """The base name of a file object's ``name`` (not ``<stdin>`` and the like)."""
    name = getattr(value, "name", None)
    if isinstance(name, str) and name and not (name[0] == "<" and name[-1] == ">"):
        return os.path.basename(name)
    return None


class AsyncIterablePayload(Payload):
    """An async iterable of bytes: streamed, chunked (its size is unknown)."""

    def __init__(self, value: AsyncIterable[bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value = value
        self._used = False

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """Whatever the iterable yields (it can be consumed once)."""
        if self._used:
            raise RuntimeError("An async iterable body can be sent only once")
        self._used = True
        async for chunk in self._value:
            if chunk:
                yield bytes(chunk)

    def rewind(self) -> bool:
        """True only before it was sent: an iterable is consumed once."""
        return not self._used


def _remaining_size(value: IO[Any]) -> int | None:
    try:
        position = value.tell()
        end = os.fstat(value.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        if isinstance(value, io.BytesIO):
            return len(value.getbuffer()) - value.tell()
        return None
    return max(0, end - position)


def get_payload(
    data: Any,
    *,
    content_type: str | None = None,
    headers: Any = None,
    encoding: str | None = None,
) -> Payload:
    """The Payload for a body as aiohttp accepts it (a Payload is returned as it is)."""
    if isinstance(data, Payload):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return BytesPayload(data, content_type=content_type, headers=headers)
    if isinstance(data, str):
        return StringPayload(data, content_type=content_type, encoding=encoding, headers=headers)
    if isinstance(data, io.StringIO):
        # Text in memory: sent as its text (with a length), as aiohttp does.
        return StringPayload(
            data.read(), content_type=content_type, encoding=encoding, headers=headers
        )
    if isinstance(data, io.IOBase | io.BufferedReader) or hasattr(data, "read"):
        return IOPayload(data, content_type=content_type, headers=headers)
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data, content_type=content_type, headers=headers)
    raise TypeError(f"Unsupported body type {type(data).__name__}")


# -- forms -------------------------------------------------------------------------


class FormData:
    """Form fields for a request body: urlencoded, or multipart when a field is a file."""

    def __init__(
        self,
        fields: Iterable[Any] | Mapping[str, Any] = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._fields: list[tuple[MultiDict[str], CIMultiDict[str], Any]] = []
        self._is_multipart = default_to_multipart
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, Mapping):
            fields = list(fields.items())
        elif isinstance(fields, tuple) and len(fields) == 2 and isinstance(fields[0], str):
            fields = [fields]
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """True when the form is sent as multipart/form-data."""
        return self._is_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field; a file object, a filename or a content type make it multipart.

        As aiohttp: a name, filename or content type with CR, LF, NUL or
        another control character raises ValueError (they would go into the
        part's headers); a filename or content type that is not a str raises
        TypeError. A text field with a ``charset`` in its content type is
        encoded in that charset.
        """
        if not isinstance(name, str):
            raise TypeError(f"name must be an instance of str. Got: {name!r}")
        _safe_header(name)
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"filename must be an instance of str. Got: {filename}")
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be an instance of str. Got: {content_type}")
            _safe_header(content_type)
        if isinstance(value, io.IOBase) or hasattr(value, "read"):
            self._is_multipart = True
            if filename is None:
                # As aiohttp: the file's own name, else the field's.
                filename = _guess_filename(value) or name
        elif isinstance(value, bytes | bytearray | memoryview):
            if filename is None:
                filename = name  # bytes are a file upload, named after the field
        if content_type is not None or filename is not None:
            self._is_multipart = True
        if content_transfer_encoding is not None:
            raise ValueError("content_transfer_encoding is deprecated and not supported")
        type_options: MultiDict[str] = MultiDict({"name": name})
        if filename is not None:
            # Given, or taken from the file object: either way it goes into a header.
            type_options["filename"] = _safe_header(filename)
        headers: CIMultiDict[str] = CIMultiDict()
        if content_type is not None:
            headers[hdrs.CONTENT_TYPE] = content_type
        self._fields.append((type_options, headers, value))

    def add_fields(self, *fields: Any) -> None:
        """Add fields given as mappings, ``(name, value)`` pairs or multidicts."""
        for field in fields:
            if isinstance(field, io.IOBase):
                name = getattr(field, "name", "unknown")
                self.add_field(os.path.basename(str(name)), field)
            elif isinstance(field, MultiDict | MultiDictProxy | Mapping):
                items = field.items()
                for key, value in items:
                    self.add_field(key, value)
            elif isinstance(field, list | tuple) and len(field) == 2:
                self.add_field(field[0], field[1])
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs allowed, "
                    f"use .add_field() for passing more complex parameters, got {field!r}"
                )

    def __call__(self) -> Payload:
        """The body: an urlencoded or a multipart payload."""
        if self._is_multipart:
            return self._multipart()
        data = []
        for options, _, value in self._fields:
            data.append((options["name"], value))
        charset = self._charset or "utf-8"
        content_type = "application/x-www-form-urlencoded"
        if charset != "utf-8":
            content_type += f"; charset={charset}"  # as aiohttp says which
        return BytesPayload(
            urlencode(data, doseq=True, encoding=charset).encode(), content_type=content_type
        )

    def _multipart(self) -> MultipartWriter:
        writer = MultipartWriter("form-data")
        for options, headers, value in self._fields:
            payload = get_payload(
                value,
                content_type=headers.get(hdrs.CONTENT_TYPE),
                headers=headers,
                encoding=self._charset,
            )
            disposition = f'form-data; name="{_quote_param(options["name"])}"'
            if "filename" in options:
                disposition += f'; filename="{_quote_param(options["filename"])}"'
            # The field's disposition replaces any (a file's "attachment"),
            # first among the part's headers, as this library always wrote it.
            payload.headers.popall(hdrs.CONTENT_DISPOSITION, None)
            payload.headers.popall(hdrs.CONTENT_LENGTH, None)
            others = list(payload.headers.items())
            payload.headers.clear()
            payload.headers[hdrs.CONTENT_DISPOSITION] = disposition
            payload.headers.extend(others)
            writer.append_payload(payload)
        return writer


def _quote_param(value: str) -> str:
    # RFC 7578 4.2: quote the characters that would end the parameter.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


# -- multipart ---------------------------------------------------------------------

#: A part of a MultipartWriter: its payload, Content-Encoding and
#: Content-Transfer-Encoding (empty or None when sent as they are).
Part = tuple[Payload, str | None, str | None]

_TCHARS_BOUNDARY: Final = re.compile(r"[!#$%&'*+\-.^_`|~\w]+", re.ASCII)


class MultipartWriter(Payload):
    """A multipart body (``form-data``, ``mixed`` ...) whose parts are payloads.

    As aiohttp's: iterating gives ``(payload, content_encoding,
    transfer_encoding)`` per part; a part's headers (Content-Type,
    Content-Disposition, Content-Length outside form-data) are written when
    the body is, so they may change after ``append``; a part with
    ``Content-Encoding: gzip/deflate`` or ``Content-Transfer-Encoding:
    base64/quoted-printable`` is encoded so (and the size is then unknown).
    """

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = boundary if boundary is not None else uuid.uuid4().hex
        if not boundary.isascii():
            raise ValueError("boundary should contain ASCII only chars")
        if not boundary or len(boundary) > 70:  # "1*70<bchars>" -- RFC 2046 5.1.1
            raise ValueError("boundary should be 1 to 70 characters")
        self._boundary = boundary
        super().__init__(content_type=f"multipart/{subtype}; boundary={self._boundary_value}")
        self._parts: list[Part] = []
        self._is_form_data = subtype == "form-data"

    @property
    def _boundary_value(self) -> str:
        # parameter = token "=" ( token / quoted-string ) -- RFC 9110 5.6.6
        if _TCHARS_BOUNDARY.fullmatch(self._boundary):
            return self._boundary
        if _FORBIDDEN_HEADER_CHARS.search(self._boundary):
            raise ValueError("boundary value contains invalid characters")
        escaped = self._boundary.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'

    @property
    def boundary(self) -> str:
        """The part delimiter (without its ``--``)."""
        return self._boundary

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass  # nothing to release: as aiohttp, the block only scopes the building

    def __iter__(self) -> Iterator[Part]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True  # an empty multipart body is still a body

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part from bytes, text, a file or another payload (``headers`` added to it)."""
        if isinstance(obj, Payload):
            obj.headers.update(headers or {})
            return self.append_payload(obj)
        try:
            payload = get_payload(obj, headers=headers)
        except TypeError:
            raise TypeError(f"Cannot create payload from {obj!r}") from None
        return self.append_payload(payload)

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a JSON part."""
        return self.append_payload(
            StringPayload(json.dumps(obj), content_type="application/json", headers=headers)
        )

    def append_form(
        self,
        obj: Iterable[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        """Add an urlencoded form part."""
        data = list(obj.items()) if isinstance(obj, Mapping) else list(obj)
        return self.append_payload(
            StringPayload(
                urlencode(data, doseq=True),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        )

    def append_payload(self, payload: Payload) -> Payload:
        """Add a payload as the next part.

        A control character in its headers raises ValueError (and nothing is
        added). In form-data a part without Content-Disposition is named
        ``section-N``, and Content-Encoding, Content-Length and
        Content-Transfer-Encoding are refused ("Senders MUST NOT generate any
        header fields other than Content-Type, Content-Disposition" ... --
        RFC 7578 4.8); elsewhere a part of known size gets a Content-Length.
        """
        for name, value in payload.headers.items():
            _safe_header(name)
            _safe_header(value)
        encoding: str | None = None
        transfer: str | None = None
        if self._is_form_data:
            forbidden = {
                name
                for name in (
                    hdrs.CONTENT_ENCODING,
                    hdrs.CONTENT_LENGTH,
                    hdrs.CONTENT_TRANSFER_ENCODING,
                )
                if name in payload.headers
            }
            if forbidden:
                raise ValueError(f"A form-data part cannot have {', '.join(sorted(forbidden))}")
            if hdrs.CONTENT_DISPOSITION not in payload.headers:
                payload.set_content_disposition("form-data", name=f"section-{len(self._parts)}")
        else:
            # As aiohttp iterates them: "" when the header is absent, None for
            # "identity" / "binary" (sent as they are either way).
            encoding = payload.headers.get(hdrs.CONTENT_ENCODING, "").lower()
            if encoding not in ("", "deflate", "gzip", "identity"):
                raise RuntimeError(f"unknown content encoding: {encoding}")
            if encoding == "identity":
                encoding = None
            transfer = payload.headers.get(hdrs.CONTENT_TRANSFER_ENCODING, "").lower()
            if transfer not in ("", "base64", "quoted-printable", "binary"):
                raise RuntimeError(f"unknown content transfer encoding: {transfer}")
            if transfer == "binary":
                transfer = None
            if payload.size is not None and not (encoding or transfer):
                payload.headers[hdrs.CONTENT_LENGTH] = str(payload.size)
        self._parts.append((payload, encoding, transfer))
        return payload

    @property
    def size(self) -> int | None:
        """The body's length, when every part's is known (an encoded part's is not)."""
        delimiter = len(self._boundary) + 4  # "--" boundary CRLF
        total = delimiter + 2  # the close delimiter's "--"
        for payload, encoding, transfer in self._parts:
            if payload.size is None or encoding or transfer:
                return None
            total += delimiter + len(_part_head(payload)) + payload.size + 2
        return total

    @property
    def replayable(self) -> bool:
        """True when every part can be sent again."""
        return all(payload.replayable for payload, _, _ in self._parts)

    def rewind(self) -> bool:
        """Rewind every part (False if one cannot be)."""
        rewound = True
        for payload, _, _ in self._parts:  # every part, even after one that cannot
            rewound = payload.rewind() and rewound
        return rewound

    def keep_open(self) -> None:
        """Keep every part's file open after sending."""
        for payload, _, _ in self._parts:
            payload.keep_open()

    def close(self) -> None:
        """Close every part's file."""
        for payload, _, _ in self._parts:
            payload.close()

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (every part held in memory, none encoded)."""
        pieces = []
        for payload, _, _ in self._parts:
            pieces.append(f"--{self._boundary}\r\n")
            pieces.append(_part_head(payload).decode(encoding, errors))
            pieces.append(payload.decode(encoding, errors) + "\r\n")
        return "".join(pieces) + f"--{self._boundary}--\r\n"

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """Every part's delimiter, headers and body, then the close delimiter."""
        delimiter = f"--{self._boundary}\r\n".encode()
        for payload, encoding, transfer in self._parts:
            yield delimiter + _part_head(payload)
            if encoding or transfer:
                async for chunk in _encoded(payload.iter_chunks(), encoding, transfer):
                    yield chunk
            else:
                async for chunk in payload.iter_chunks():
                    yield chunk
            yield b"\r\n"
        yield f"--{self._boundary}--\r\n".encode()


def _part_head(payload: Payload) -> bytes:
    """A part's header lines and the blank line after them."""
    lines = "".join(
        f"{_safe_header(name)}: {_safe_header(value)}\r\n"
        for name, value in payload.headers.items()
    )
    return (lines + "\r\n").encode("utf-8")


async def _encoded(
    chunks: AsyncIterable[bytes], encoding: str | None, transfer: str | None
) -> AsyncGenerator[bytes, None]:
    """A part's body compressed (``encoding``), then transfer-encoded (``transfer``)."""
    compressor = None
    if encoding:
        # deflate is raw, as aiohttp writes (and reads) it in a part.
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS if encoding == "deflate" else 31)
    pending = b""  # base64 goes in groups of three bytes

    def transfer_encode(data: bytes, final: bool) -> bytes:
        nonlocal pending
        if transfer == "base64":
            data = pending + data
            cut = len(data) if final else len(data) - len(data) % 3
            pending = data[cut:]
            return base64.b64encode(data[:cut])
        if transfer == "quoted-printable":
            return binascii.b2a_qp(data)
        return data

    async for chunk in chunks:
        if compressor is not None:
            chunk = compressor.compress(chunk)
        if chunk:
            out = transfer_encode(chunk, final=False)
            if out:
                yield out
    tail = compressor.flush() if compressor is not None else b""
    out = transfer_encode(tail, final=True)
    if out:
        yield out
