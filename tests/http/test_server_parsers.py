"""The request parsers (h11, and httptools when installed), fed plain bytes (no sockets).

Every test runs on each parser: they must give the same events and errors.
"""

from __future__ import annotations

import pytest

from anyiohttp.http.exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from anyiohttp.http.h11_server import H11ServerParser
from anyiohttp.http.head_check import HeadCheckingParser
from anyiohttp.http.parser import (
    CONNECTION_CLOSED,
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    HttpVersion10,
    HttpVersion11,
    RequestHead,
)

try:
    from anyiohttp.http.httptools_server import HttptoolsServerParser
except ImportError:  # pragma: no cover - httptools is in the test extra
    HttptoolsServerParser = None  # type: ignore[assignment,misc]

PARSERS = [H11ServerParser] + ([HttptoolsServerParser] if HttptoolsServerParser else [])


Parser: type[HeadCheckingParser] = H11ServerParser  # set per test by the fixture below


@pytest.fixture(params=PARSERS, ids=lambda cls: cls.__name__, autouse=True)
def parser_class(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Run every test of this module once per parser (as ``Parser``)."""
    monkeypatch.setitem(globals(), "Parser", request.param)
    return request.param  # type: ignore[no-any-return]


def events(parser: HeadCheckingParser) -> list[object]:
    out: list[object] = []
    while True:
        event = parser.next_event()
        out.append(event)
        if event in (NEED_DATA, END_OF_MESSAGE, PAUSED, CONNECTION_CLOSED):
            return out


def parse(data: bytes, **limits: int) -> list[object]:
    parser = Parser(**limits)
    parser.feed(data)
    return events(parser)


def test_simple_get_gives_head_then_end() -> None:
    head, end = parse(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n")
    assert isinstance(head, RequestHead)
    assert head.method == "GET"
    assert head.target == "/a?b=1"
    assert head.version == HttpVersion11
    assert head.headers["host"] == "x"
    assert list(head.headers) == ["Host", "User-Agent"]  # original case kept
    assert head.keep_alive
    assert not head.upgrade and not head.expect_continue
    assert end is END_OF_MESSAGE


def test_body_by_content_length_arrives_in_pieces() -> None:
    parser = Parser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
    head, chunk, need = events(parser)
    assert isinstance(head, RequestHead) and head.content_length == 10
    assert chunk == b"hello"
    assert need is NEED_DATA
    parser.feed(b"world")
    assert events(parser) == [b"world", END_OF_MESSAGE]


def test_chunked_body() -> None:
    out = parse(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    assert isinstance(out[0], RequestHead) and out[0].chunked
    assert b"".join(x for x in out if isinstance(x, bytes)) == b"hello world"
    assert out[-1] is END_OF_MESSAGE


def test_two_pipelined_requests_in_one_feed() -> None:
    parser = Parser()
    parser.feed(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
    first = events(parser)
    assert isinstance(first[0], RequestHead) and first[0].target == "/1"
    assert parser.next_event() is PAUSED  # nothing more until the next cycle
    parser.start_next_cycle()
    second = events(parser)
    assert isinstance(second[0], RequestHead) and second[0].target == "/2"


def test_head_split_across_feeds_one_byte_at_a_time() -> None:
    parser = Parser()
    data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    for i in range(len(data) - 1):
        parser.feed(data[i : i + 1])
        assert parser.next_event() is NEED_DATA
    parser.feed(data[-1:])
    assert isinstance(parser.next_event(), RequestHead)


def test_eof_between_requests_is_connection_closed() -> None:
    parser = Parser()
    parser.feed(b"")
    assert parser.next_event() is CONNECTION_CLOSED


def test_eof_in_the_middle_of_a_head_is_an_error() -> None:
    parser = Parser()
    parser.feed(b"GET / HTTP/1.1\r\nHo")
    parser.feed(b"")
    with pytest.raises(BadStatusLine):
        parser.next_event()


def test_eof_in_the_middle_of_a_body() -> None:
    parser = Parser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    events(parser)
    parser.feed(b"")
    with pytest.raises(ContentLengthError):
        parser.next_event()


def test_eof_in_the_middle_of_a_chunked_body() -> None:
    parser = Parser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
    events(parser)
    parser.feed(b"")
    with pytest.raises(TransferEncodingError):
        parser.next_event()


def test_http10_keep_alive_only_when_asked() -> None:
    (head, _) = parse(b"GET / HTTP/1.0\r\n\r\n")
    assert isinstance(head, RequestHead)
    assert head.version == HttpVersion10 and not head.keep_alive
    (head, _) = parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert isinstance(head, RequestHead) and head.keep_alive


def test_connection_close_token() -> None:
    (head, _) = parse(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n")
    assert isinstance(head, RequestHead) and not head.keep_alive


def test_expect_continue_and_upgrade_flags() -> None:
    head = parse(
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    )[0]
    assert isinstance(head, RequestHead) and head.expect_continue
    out = parse(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nRAW"
    )
    head = out[0]
    assert isinstance(head, RequestHead) and head.upgrade
    assert out[1] is END_OF_MESSAGE


def test_trailing_data_after_upgrade_request() -> None:
    parser = Parser()
    parser.feed(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00"
    )
    events(parser)
    assert parser.trailing_data == b"\x81\x00"


def test_leading_empty_lines_are_ignored() -> None:
    head = parse(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")[0]
    assert isinstance(head, RequestHead)


# -- what h11 alone would accept and we refuse -----------------------------------


def test_content_length_with_transfer_encoding_is_refused() -> None:
    with pytest.raises(BadHttpMessage, match="both present"):
        parse(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )


def test_duplicate_content_length_is_refused_even_if_equal() -> None:
    with pytest.raises(InvalidHeader, match="duplicate Content-Length"):
        parse(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na")


def test_duplicate_host_is_refused() -> None:
    with pytest.raises(InvalidHeader, match="duplicate Host"):
        parse(b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")


@pytest.mark.parametrize("value", ["١٢", "+1", "-1", "1_0", "0x10", "1 2", ""])
def test_content_length_must_be_ascii_digits(value: str) -> None:
    data = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\n".encode()
    with pytest.raises(InvalidHeader, match="decimal digits"):
        parse(data)


def test_bare_lf_line_endings_are_refused() -> None:
    with pytest.raises(BadHttpMessage, match="Bare LF"):
        parse(b"GET / HTTP/1.1\nHost: x\n\n")
    with pytest.raises(BadHttpMessage, match="Bare LF"):
        parse(b"GET / HTTP/1.1\r\nHost: x\n\r\n")


def test_bare_lf_is_refused_before_the_head_ends() -> None:
    # The first line already shows it: no need to wait (and time out).
    parser = Parser()
    parser.feed(b"GET / HTTP/1.1\n")
    with pytest.raises(BadHttpMessage, match="Bare LF"):
        parser.next_event()


def test_obs_fold_is_refused() -> None:
    with pytest.raises(InvalidHeader, match="folding"):
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n")


def test_request_line_over_the_limit() -> None:
    with pytest.raises(LineTooLong):
        parse(b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n", max_line_size=50)


def test_header_line_over_the_limit_counted_across_feeds() -> None:
    parser = Parser(max_field_size=100)
    parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
    assert parser.next_event() is NEED_DATA
    for _ in range(4):
        parser.feed(b"a" * 20)  # each piece is small, the line is not
        assert parser.next_event() is NEED_DATA
    parser.feed(b"a" * 20)
    with pytest.raises(LineTooLong):
        parser.next_event()


def test_header_of_20kb_is_refused_by_default() -> None:
    with pytest.raises(LineTooLong):
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")


def test_too_many_headers() -> None:
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(11))
    with pytest.raises(BadHttpMessage, match="Too many headers"):
        parse(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", max_headers=10)
    # exactly at the limit is fine
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(9))
    assert isinstance(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", max_headers=10)[0], RequestHead
    )


@pytest.mark.parametrize(
    "line",
    [b"GET /", b"GET / HTTP/1.1 extra", b"GET  / HTTP/1.1", b"GET / HTTP/2.0", b"GET / FTP/1.1"],
)
def test_malformed_request_lines(line: bytes) -> None:
    with pytest.raises(BadStatusLine):
        parse(line + b"\r\nHost: x\r\n\r\n")


def test_non_token_method_is_refused_at_once() -> None:
    parser = Parser()
    parser.feed(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a TLS ClientHello
    with pytest.raises(BadHttpMethod, match="HTTPS traffic"):
        parser.next_event()


def test_missing_host_on_http11_is_refused_by_h11() -> None:
    with pytest.raises(BadHttpMessage):
        parse(b"GET / HTTP/1.1\r\n\r\n")


def test_bad_chunk_size_is_refused() -> None:
    parser = Parser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
    with pytest.raises(BadHttpMessage):
        events(parser)


def test_transfer_encoding_other_than_chunked_is_refused() -> None:
    with pytest.raises(BadHttpMessage) as info:
        parse(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
    assert info.value.code in (400, 501)


@pytest.mark.parametrize(
    "method", ["PURGE", "BREW", "M-SEARCH", "PROPFIND", "DESCRIBE", "PLAY", "SETUP", "QUERY"]
)
def test_extension_methods_are_any_token(method: str) -> None:
    # llhttp knows a fixed list, and reads some names (PLAY, SETUP) as RTSP.
    head, end = parse(f"{method} /x HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert isinstance(head, RequestHead) and head.method == method
    assert end is END_OF_MESSAGE


@pytest.mark.parametrize("ctl", [b"\x01", b"\x08", b"\x0b", b"\x1f", b"\x7f"])
def test_control_characters_in_a_field_are_refused(ctl: bytes) -> None:
    with pytest.raises(InvalidHeader, match="control character"):
        parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a" + ctl + b"b\r\n\r\n")


def test_tab_and_obs_text_in_a_value_are_kept() -> None:
    head = parse(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\xe9  \r\n\r\n")[0]
    assert isinstance(head, RequestHead)
    assert head.headers["X-A"] == "a\tb\udce9"  # surrogateescape keeps the byte; no trailing OWS


@pytest.mark.parametrize("target", [b"http//h/x", b"?x", b"h:80", b"mailto:x", b"1http://h"])
def test_a_target_in_no_request_target_form_is_refused(target: bytes) -> None:
    with pytest.raises(BadStatusLine, match="Invalid request target"):
        parse(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")


@pytest.mark.parametrize("target", ["/a", "*", "http://h/x", "HTTPS://h"])
def test_the_request_target_forms_are_accepted(target: str) -> None:
    head = parse(f"OPTIONS {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())[0]
    assert isinstance(head, RequestHead) and head.target == target


# -- chunked framing: one strict decoder for both parsers (no smuggling) -------------

CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunked_events(body: bytes, **limits: int) -> list[object]:
    """Events for a chunked request whose body bytes are ``body``, fed one byte at a time."""
    parser = Parser(**limits)
    parser.feed(CHUNKED_HEAD)
    out: list[object] = []
    for i in range(len(body)):
        parser.feed(body[i : i + 1])
        while True:
            event = parser.next_event()
            if event is NEED_DATA:
                break
            out.append(event)
            if event is END_OF_MESSAGE:
                return out
    return out


@pytest.mark.parametrize(
    "size_line",
    [
        b"5;a=\x00",  # NUL in an extension value
        b"5;a\x00",  # ... in its name
        b"5;a\rb",  # bare CR in the chunk-size line
        b"5;a\nb",  # bare LF
        b"5\r",  # CR CR LF
        b"5 ",  # whitespace after the size (llhttp refuses it too)
        b"5 ;a",
        b"5; a",
        b"5;a = b",
        b"5;",  # an empty extension
        b"5;a=",
        b"5;a=\x7f",
        b'5;a="b\x01"',  # CTL inside a quoted string
        b"10000000000000005",  # 17 hex digits: 2**64 + 5
        b"0x5",
        b"+5",
        b"-5",
        b"",
    ],
)
def test_a_bad_chunk_size_line_is_refused(size_line: bytes) -> None:
    with pytest.raises(BadHttpMessage) as info:
        chunked_events(size_line + b"\r\nhello\r\n0\r\n\r\n")
    assert info.value.code == 400


@pytest.mark.parametrize(
    "size_line",
    [b"5", b"05", b"0000000000000005", b"5;a", b"5;a=b", b'5;a="x y\t\\"z"', b"5;a=b;c;d=e"],
)
def test_chunk_extensions_within_the_grammar_are_accepted(size_line: bytes) -> None:
    out = chunked_events(size_line + b"\r\nhello\r\n0\r\n\r\n")
    assert b"".join(e for e in out if isinstance(e, bytes)) == b"hello"
    assert out[-1] is END_OF_MESSAGE


@pytest.mark.parametrize("after_data", [b"XX", b"\r\r\n", b"\n", b"\rX", b"\r0\r\n\r\n"], ids=repr)
def test_chunk_data_must_be_followed_by_crlf_exactly(after_data: bytes) -> None:
    with pytest.raises(TransferEncodingError):
        chunked_events(b"5\r\nhello" + after_data + b"0\r\n\r\n")


def test_a_bad_chunk_is_refused_before_its_line_ends() -> None:
    # No waiting for a CRLF that a smuggler never sends: the bare CR is enough.
    parser = Parser()
    parser.feed(CHUNKED_HEAD + b"5;a\rb")
    with pytest.raises(TransferEncodingError, match="Bare CR"):
        events(parser)


def test_a_chunk_size_line_over_max_line_size_is_refused() -> None:
    long_ext = b"5;" + b"a" * 200
    with pytest.raises(LineTooLong):
        chunked_events(long_ext + b"\r\nhello\r\n0\r\n\r\n", max_line_size=100)
    # the same line under the limit passes
    assert chunked_events(long_ext + b"\r\nhello\r\n0\r\n\r\n")[-1] is END_OF_MESSAGE


def test_trailers_are_checked_and_dropped() -> None:
    out = chunked_events(b"5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other:\tv\r\n\r\n")
    assert b"".join(e for e in out if isinstance(e, bytes)) == b"hello"
    assert out[-1] is END_OF_MESSAGE


@pytest.mark.parametrize(
    "trailer",
    [b"X-Sum 1", b" X-Sum: 1", b"X-Sum: a\x00b", b": v", b"X\rY: 1", b"X-Sum: 1\nY: 2"],
    ids=repr,
)
def test_a_malformed_trailer_is_refused(trailer: bytes) -> None:
    with pytest.raises(BadHttpMessage):
        chunked_events(b"5\r\nhello\r\n0\r\n" + trailer + b"\r\n\r\n")


def test_trailers_are_limited_like_headers() -> None:
    with pytest.raises(LineTooLong):
        chunked_events(b"0\r\nX: " + b"v" * 200 + b"\r\n\r\n", max_field_size=100)
    with pytest.raises(BadHttpMessage, match="Too many trailers"):
        chunked_events(b"0\r\n" + b"X: v\r\n" * 6 + b"\r\n", max_headers=5)
    assert chunked_events(b"0\r\n" + b"X: v\r\n" * 5 + b"\r\n", max_headers=5) == [
        chunked_events(b"0\r\n\r\n")[0],
        END_OF_MESSAGE,
    ]


def test_bytes_after_bad_framing_are_never_a_request() -> None:
    parser = Parser()
    parser.feed(
        CHUNKED_HEAD + b"5;a=\x00\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert isinstance(parser.next_event(), RequestHead)
    with pytest.raises(TransferEncodingError):
        parser.next_event()


def test_http10_request_with_transfer_encoding_is_not_kept_alive() -> None:
    # "... MUST treat the message as if the framing is faulty ... and close the
    # connection after processing the message" -- RFC 9112 6.1
    head, data, end = parse(
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    )
    assert isinstance(head, RequestHead)
    assert head.version == HttpVersion10 and head.chunked and not head.keep_alive
    assert data == b"hello" and end is END_OF_MESSAGE


@pytest.mark.parametrize(
    "codings",
    [
        [b"gzip, chunked"],
        [b"chunked, chunked"],
        [b"chunked", b"chunked"],
        [b"gzip", b"chunked"],
        [b"identity"],
        [b"chunked;q=1"],
    ],
    ids=repr,
)
def test_only_one_plain_chunked_coding_is_understood(codings: list[bytes]) -> None:
    fields = b"".join(b"Transfer-Encoding: " + c + b"\r\n" for c in codings)
    with pytest.raises(BadHttpMessage) as info:
        parse(b"POST / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n0\r\n\r\n")
    assert info.value.code == 501


def test_chunked_coding_name_is_case_insensitive() -> None:
    head, end = parse(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n")
    assert isinstance(head, RequestHead) and head.chunked and end is END_OF_MESSAGE


@pytest.mark.parametrize(
    "target", [b"", b"example.com", b"example.com:", b"/x", b"http://h/", b"a:b", b"h:123456"]
)
def test_connect_takes_only_the_authority_form(target: bytes) -> None:
    # "authority-form = uri-host ":" port" -- RFC 9112 3.2.3; an empty target
    # (two spaces) made llhttp read HTTP/0.9.
    with pytest.raises(BadStatusLine, match="Invalid request target"):
        parse(b"CONNECT " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n")


@pytest.mark.parametrize("target", ["example.com:443", "[::1]:8080", "127.0.0.1:80"])
def test_connect_with_an_authority_is_parsed(target: str) -> None:
    head = parse(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())[0]
    assert isinstance(head, RequestHead) and head.target == target and head.upgrade
