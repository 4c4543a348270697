"""The response parsers (h11, and httptools when installed), fed plain bytes (no sockets).

Every test runs on each parser: requests must serialize the same way and the
same response bytes must give the same events, errors and keep-alive verdict.
"""

from __future__ import annotations

from typing import Any

import pytest

from anyiohttp.http.exceptions import (
    BadHttpMessage,
    ContentLengthError,
    LineTooLong,
    TransferEncodingError,
)
from anyiohttp.http.h11_client import H11ClientParser
from anyiohttp.http.parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    HttpVersion10,
    HttpVersion11,
    InformationalHead,
    ResponseHead,
)

try:
    from anyiohttp.http.httptools_client import HttptoolsClientParser
except ImportError:  # pragma: no cover - httptools is in the test extra
    HttptoolsClientParser = None  # type: ignore[assignment,misc]

PARSERS: list[Any] = [H11ClientParser] + ([HttptoolsClientParser] if HttptoolsClientParser else [])


@pytest.fixture(params=PARSERS, ids=lambda cls: cls.__name__)
def make(request: pytest.FixtureRequest) -> Any:
    """The parser class under test."""
    return request.param


def requested(parser: Any, method: str = "GET", **extra: str) -> bytes:
    headers = [("Host", "example.com"), *extra.items()]
    return parser.request_head(method, "/path?q=1", headers) + parser.request_end()


def drain(parser: Any, data: bytes, *, step: int | None = None) -> list[object]:
    """Feed ``data`` (in ``step``-byte pieces if given) and collect events until the end."""
    pieces = [data[i : i + step] for i in range(0, len(data), step)] if step else [data]
    pieces.append(b"")  # the server closes after everything it sent
    out: list[object] = []
    while True:
        event = parser.next_event()
        if event is NEED_DATA:
            parser.feed(pieces.pop(0))
            continue
        out.append(event)
        if event in (END_OF_MESSAGE, CONNECTION_CLOSED, PAUSED):
            return out


def body_of(events: list[object]) -> bytes:
    return b"".join(e for e in events if isinstance(e, bytes))


def test_request_bytes(make: Any) -> None:
    parser = make()
    data = requested(parser, "POST", **{"Content-Length": "0"})
    assert data.startswith(b"POST /path?q=1 HTTP/1.1\r\n")
    assert b"Host: example.com\r\n" in data and data.endswith(b"\r\n\r\n")
    parser = make()
    head = parser.request_head("POST", "/", [("Host", "h"), ("Transfer-Encoding", "chunked")])
    assert head.endswith(b"\r\n\r\n")
    assert parser.request_body(b"abc") == b"3\r\nabc\r\n"
    assert parser.request_body(b"") == b""
    assert not parser.request_done
    assert parser.request_end() == b"0\r\n\r\n"
    assert parser.request_done


@pytest.mark.parametrize("bad", ["a\r\nInjected: 1", "a\nb", "a\x00b"])
def test_header_injection_is_refused_before_sending(make: Any, bad: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid request|Forbidden control character"):
        make().request_head("GET", "/", [("Host", "h"), ("X-Bad", bad)])


@pytest.mark.parametrize("step", [None, 1, 7])
def test_content_length_body(make: Any, step: int | None) -> None:
    parser = make()
    requested(parser)
    events = drain(
        parser,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello",
        step=step,
    )
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert (head.status, head.reason, head.version) == (200, "OK", HttpVersion11)
    assert head.headers.getall("X-A") == ["1", "2"]
    assert head.content_length == 5 and not head.chunked
    assert (b"X-A", b"1") in head.raw_headers
    assert body_of(events) == b"hello"
    assert events[-1] is END_OF_MESSAGE
    assert parser.reusable


@pytest.mark.parametrize("step", [None, 1, 5])
def test_chunked_body_with_trailers(make: Any, step: int | None) -> None:
    parser = make()
    requested(parser)
    events = drain(
        parser,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        step=step,
    )
    head = events[0]
    assert isinstance(head, ResponseHead) and head.chunked and head.content_length is None
    assert body_of(events) == b"hello world"
    assert parser.reusable


def test_body_until_close_is_not_reusable(make: Any) -> None:
    parser = make()
    requested(parser)
    events = drain(parser, b"HTTP/1.1 200 OK\r\n\r\nstream until the end", step=4)
    assert body_of(events) == b"stream until the end"
    assert events[-1] is END_OF_MESSAGE
    assert not parser.reusable


@pytest.mark.parametrize(("method", "status"), [("HEAD", 200), ("GET", 204), ("GET", 304)])
def test_no_body_responses(make: Any, method: str, status: int) -> None:
    parser = make()
    requested(parser, method)
    parser.feed(f"HTTP/1.1 {status} X\r\nContent-Length: 10\r\n\r\n".encode())
    head = parser.next_event()
    assert isinstance(head, ResponseHead) and head.status == status
    assert parser.next_event() is END_OF_MESSAGE
    assert parser.reusable


@pytest.mark.parametrize(
    ("head", "reusable"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False),
    ],
)
def test_keep_alive_verdict(make: Any, head: bytes, reusable: bool) -> None:
    parser = make()
    requested(parser)
    events = drain(parser, head)
    assert events[-1] is END_OF_MESSAGE
    assert parser.reusable is reusable


