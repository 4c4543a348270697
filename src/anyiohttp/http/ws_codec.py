"""wsproto's frame layer, used directly: what the WebSocket engine sends and receives.

wsproto's :class:`~wsproto.connection.Connection` wraps its frame layer
(:mod:`wsproto.frame_protocol`) in events: every message received becomes a
frozen dataclass, every message sent is built as one first, and each text
frame gets a new incremental UTF-8 decoder. For a small message that event
layer costs more than the frame itself. :class:`FrameCodec` speaks to the
frame layer instead, through its public classes (and the decoders a
FrameProtocol makes, which it would otherwise hold unused):

- received bytes go to a :class:`~wsproto.frame_protocol.FrameDecoder`
  (header, lengths, masking, reserved bits, extensions: all wsproto's); a
  frame that is a whole message by itself (the common case) is decoded in
  one ``bytes.decode``, which is what wsproto's
  :class:`~wsproto.frame_protocol.MessageDecoder` does for it; fragments and
  partial frames go through that MessageDecoder, as in wsproto;
- what is sent is serialized by a :class:`~wsproto.frame_protocol.FrameProtocol`
  (``send_data``, ``ping``, ``pong``, ``close``);
- the four connection states, and what each allows, are the Connection's.

One departure from wsproto's own objects: a masked frame is unmasked with
integer XOR (done in C by the interpreter) instead of wsproto's four
``bytes.translate`` passes, by giving the decoder a masker of the same
interface once it has parsed the header. wsproto's own code still finds
the frames, their lengths and their masking keys.
"""

from __future__ import annotations

from typing import Any

from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Event, Ping, Pong
from wsproto.extensions import Extension
from wsproto.frame_protocol import (
    CloseReason,
    Frame,
    FrameDecoder,
    FrameProtocol,
    MessageDecoder,
    Opcode,
    ParseFailed,
    XorMaskerSimple,
)
from wsproto.utilities import LocalProtocolError

__all__ = ("FrameCodec", "IntMasker")

_OPEN = ConnectionState.OPEN
_LOCAL_CLOSING = ConnectionState.LOCAL_CLOSING
_REMOTE_CLOSING = ConnectionState.REMOTE_CLOSING
_CLOSED = ConnectionState.CLOSED
_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY


class IntMasker:
    """wsproto's ``XorMaskerSimple`` interface, unmasking with one integer XOR.

    ``process`` may be called several times for one frame (its payload
    arriving in pieces): the key turns as wsproto's does, so each piece
    continues where the last one stopped.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def process(self, data: bytearray) -> bytes:
        """``data`` unmasked (bytes: wsproto makes bytes of what it returns anyway)."""
        size = len(data)
        if not size:
            return b""
        key = self._key
        mask = (key * ((size >> 2) + 1))[:size]
        turn = size & 3
        if turn:
            self._key = key[turn:] + key[:turn]
        return (int.from_bytes(data, "little") ^ int.from_bytes(mask, "little")).to_bytes(
            size, "little"
        )


def _faster_masker(masker: XorMaskerSimple) -> IntMasker | None:
    """An IntMasker for wsproto's masker, if its key is where wsproto 1.2 and 1.3 keep it."""
    key = getattr(masker, "_masking_key", None)
    if not isinstance(key, bytes | bytearray) or len(key) != 4:
        return None
    return IntMasker(bytes(key))


