"""The h11-backed :class:`~anyiohttp.http.parser.ServerParser` (the default).

Heads are first checked by :class:`~anyiohttp.http.head_check.HeadCheckingParser`
(where h11 is more lenient than aiohttp); only a head that passes is handed
to h11, and only the head: the body is framed by the base class's own strict
decoder, the same one the httptools parser uses, so that the two parsers
cannot frame one body two ways. A fresh ``h11.Connection`` parses each head:
responses are serialized by :mod:`anyiohttp.http.writer`, not through h11.
"""

from __future__ import annotations

import h11

from .exceptions import BadHttpMessage
from .head_check import PLAIN_HEAD, VERSIONS, HeadCheckingParser
from .parser import RequestHead

__all__ = ("H11ServerParser",)


class H11ServerParser(HeadCheckingParser):
    """Check request heads, let h11 parse them, frame the bodies in the base class."""

    __slots__ = ()

    def _plain_fields(self, raw_head: bytes, keep_alive: bool) -> list[tuple[bytes, bytes]] | None:
        # h11 is more lenient than the head checks: the whole head must be
        # of the plain shape (one match) before h11 reads it.
        if PLAIN_HEAD.fullmatch(raw_head) is None:
            return None
        try:
            event = _read(raw_head)
        except BadHttpMessage:
            return None  # the line-by-line check then says what is wrong
        fields: list[tuple[bytes, bytes]] = event.headers.raw_items()
        return fields

    def _parse_head(self, raw_head: bytes) -> RequestHead:
        event = _read(raw_head)
        return self._make_head(
            event.method.decode("ascii"),
            bytes(event.target),
            VERSIONS[event.http_version],
            tuple(event.headers.raw_items()),
            self._chunked,
            self._body_length,
        )


def _read(raw_head: bytes) -> h11.Request:
    """h11's reading of a whole head; BadHttpMessage when it refuses it."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=len(raw_head) + 1)
    conn.receive_data(raw_head)
    try:
        event = conn.next_event()
    except h11.RemoteProtocolError as exc:
        error = BadHttpMessage(str(exc) or "Bad Request")
        if exc.error_status_hint not in (400, None):
            error.code = exc.error_status_hint
        raise error from None
    # The head checks let only whole, well-formed heads through.
    assert type(event) is h11.Request, event
    return event
