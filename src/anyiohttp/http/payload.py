"""Message bodies to send: bytes, text, files, async iterables, forms, multipart.

A :class:`Payload` knows its size when it can (then the message gets a
Content-Length, else it is sent chunked), its default Content-Type, and
yields its bytes piece by piece, so large bodies are streamed and never held
in memory whole.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Mapping
from typing import IO, Any, Final
from urllib.parse import quote, urlencode

import anyio
from multidict import CIMultiDict, MultiDict, MultiDictProxy

__all__ = (
    "AsyncIterablePayload",
    "BytesPayload",
    "FormData",
    "IOPayload",
    "MultipartWriter",
    "Payload",
    "StringPayload",
    "get_payload",
)

CHUNK_SIZE: Final = 2**16

# Control characters (HTAB aside) would end or split a part's header line.
_FORBIDDEN_HEADER_CHARS: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _safe_header(value: str) -> str:
    """``value`` unchanged; a control character in it raises ValueError, as aiohttp."""
    if _FORBIDDEN_HEADER_CHARS.search(value) is not None:
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
    return value


class Payload:
    """A body to send; subclasses yield its bytes from :meth:`iter_chunks`."""

    size: int | None = None
    content_type: str = "application/octet-stream"

    def __init__(self, *, content_type: str | None = None, headers: Any = None) -> None:
        if content_type is not None:
            self.content_type = content_type
        self.headers: CIMultiDict[str] = CIMultiDict(headers or ())

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """Yield the body's bytes."""
        raise NotImplementedError
        yield b""  # pragma: no cover

    async def read_all(self) -> bytes:
        """The whole body (for small payloads and tests)."""
        return b"".join([chunk async for chunk in self.iter_chunks()])

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
        self.size = len(self._value)

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """One chunk: the bytes."""
        if self._value:
            yield self._value

    @property
    def replayable(self) -> bool:
        """Always: bytes can be sent again."""
        return True

    def rewind(self) -> bool:
        """Nothing to do: bytes can be sent again."""
        return True


class StringPayload(BytesPayload):
    """Text, encoded with its charset (UTF-8 unless the content type says)."""

    def __init__(
        self,
        value: str,
        *,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            encoding = "utf-8"
            if content_type is None:
                content_type = "text/plain; charset=utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value.encode(encoding), content_type=content_type, **kwargs)


class IOPayload(Payload):
    """A file-like object, read in chunks in a worker thread (so reads never block the loop)."""

    def __init__(self, value: IO[Any], **kwargs: Any) -> None:
        filename = getattr(value, "name", None)
        if kwargs.get("content_type") is None and isinstance(filename, str):
            guessed = mimetypes.guess_type(filename)[0]
            if guessed:
                kwargs["content_type"] = guessed
        super().__init__(**kwargs)
        self._value = value
        self.size = _remaining_size(value)
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


def get_payload(data: Any, *, content_type: str | None = None) -> Payload:
    """The Payload for a request body as aiohttp accepts it."""
    if isinstance(data, Payload):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return BytesPayload(data, content_type=content_type)
    if isinstance(data, str):
        return StringPayload(data, content_type=content_type)
    if isinstance(data, io.StringIO):
        # Text in memory: sent as its text (with a length), as aiohttp does.
        return StringPayload(data.read(), content_type=content_type)
    if isinstance(data, io.IOBase | io.BufferedReader) or hasattr(data, "read"):
        return IOPayload(data, content_type=content_type)
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data, content_type=content_type)
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
        TypeError.
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
                name_attr = getattr(value, "name", None)
                if isinstance(name_attr, str) and not name_attr.startswith("<"):
                    filename = os.path.basename(name_attr)
                else:
                    filename = name
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
            headers["Content-Type"] = content_type
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
        return BytesPayload(
            urlencode(data, doseq=True, encoding=charset).encode(),
            content_type="application/x-www-form-urlencoded",
        )

    def _multipart(self) -> MultipartWriter:
        writer = MultipartWriter("form-data")
        for options, headers, value in self._fields:
            payload = get_payload(value, content_type=headers.get("Content-Type"))
            disposition = f'form-data; name="{_quote_param(options["name"])}"'
            if "filename" in options:
                disposition += f'; filename="{_quote_param(options["filename"])}"'
            writer.append_payload(payload, disposition)
        return writer


