"""Fuzzing the parsers: generated and mutated messages, fed in random pieces.

Two properties, on the server's request parsers and the client's response
parsers alike:

* whatever the bytes, a parser either gives events or raises an
  ``HttpProcessingError`` (never another exception, never a hang);
* the two implementations (h11, httptools) agree: the same messages, or both
  refuse (the error classes may differ).

Example counts are bounded so the suite stays quick; raise them locally with
``ANYIOHTTP_FUZZ=fuzz pytest tests/http/test_fuzz.py``.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyiohttp.http.exceptions import HttpProcessingError
from anyiohttp.http.h11_client import H11ClientParser
from anyiohttp.http.h11_server import H11ServerParser
from anyiohttp.http.parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    InformationalHead,
    RequestHead,
    ResponseHead,
)

httptools = pytest.importorskip("httptools")

from anyiohttp.http.httptools_client import HttptoolsClientParser  # noqa: E402
from anyiohttp.http.httptools_server import HttptoolsServerParser  # noqa: E402

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("ANYIOHTTP_FUZZ", "ci"))

# -- generating messages ------------------------------------------------------------

TOKEN = st.text(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=12,
)
ODD = st.sampled_from(["", " ", "\t", "\x00", "\x7f", "\r", "\n", ":", "é", "\x80", ";", ","])
METHOD = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH"]), TOKEN
)
TARGET = st.one_of(
    st.sampled_from(["/", "/a/b?c=d", "*", "http://h/x", "/%2e%2e/", "/a b", "/\x7f"]),
    st.builds(lambda a, b: "/" + a + b, TOKEN, ODD),
)
VERSION = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/1.", "http/1.1"])
FIELD_VALUE = st.one_of(
    st.text('abcdefghijklmnopqrstuvwxyz0123456789 ,;=/"', max_size=20),
    st.builds(lambda a, b, c: a + b + c, TOKEN, ODD, TOKEN),
)
HEADER = st.one_of(
    st.tuples(TOKEN, FIELD_VALUE),
    st.tuples(st.sampled_from(["Host", "Connection", "Expect", "Upgrade", "Cookie"]), FIELD_VALUE),
    st.tuples(
        st.sampled_from(["Connection", "connection", "CONNECTION"]),
        st.sampled_from(["close", "keep-alive", "Keep-Alive", "\tclose ", "close, x", ""]),
    ),
    st.tuples(st.builds(lambda a, b: a + b, TOKEN, ODD), FIELD_VALUE),
)
BODY = st.binary(max_size=40)


@st.composite
def framed_body(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bytes]:
    """Framing headers and the body bytes they announce (or get wrong)."""
    body = draw(BODY)
    kind = draw(st.sampled_from(["none", "length", "chunked", "both", "bad length", "bad chunks"]))
    if kind == "none":
        return [], b""
    if kind == "length":
        return [("Content-Length", str(len(body)))], body
    if kind == "bad length":
        value = draw(st.sampled_from(["-1", "+3", "0x10", "1 2", "", "٣", str(len(body) + 3)]))
        return [("Content-Length", value)], body
    chunks = b"".join(
        b"%x\r\n%b\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
    )
    encoded = chunks + b"0\r\n\r\n"
    if kind == "bad chunks":
        encoded = draw(
            st.sampled_from(
                [b"zz\r\n", b"5\r\nab\r\n", b"3\nabc\n0\n\n", b"1;x=\x00\r\na\r\n0\r\n\r\n"]
            )
        )
    headers = [
        (
            "Transfer-Encoding",
            draw(st.sampled_from(["chunked", "gzip, chunked", "chunked, gzip", "Chunked"])),
        )
    ]
    if kind == "both":
        headers.append(("Content-Length", str(len(encoded))))
    return headers, encoded


@st.composite
def request_bytes(draw: st.DrawFn) -> bytes:
    framing, body = draw(framed_body())
    headers = draw(st.lists(HEADER, max_size=5)) + framing
    if draw(st.booleans()):
        headers.insert(0, ("Host", "example.com"))
    headers = draw(st.permutations(headers))
    line_end = draw(st.sampled_from(["\r\n"] * 8 + ["\n"]))
    head = f"{draw(METHOD)} {draw(TARGET)} {draw(VERSION)}\r\n" + "".join(
        f"{name}: {value}{line_end}" for name, value in headers
    )
    data = head.encode("utf-8") + b"\r\n" + body
    return mutate(draw, data)


@st.composite
def response_bytes(draw: st.DrawFn) -> bytes:
    framing, body = draw(framed_body())
    headers = draw(st.lists(HEADER, max_size=5)) + framing
    status = draw(st.sampled_from(["200", "204", "304", "404", "100", "103", "999", "20", "abc"]))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/1.x"]))
    head = (
        f"{version} {status} {draw(st.sampled_from(['OK', '', 'Not Found', 'é']))}\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in headers)
    )
    data = head.encode("utf-8") + b"\r\n" + body
    if status in ("100", "103") and draw(st.booleans()):
        data += b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    return mutate(draw, data)


def mutate(draw: st.DrawFn, data: bytes) -> bytes:
    """Most of the time leave it alone; else flip, drop, insert or truncate a byte or two."""
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "drop", "insert", "truncate"]))
        if how == "flip":
            data = data[:where] + bytes([draw(st.integers(0, 255))]) + data[where + 1 :]
        elif how == "drop":
            data = data[:where] + data[where + 1 :]
        elif how == "insert":
            data = (
                data[:where]
                + draw(st.sampled_from([b"\r", b"\n", b" ", b"\x00", b":"]))
                + data[where:]
            )
        else:
            data = data[:where]
    return data


def pieces(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=4))))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# -- running them ---------------------------------------------------------------------


def run_server(parser_class: type[Any], chunks: list[bytes]) -> tuple[list[object], bool]:
    """Feed ``chunks`` then EOF; the events (heads reduced to comparable tuples), and refused?"""
    parser = parser_class()
    out: list[object] = []
    feed = [*chunks, b""]
    body = b""
    for _ in range(10_000):  # bounded: a parser that loops is a failure too
        try:
            event = parser.next_event()
        except HttpProcessingError:
            return out, True
        if event is NEED_DATA:
            if not feed:
                return out, False
            parser.feed(feed.pop(0))
        elif isinstance(event, RequestHead):
            out.append(
                (
                    event.method,
                    event.target,
                    tuple(event.version),
                    _comparable(event.headers.items()),
                    event.keep_alive,
                    event.upgrade,
                    event.chunked,
                    event.content_length,
                )
            )
        elif isinstance(event, bytes):
            body += event
        elif event is END_OF_MESSAGE:
            out.append(body)
            body = b""
        elif event is PAUSED:
            if out and isinstance(out[-1], bytes) and not _upgraded(out):
                parser.start_next_cycle()
            else:
                return out, False
        elif event is CONNECTION_CLOSED:
            return out, False
        else:
            out.append(event)
    raise AssertionError("the parser did not finish")


def _comparable(items: Any) -> tuple[tuple[str, str], ...]:
    # h11 hands Transfer-Encoding values lower-cased; llhttp as sent.
    return tuple(
        (name, value.lower() if name.lower() == "transfer-encoding" else value)
        for name, value in items
    )


def _upgraded(out: list[object]) -> bool:
    heads = [item for item in out if isinstance(item, tuple)]
    return bool(heads) and bool(heads[-1][5])


def run_client(
    parser_class: type[Any], method: str, chunks: list[bytes]
) -> tuple[list[object], bool]:
    parser = parser_class()
    parser.request_head(method, "/", [("Host", "h")])
    parser.request_end()
    out: list[object] = []
    feed = [*chunks, b""]
    body = b""
    for _ in range(10_000):
        try:
            event = parser.next_event()
        except HttpProcessingError:
            return out, True
        if event is NEED_DATA:
            if not feed:
                return out, False
            parser.feed(feed.pop(0))
        elif isinstance(event, ResponseHead):
            out.append((event.status, tuple(event.version), _comparable(event.headers.items())))
        elif isinstance(event, InformationalHead):
            out.append(("informational", event.status))
            if event.status == 101:
                return out, False
        elif isinstance(event, bytes):
            body += event
        elif event is END_OF_MESSAGE:
            out.append(body)
            out.append(("reusable", parser.reusable))
            return out, False
        else:
            out.append(event)
            return out, False
    raise AssertionError("the parser did not finish")


@given(st.data())
def test_request_parsers_agree_and_only_raise_http_errors(data: st.DataObject) -> None:
    raw = data.draw(request_bytes())
    split = pieces(data.draw, raw)
    h11_out = run_server(H11ServerParser, split)
    fast_out = run_server(HttptoolsServerParser, split)
    assert h11_out == fast_out, raw


@given(st.data())
def test_a_head_fed_whole_or_byte_by_byte_gets_the_same_answer(data: st.DataObject) -> None:
    # A head that arrives whole is checked by one match when it has the common
    # shape; one that arrives in pieces is checked line by line as it comes.
    raw = data.draw(request_bytes())
    for parser_class in (H11ServerParser, HttptoolsServerParser):
        whole = run_server(parser_class, [raw])
        bytewise = run_server(parser_class, [raw[i : i + 1] for i in range(len(raw))])
        assert whole == bytewise, (parser_class, raw)


@given(st.data())
def test_response_parsers_agree_and_only_raise_http_errors(data: st.DataObject) -> None:
    raw = data.draw(response_bytes())
    method = data.draw(st.sampled_from(["GET", "HEAD"]))
    split = pieces(data.draw, raw)
    h11_out = run_client(H11ClientParser, method, split)
    fast_out = run_client(HttptoolsClientParser, method, split)
    assert h11_out == fast_out, raw


@given(st.binary(max_size=300), st.data())
def test_random_bytes_never_crash_a_parser(raw: bytes, data: st.DataObject) -> None:
    split = pieces(data.draw, raw)
    for parser_class in (H11ServerParser, HttptoolsServerParser):
        run_server(parser_class, split)
    for parser_class in (H11ClientParser, HttptoolsClientParser):
        run_client(parser_class, "GET", split)


# -- the chunked decoder against llhttp: at least as strict ------------------------

EXTENSION = st.one_of(
    st.builds(lambda n: b";" + n.encode(), TOKEN),
    st.builds(lambda n, v: b";" + n.encode() + b"=" + v.encode(), TOKEN, TOKEN),
    st.builds(lambda n: b";" + n.encode() + b'="a b\\"c"', TOKEN),
)


@st.composite
def chunked_body(draw: st.DrawFn) -> bytes:
    """A chunked body with extensions and trailers, often mutated."""
    body = b""
    for data in draw(st.lists(st.binary(min_size=1, max_size=9), max_size=3)):
        digits = draw(st.sampled_from(["%x", "%X", "%04x"])) % len(data)
        body += digits.encode() + b"".join(draw(st.lists(EXTENSION, max_size=2)))
        body += b"\r\n" + data + b"\r\n"
    body += b"0" + b"".join(draw(st.lists(EXTENSION, max_size=1))) + b"\r\n"
    for name, value in draw(st.lists(st.tuples(TOKEN, TOKEN), max_size=2)):
        body += f"{name}: {value}\r\n".encode()
    return mutate(draw, body + b"\r\n")


class _LlhttpBody:
    def __init__(self) -> None:
        self.body = b""
        self.complete = False

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.complete = True


@given(chunked_body(), st.data())
def test_our_chunked_decoder_accepts_nothing_llhttp_refuses(
    body: bytes, data: st.DataObject
) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    events, refused = run_server(H11ServerParser, pieces(data.draw, head + body))
    if refused or END_OF_MESSAGE not in events:
        return
    ours = b"".join(e for e in events if isinstance(e, bytes))
    llhttp = _LlhttpBody()
    # llhttp refusing what we accepted raises here and fails the test.
    httptools.HttpRequestParser(llhttp).feed_data(head + body)
    assert llhttp.complete
    assert llhttp.body == ours