def test_http10_keep_alive(make: Any) -> None:
    parser = make()
    requested(parser)
    drain(parser, b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
    # As aiohttp: the server said it keeps the connection (h11 itself never
    # would after 1.0; our h11 parser then goes on with a new h11 connection).
    assert parser.reusable
    parser.start_next_cycle()
    requested(parser)
    events = drain(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert events[-1] is END_OF_MESSAGE
    assert parser.reusable


def test_http10_without_keep_alive_is_not_reusable(make: Any) -> None:
    parser = make()
    requested(parser)
    drain(parser, b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert not parser.reusable


def test_connection_close_request_is_not_reusable(make: Any) -> None:
    parser = make()
    requested(parser, Connection="close")
    drain(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert not parser.reusable


def test_http10_version(make: Any) -> None:
    parser = make()
    requested(parser)
    head = drain(parser, b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")[0]
    assert isinstance(head, ResponseHead) and head.version == HttpVersion10


def test_informational_then_final(make: Any) -> None:
    parser = make()
    requested(parser, "POST", **{"Content-Length": "0", "Expect": "100-continue"})
    events = drain(
        parser,
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    )
    assert [e.status for e in events if isinstance(e, InformationalHead)] == [100, 103]
    hints = events[1]
    assert isinstance(hints, InformationalHead) and hints.headers["Link"] == "</a.css>; rel=preload"
    assert not parser.response_started or isinstance(events[2], ResponseHead)
    assert body_of(events) == b"ok"


def test_switching_protocols_keeps_trailing_bytes(make: Any) -> None:
    parser = make()
    requested(parser, Connection="Upgrade", Upgrade="websocket")
    parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi")
    head = parser.next_event()
    assert isinstance(head, InformationalHead) and head.status == 101
    assert parser.next_event() is PAUSED
    assert parser.trailing_data == b"\x81\x02hi"


def test_a_101_no_upgrade_was_proposed_for_is_read_too(make: Any) -> None:
    """As llhttp and aiohttp: the 101 head comes out (h11 alone calls it a protocol error),
    after any 100, and what follows it is the new protocol's."""
    parser = make()
    requested(parser)
    parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n")
    parser.feed(b"Upgrade: foo\r\n\r\nnot-http")
    events = [parser.next_event(), parser.next_event()]
    assert [(type(e), getattr(e, "status", None)) for e in events] == [
        (InformationalHead, 100),
        (InformationalHead, 101),
    ]
    assert isinstance(events[1], InformationalHead) and events[1].headers["Upgrade"] == "foo"
    assert parser.next_event() is PAUSED
    assert parser.trailing_data == b"not-http"
    assert not parser.reusable


def test_keep_alive_cycles(make: Any) -> None:
    parser = make()
    for n in range(3):
        requested(parser)
        body = str(n).encode()
        parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + body)
        events = []
        while (event := parser.next_event()) is not END_OF_MESSAGE:
            events.append(event)
        assert body_of(events) == body
        assert parser.reusable
        parser.start_next_cycle()
        assert not parser.response_started


def test_close_before_anything_is_connection_closed(make: Any) -> None:
    parser = make()
    requested(parser)
    parser.feed(b"")
    assert parser.next_event() is CONNECTION_CLOSED


def test_truncated_content_length(make: Any) -> None:
    parser = make()
    requested(parser)
    with pytest.raises(ContentLengthError, match="Not enough data to satisfy content length"):
        drain(parser, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")


def test_truncated_chunked(make: Any) -> None:
    parser = make()
    requested(parser)
    with pytest.raises(TransferEncodingError, match="Not enough data to satisfy transfer"):
        drain(parser, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")


def test_truncated_head(make: Any) -> None:
    parser = make()
    requested(parser)
    with pytest.raises(BadHttpMessage):
        drain(parser, b"HTTP/1.1 200 OK\r\nContent-")


@pytest.mark.parametrize(
    "bad",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_broken_responses(make: Any, bad: bytes) -> None:
    parser = make()
    requested(parser)
    with pytest.raises(BadHttpMessage):
        drain(parser, bad)


@pytest.mark.parametrize("step", [None, 4096])
def test_header_value_limit(make: Any, step: int | None) -> None:
    parser = make()
    requested(parser)
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: " + b"a" * 8190 + b"\r\n\r\n"
    head = drain(parser, ok, step=step)[0]
    assert isinstance(head, ResponseHead) and len(head.headers["X-Big"]) == 8190
    parser = make()
    requested(parser)
    with pytest.raises(LineTooLong, match="8190"):
        drain(parser, ok.replace(b"X-Big: ", b"X-Big: a"), step=step)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 " + b"R" * 200 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 101 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-" + b"n" * 101 + b": 1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
    ],
)
def test_head_over_custom_limits(make: Any, head: bytes) -> None:
    parser = make(max_line_size=100, max_field_size=100)
    requested(parser)
    with pytest.raises(LineTooLong):
        drain(parser, head)


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 \x00K\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n",
        b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
    ],
)
def test_responses_refused_by_both(make: Any, head: bytes) -> None:
    parser = make()
    requested(parser)
    with pytest.raises(BadHttpMessage):
        drain(parser, head)


def test_bare_lf_and_obs_fold_in_a_response_are_tolerated(make: Any) -> None:
    parser = make()
    requested(parser)
    events = drain(parser, b"HTTP/1.1 200 OK\nX-Folded: one\n two\nContent-Length: 2  \n\nok")
    head = events[0]
    assert isinstance(head, ResponseHead)
    assert head.headers["X-Folded"] in ("one two", "one  two")
    assert head.headers["Content-Length"] == "2"
    assert body_of(events) == b"ok"


def test_request_body_must_match_content_length(make: Any) -> None:
    parser = make()
    parser.request_head("POST", "/", [("Host", "h"), ("Content-Length", "5")])
    with pytest.raises(ValueError, match="Too much data"):
        parser.request_body(b"hello" + b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    parser = make()
    parser.request_head("POST", "/", [("Host", "h"), ("Content-Length", "10")])
    assert parser.request_body(b"hi") == b"hi"
    with pytest.raises(ValueError, match="Too little data"):
        parser.request_end()


@pytest.mark.parametrize(
    ("method", "headers"),
    [("GE T", [("Host", "h")]), ("GET", [("Host", "h"), ("Bad Name", "v")])],
)
def test_method_and_header_names_must_be_tokens(
    make: Any, method: str, headers: list[tuple[str, str]]
) -> None:
    with pytest.raises(ValueError, match="Invalid"):
        make().request_head(method, "/", headers)


def test_bytes_past_the_response_make_the_connection_unusable(make: Any) -> None:
    parser = make()
    requested(parser)
    parser.feed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
    )
    events = []
    while (event := parser.next_event()) is not END_OF_MESSAGE:
        events.append(event)
    assert body_of(events) == b"first"
    assert not parser.reusable