def _quote_param(value: str) -> str:
    # RFC 7578 4.2: quote the characters that would end the parameter.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartWriter(Payload):
    """A multipart body (``form-data``, ``mixed`` ...) whose parts are payloads."""

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        self._boundary = boundary or uuid.uuid4().hex
        if not self._boundary.isascii() or len(self._boundary) > 70:
            raise ValueError("boundary should be at most 70 ASCII characters")
        super().__init__(content_type=f"multipart/{subtype}; boundary={self._boundary}")
        self._parts: list[tuple[Payload, bytes]] = []

    @property
    def boundary(self) -> str:
        """The part delimiter."""
        return self._boundary

    def __len__(self) -> int:
        return len(self._parts)

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part from bytes, text, a file or another payload."""
        payload = get_payload(obj)
        payload.headers.update(headers or {})
        return self.append_payload(payload)

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a JSON part."""
        payload = StringPayload(json.dumps(obj), content_type="application/json")
        payload.headers.update(headers or {})
        return self.append_payload(payload)

    def append_form(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add an urlencoded form part."""
        data = obj.items() if isinstance(obj, Mapping) else obj
        payload = BytesPayload(
            urlencode(list(data), doseq=True).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        payload.headers.update(headers or {})
        return self.append_payload(payload)

    @property
    def replayable(self) -> bool:
        """True when every part can be sent again."""
        return all(part.replayable for part, _ in self._parts)

    def rewind(self) -> bool:
        """Rewind every part (False if one cannot be)."""
        rewound = True
        for part, _ in self._parts:  # every part, even after one that cannot
            rewound = part.rewind() and rewound
        return rewound

    def keep_open(self) -> None:
        """Keep every part's file open after sending."""
        for part, _ in self._parts:
            part.keep_open()

    def close(self) -> None:
        """Close every part's file."""
        for part, _ in self._parts:
            part.close()

    def append_payload(self, payload: Payload, disposition: str | None = None) -> Payload:
        """Add a payload as the next part."""
        headers: CIMultiDict[str] = CIMultiDict()
        if disposition is not None:
            headers["Content-Disposition"] = disposition
        if payload.content_type and "Content-Type" not in payload.headers:
            headers["Content-Type"] = payload.content_type
        headers.extend(payload.headers)
        head = f"--{self._boundary}\r\n" + "".join(
            f"{_safe_header(k)}: {_safe_header(v)}\r\n" for k, v in headers.items()
        )
        self._parts.append((payload, (head + "\r\n").encode("utf-8")))
        self._size_changed()
        return payload

    def _size_changed(self) -> None:
        total = len(f"--{self._boundary}--\r\n")
        for payload, head in self._parts:
            if payload.size is None:
                self.size = None
                return
            total += len(head) + payload.size + 2
        self.size = total

    async def iter_chunks(self) -> AsyncGenerator[bytes, None]:
        """Every part's head and body, then the closing delimiter."""
        for payload, head in self._parts:
            yield head
            async for chunk in payload.iter_chunks():
                yield chunk
            yield b"\r\n"
        yield f"--{self._boundary}--\r\n".encode()


def content_disposition_header(disptype: str, quote_fields: bool = True, **params: str) -> str:
    """A Content-Disposition value with parameters (filenames percent-encoded)."""
    parts = [disptype]
    for key, value in params.items():
        parts.append(f'{key}="{quote(value, "") if quote_fields else value}"')
    return "; ".join(parts)
