"""FrameCodec (wsproto's frame layer used directly) against wsproto's own Connection.

What a client's wsproto Connection sends must come out of the codec as the
same messages, however the bytes are cut; what the codec sends must be read
back by wsproto's Connection as sent.
"""

from __future__ import annotations

import os

import pytest
from wsproto import ConnectionType
from wsproto.connection import Connection, ConnectionState
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.frame_protocol import Frame, XorMaskerSimple

from anyiohttp.http.ws_codec import FrameCodec, IntMasker


def _drain(codec: FrameCodec) -> list[object]:
    out = []
    while (event := codec.next_event()) is not None:
        out.append(event)
    return out


def _messages(events: list[object]) -> list[object]:
    """Whole messages: parts joined, control events as they are."""
    result: list[object] = []
    parts: list[object] = []
    for event in events:
        if isinstance(event, Frame):
            parts.append(event.payload)
            if event.message_finished:
                result.append(parts[0][:0].join(parts))  # type: ignore[index]
                parts = []
        else:
            result.append(event)
    return result


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 16, 125, 126, 1000, 65535, 65536, 70001])
@pytest.mark.parametrize("step", [1, 7, None])
def test_masked_messages_any_cut(size: int, step: int | None) -> None:
    client = Connection(ConnectionType.CLIENT)
    text = "é" * (size // 2) + "x" * (size % 2)
    data = os.urandom(size)
    wire = client.send(TextMessage(data=text)) + client.send(BytesMessage(data=data))
    wire += client.send(Ping(payload=b"hi"))
    codec = FrameCodec(False)
    events: list[object] = []
    if step is None or size > 2000:
        step = max(len(wire) // 3, 1)
    for start in range(0, len(wire), step):
        codec.receive_data(wire[start : start + step])
        events += _drain(codec)
    assert _messages(events) == [text, data, Ping(payload=b"hi")]


def test_fragmented_message_and_interleaved_ping() -> None:
    client = Connection(ConnectionType.CLIENT)
    wire = client.send(TextMessage(data="ab", message_finished=False))
    wire += client.send(Ping(payload=b"p"))
    wire += client.send(TextMessage(data="cd", message_finished=True))
    codec = FrameCodec(False, trailing_data=wire)
    assert _messages(_drain(codec)) == [Ping(payload=b"p"), "abcd"]


def test_bad_utf8_fails_with_1007_and_parsing_stops() -> None:
    client = Connection(ConnectionType.CLIENT)
    wire = client.send(BytesMessage(data=b"\xff"))
    wire = bytes([wire[0] & 0xF0 | 0x1]) + wire[1:]  # the same frame, as text
    codec = FrameCodec(False, trailing_data=wire + client.send(TextMessage(data="later")))
    events = _drain(codec)
    assert len(events) == 1 and isinstance(events[0], CloseConnection)
    assert events[0].code == 1007
    assert codec.state is ConnectionState.OPEN  # a failure, not the peer's Close


def test_unmasked_frame_to_server_fails_with_1002() -> None:
    server_side = Connection(ConnectionType.SERVER)  # sends unmasked frames
    codec = FrameCodec(False, trailing_data=server_side.send(TextMessage(data="x")))
    (event,) = _drain(codec)
    assert isinstance(event, CloseConnection) and event.code == 1002


def test_close_handshake_states() -> None:
    client = Connection(ConnectionType.CLIENT)
    codec = FrameCodec(False, trailing_data=client.send(CloseConnection(code=1001, reason="bye")))
    assert _drain(codec) == [CloseConnection(code=1001, reason="bye")]
    assert codec.state is ConnectionState.REMOTE_CLOSING
    echo = codec.send(CloseConnection(code=1001, reason="bye"))
    assert codec.state is ConnectionState.CLOSED
    client.receive_data(echo)
    assert list(client.events()) == [CloseConnection(code=1001, reason="bye")]


def test_what_the_codec_sends_wsproto_reads() -> None:
    codec = FrameCodec(True)  # the client side masks
    server = Connection(ConnectionType.SERVER)
    server.receive_data(
        codec.send_data("héllo")
        + codec.send_data(b"\x00\x01")
        + codec.send(Ping(payload=b"1"))
        + codec.send(Pong(payload=b"2"))
        + codec.send(CloseConnection(code=1000, reason=""))
    )
    events = list(server.events())
    assert [type(e) for e in events] == [TextMessage, BytesMessage, Ping, Pong, CloseConnection]
    assert events[0].data == "héllo" and events[1].data == b"\x00\x01"
    assert codec.state is ConnectionState.LOCAL_CLOSING
    with pytest.raises(Exception, match="cannot be sent"):
        codec.send_data("after close")


@pytest.mark.parametrize("cuts", [[16], [1, 15], [3, 5, 8], [4, 4, 4, 4], [2, 3, 11]])
def test_int_masker_matches_wsproto_across_pieces(cuts: list[int]) -> None:
    key = os.urandom(4)
    payload = os.urandom(sum(cuts))
    ours, theirs = IntMasker(key), XorMaskerSimple(key)
    at = 0
    for cut in cuts:
        piece = bytearray(payload[at : at + cut])
        assert ours.process(piece) == bytes(theirs.process(piece))
        at += cut