class FrameCodec:
    """One WebSocket connection's frames, after the handshake (either side).

    :meth:`next_event` gives what the received bytes hold, one at a time:

    - a whole message: ``str`` (text) or ``bytes`` (binary);
    - a part of a longer message: a wsproto ``Frame`` whose ``opcode`` is the
      message's (TEXT or BINARY), ``payload`` the part (``str`` for text)
      and ``message_finished`` True on the last part;
    - ``Ping``, ``Pong`` or ``CloseConnection`` (wsproto's events);
    - a ``CloseConnection`` while :attr:`state` is still OPEN: what the
      peer sent could not be parsed (its code says why: 1002, 1007, 1009);
      nothing more is parsed after it, as after a Close;
    - ``None``: more bytes are needed.
    """

    __slots__ = ("_decoder", "_encoder", "_messages", "_reading", "client", "state")

    def __init__(
        self, client: bool, extensions: list[Extension] | None = None, trailing_data: bytes = b""
    ) -> None:
        #: True on the client side (which masks what it sends).
        self.client = client
        #: wsproto's connection state, kept as its Connection keeps it.
        self.state = _OPEN
        self._encoder = FrameProtocol(client, extensions or [])
        # The FrameProtocol makes a FrameDecoder (with its enabled extensions:
        # permessage-deflate keeps each direction's state apart in one object)
        # and a MessageDecoder that its receive path, which is not used here,
        # would feed: they are ours to use, not a second pair for every
        # WebSocket to hold (half a kilobyte).
        decoder = getattr(self._encoder, "_frame_decoder", None)
        messages = getattr(self._encoder, "_message_decoder", None)
        if type(decoder) is not FrameDecoder or type(messages) is not MessageDecoder:
            decoder = FrameDecoder(client, self._encoder.extensions)  # pragma: no cover
            messages = MessageDecoder()  # pragma: no cover - another wsproto's layout
        self._decoder: FrameDecoder = decoder
        self._messages: MessageDecoder = messages
        self._reading = True
        if trailing_data:
            self._decoder.receive_bytes(trailing_data)

    # -- receiving --------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer (ignored once the peer closed, as wsproto does)."""
        state = self.state
        if state is _OPEN or state is _LOCAL_CLOSING:
            self._decoder.receive_bytes(data)
        elif state is _CLOSED:
            raise LocalProtocolError("Connection already closed.")

    def next_event(self) -> str | bytes | Frame | Event | None:
        """The next thing the received bytes hold (see the class docstring), or None."""
        if not self._reading:
            return None
        decoder = self._decoder
        try:
            if decoder.header is None:
                # (Between frames, the buffer is empty after most reads.)
                if not decoder.buffer.buffer or not decoder.parse_header():
                    return None
                masker = decoder.masker
                if type(masker) is XorMaskerSimple:
                    faster = _faster_masker(masker)
                    if faster is not None:
                        decoder.masker = faster  # type: ignore[assignment]  # same interface
            frame = decoder.process_buffer()
            if frame is None:
                return None
            opcode = frame.opcode
            if opcode is _TEXT or opcode is _BINARY:
                if (
                    frame.message_finished
                    and frame.frame_finished
                    and self._messages.opcode is None
                ):
                    # A whole message in one frame: what MessageDecoder
                    # would do (one final decode) without a decoder object.
                    payload: Any = frame.payload
                    if opcode is _BINARY:
                        return payload  # type: ignore[no-any-return]  # bytes
                    try:
                        return payload.decode("utf-8")  # type: ignore[no-any-return]  # str
                    except UnicodeDecodeError as exc:
                        raise ParseFailed(str(exc), CloseReason.INVALID_FRAME_PAYLOAD_DATA) from exc
                return self._messages.process_frame(frame)
            if opcode is Opcode.CONTINUATION:
                return self._messages.process_frame(frame)
            return self._control(frame)
        except ParseFailed as exc:
            self._reading = False
            return CloseConnection(code=exc.code, reason=str(exc))

    def _control(self, frame: Frame) -> Event:
        opcode = frame.opcode
        if opcode is Opcode.PING:
            return Ping(payload=bytes(frame.payload))  # type: ignore[arg-type]  # bytes
        if opcode is Opcode.PONG:
            return Pong(payload=bytes(frame.payload))  # type: ignore[arg-type]  # bytes
        # Close: wsproto's FrameProtocol checks its code and reason.
        # (A method of FrameProtocol's that only reads the frame it is given.)
        code, reason = self._encoder._process_close(frame).payload  # type: ignore[str-unpack]  # a tuple
        self._reading = False  # nothing after a Close is parsed (as wsproto)
        self.state = _CLOSED if self.state is _LOCAL_CLOSING else _REMOTE_CLOSING
        return CloseConnection(code=code, reason=reason)  # type: ignore[arg-type]  # int, str

    # -- sending ----------------------------------------------------------------

    def send_data(self, data: str | bytes) -> bytes:
        """A whole text (str) or binary (bytes) message as one frame."""
        if self.state is not _OPEN:
            raise LocalProtocolError(f"A message cannot be sent in state {self.state}.")
        return bytes(self._encoder.send_data(data, True))

    def send(self, event: Event) -> bytes:
        """A Ping, Pong or CloseConnection as a frame (as wsproto's Connection.send)."""
        state = self.state
        if isinstance(event, Ping) and state is _OPEN:
            return bytes(self._encoder.ping(event.payload))
        if isinstance(event, Pong) and state is _OPEN:
            return bytes(self._encoder.pong(event.payload))
        if isinstance(event, CloseConnection) and (state is _OPEN or state is _REMOTE_CLOSING):
            data = bytes(self._encoder.close(event.code, event.reason))
            self.state = _CLOSED if state is _REMOTE_CLOSING else _LOCAL_CLOSING
            return data
        raise LocalProtocolError(f"Event {event} cannot be sent in state {state}.")
