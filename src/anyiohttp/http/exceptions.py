"""Errors of the HTTP wire layer, shared by the server and the client.

The names and codes follow ``aiohttp.http_exceptions`` so code that catches
them ports unchanged. Every one of them carries the status a server answers
with (``code``) and a message safe to show the peer.
"""

from __future__ import annotations

from multidict import CIMultiDict


class HttpProcessingError(Exception):
    """An HTTP-level error with the status code to answer and a message.

    ``code`` is the HTTP status a server should answer with, ``message`` a
    short human-readable reason and ``headers`` optional response headers.
    """

    code = 0
    message = ""
    headers: CIMultiDict[str] | None = None

    def __init__(
        self,
        *,
        code: int | None = None,
        message: str = "",
        headers: CIMultiDict[str] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.headers = headers
        self.message = message
        super().__init__(code, message)

    def __str__(self) -> str:
        return f"{self.code}, message={self.message!r}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.code}, message={self.message!r}>"


class BadHttpMessage(HttpProcessingError):
    """The peer sent a message that is not valid HTTP/1.x (answered with 400)."""

    code = 400
    message = "Bad Request"

    def __init__(self, message: str, *, headers: CIMultiDict[str] | None = None) -> None:
        super().__init__(message=message, headers=headers)
        self.args = (message,)


class HttpBadRequest(BadHttpMessage):
    """Alias kept for aiohttp compatibility: a generic 400."""


class PayloadEncodingError(BadHttpMessage):
    """The message body is not framed or encoded as its headers say."""


class ContentEncodingError(PayloadEncodingError):
    """The body's Content-Encoding could not be decoded."""


class TransferEncodingError(PayloadEncodingError):
    """The chunked transfer coding of the body is broken."""


class ContentLengthError(PayloadEncodingError):
    """The body ended before the length its Content-Length announced."""


class LineTooLong(BadHttpMessage):
    """A request/status line or a header line is over its size limit."""

    def __init__(self, line: str | bytes, limit: int | str = "Unknown") -> None:
        super().__init__(f"Got more than {limit} bytes when reading: {line!r}.")
        self.args = (line, limit)


class InvalidHeader(BadHttpMessage):
    """A header line or value breaks the HTTP grammar or our smuggling rules."""

    def __init__(self, hdr: bytes | str, reason: str = "") -> None:
        hdr_s = hdr.decode("latin-1") if isinstance(hdr, bytes) else hdr
        text = f"Invalid HTTP header: {hdr_s!r}"
        if reason:
            text += f" ({reason})"
        super().__init__(text)
        self.hdr = hdr_s
        self.args = (hdr,)


class BadStatusLine(BadHttpMessage):
    """The request line (server side) or status line (client side) is malformed."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        super().__init__(error or f"Bad status line {line!r}")
        self.args = (line,)
        self.line = line


class BadHttpMethod(BadStatusLine):
    """The method token of a request line is not a valid token."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        if error is None and line.startswith("\x16\x03"):
            error = "Received HTTPS traffic on an HTTP port"
        super().__init__(line, error or f"Bad HTTP method in status line {line!r}")


class InvalidURLError(BadHttpMessage):
    """The request target cannot be parsed as a URL."""
