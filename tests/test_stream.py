"""Our lean TCP streams (one per backend, for client and server) keep anyio's contract."""

from __future__ import annotations

import math
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import anyio.abc
import pytest

from anyiohttp._asyncio_stream import AsyncioSocketStream
from anyiohttp._backend import clock, on_asyncio
from anyiohttp._stream import LeanStream, PeerState, connect_tcp, direct_stream, inner_stream

pytestmark = pytest.mark.anyio

MB = 1024 * 1024


async def test_each_backend_gets_its_lean_stream() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        stream = await connect_tcp("127.0.0.1", port)
        async with stream:
            if on_asyncio():
                assert isinstance(stream, AsyncioSocketStream)
            else:
                from anyiohttp._trio_stream import TrioSocketStream

                assert isinstance(stream, TrioSocketStream)
            assert stream.extra(anyio.abc.SocketAttribute.remote_port) == port
            assert direct_stream(stream) is stream and inner_stream(stream) is stream


async def test_peer_state_tells_idle_unread_and_closed_without_reading() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with await connect_tcp("127.0.0.1", port) as stream:
            assert isinstance(stream, LeanStream)
            async with await listener.listeners[0].accept() as server_side:
                assert stream.peer_state() is PeerState.IDLE
                await server_side.send(b"x")
                with anyio.fail_after(5):
                    while stream.peer_state() is PeerState.IDLE:
                        await anyio.sleep(0.01)
                assert stream.peer_state() is PeerState.UNREAD
                assert await stream.receive() == b"x"  # the look read nothing
                assert stream.peer_state() is PeerState.IDLE
            with anyio.fail_after(5):
                while stream.peer_state() is PeerState.IDLE:
                    await anyio.sleep(0.01)
            assert stream.peer_state() is PeerState.CLOSED


async def test_a_reader_of_a_full_socket_lets_other_tasks_run() -> None:
    """Reads that never wait still yield now and then: a fast peer cannot starve the loop."""
    payload = b"z" * (4 * MB)
    ticks = 0
    reading = True

    async def ticker() -> None:
        nonlocal ticks
        while reading:
            ticks += 1
            await anyio.sleep(0)

    async with silent_peer() as (stream, peer):
        async with stream:
            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.to_thread.run_sync, peer.sendall, payload)
                tg.start_soon(ticker)
                got = 0
                with anyio.fail_after(10):
                    while got < len(payload):
                        got += len(await stream.receive(256))  # most of them find data
                reading = False
    # At the least once per buffer refill (asyncio) or per 16 reads in a row (trio).
    assert ticks >= 8


async def test_receive_deadline_is_a_timeout_error_and_the_stream_stays_usable() -> None:
    async with silent_peer() as (stream, peer):
        async with stream:
            receive = getattr(stream, "receive")  # noqa: B009 - the lean streams' own keyword
            start = clock()()
            with pytest.raises(TimeoutError):
                await receive(65536, deadline=start + 0.05)
            assert clock()() - start >= 0.04
            peer.sendall(b"later")
            with anyio.fail_after(5):
                assert await receive(65536, deadline=math.inf) == b"later"


async def test_a_receive_in_a_cancelled_scope_with_data_waiting() -> None:
    """trio's rule: every operation checks for cancellation first. asyncio's:
    buffered bytes come back without a suspension (as StreamReader.read), and
    cancellation arrives at the next real wait. Either way nothing is lost."""
    async with silent_peer() as (stream, peer):
        async with stream:
            peer.sendall(b"ready")
            await anyio.sleep(0.05)
            got = b""
            with anyio.CancelScope() as scope:
                scope.cancel()
                got = await stream.receive()
            if on_asyncio():
                assert got == b"ready"
            else:
                assert scope.cancelled_caught and got == b""
                assert await stream.receive() == b"ready"


async def test_bulk_both_ways_with_a_slow_reader_and_eof() -> None:
    """5 MiB each way; the peer reads slowly, so both sides' flow control engages."""
    payload = bytes(range(256)) * (5 * MB // 256)
    received_by_peer = bytearray()
    peer_done = anyio.Event()

    async def peer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            async with anyio.create_task_group() as tg:

                async def write_back() -> None:
                    for i in range(0, len(payload), 256 * 1024):
                        await stream.send(payload[i : i + 256 * 1024])
                    await stream.send_eof()

                tg.start_soon(write_back)
                while len(received_by_peer) < len(payload):
                    received_by_peer.extend(await stream.receive())
                    await anyio.sleep(0)
        peer_done.set()

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, peer)
            with anyio.fail_after(30):
                async with await connect_tcp("127.0.0.1", port) as stream:
                    got = bytearray()

                    async def reader() -> None:
                        while True:
                            try:
                                got.extend(await stream.receive(100_000))
                            except anyio.EndOfStream:
                                return
                            if len(got) < MB:
                                await anyio.sleep(0.001)  # slow at first: the buffer fills

                    async with anyio.create_task_group() as inner:
                        inner.start_soon(reader)
                        await stream.send(payload)
                    assert bytes(got) == payload
                    with pytest.raises(anyio.EndOfStream):
                        await stream.receive()
                await peer_done.wait()  # it sent everything before it finished reading
            assert bytes(received_by_peer) == payload
            tg.cancel_scope.cancel()


async def test_cancelled_receive_leaves_the_stream_usable() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with await connect_tcp("127.0.0.1", port) as stream:
            async with await listener.listeners[0].accept() as server_side:
                with anyio.move_on_after(0.05) as scope:
                    await stream.receive()
                assert scope.cancelled_caught
                await server_side.send(b"after the cancel")
                with anyio.fail_after(5):
                    assert await stream.receive() == b"after the cancel"


async def test_receive_max_bytes_splits_and_keeps_the_rest() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with await connect_tcp("127.0.0.1", port) as stream:
            async with await listener.listeners[0].accept() as server_side:
                await server_side.send(b"abcdef")
                await server_side.aclose()
                got = b""
                with anyio.fail_after(5):
                    while True:
                        try:
                            chunk = await stream.receive(2)
                        except anyio.EndOfStream:
                            break
                        assert len(chunk) <= 2
                        got += chunk
                assert got == b"abcdef"


async def test_closed_stream_raises_closed_resource_error() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        stream = await connect_tcp("127.0.0.1", port)
        await stream.aclose()
        with pytest.raises(anyio.ClosedResourceError):
            await stream.receive()
        with pytest.raises(anyio.ClosedResourceError):
            await stream.send(b"x")


async def test_aclose_from_another_task_wakes_the_reader() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        stream = await connect_tcp("127.0.0.1", port)
        outcome: list[type[BaseException]] = []

        async def reader() -> None:
            try:
                await stream.receive()
            except (anyio.ClosedResourceError, anyio.EndOfStream, anyio.BrokenResourceError) as exc:
                outcome.append(type(exc))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(reader)
                await anyio.sleep(0.05)
                await stream.aclose()
        assert outcome == [anyio.ClosedResourceError]


async def test_connection_refused_is_an_oserror() -> None:
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
    # anyio raises a plain OSError ("All connection attempts failed"), asyncio the subclass.
    with pytest.raises(OSError):  # noqa: PT011
        await connect_tcp("127.0.0.1", port)


@asynccontextmanager
async def silent_peer() -> AsyncIterator[tuple[anyio.abc.SocketStream, socket.socket]]:
    """Our stream to a plain socket no event loop polls: nothing is read unless asked."""
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen()
        stream = await connect_tcp("127.0.0.1", lsock.getsockname()[1])
        peer, _ = lsock.accept()  # the handshake is done: this does not block
        with peer:
            yield stream, peer


async def test_aclose_with_unsent_data_fails_a_waiting_reader_at_once() -> None:
    """The peer never reads, so sends back up; closing must not leave the reader waiting."""
    async with silent_peer() as (stream, _peer):
        outcome: dict[str, type[BaseException]] = {}

        async def sender() -> None:
            try:
                # More than the kernel takes: the rest waits in the transport.
                await stream.send(b"x" * 50_000_000)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError) as exc:
                outcome["send"] = type(exc)

        async def reader() -> None:
            try:
                await stream.receive()
            except anyio.ClosedResourceError as exc:
                outcome["receive"] = type(exc)

        with anyio.fail_after(3):
            async with anyio.create_task_group() as tg:
                tg.start_soon(sender)
                tg.start_soon(reader)
                await anyio.sleep(0.2)
                await stream.aclose()
        assert outcome["receive"] is anyio.ClosedResourceError
        assert "send" in outcome


async def test_a_cancelled_send_does_not_take_another_waiting_send_with_it() -> None:
    async with silent_peer() as (stream, peer):
        async with stream:
            done: list[str] = []

            async def impatient() -> None:
                with anyio.move_on_after(0.2):
                    await stream.send(b"x" * 50_000_000)  # more than the kernel takes
                done.append("impatient gave up")

            async def patient() -> None:
                await anyio.sleep(0.05)
                try:
                    await stream.send(b"y")
                except anyio.BusyResourceError:
                    done.append("patient refused (busy)")  # anyio's own stream on trio
                    return
                done.append("patient sent")

            finished = anyio.Event()

            async def drain() -> None:
                await anyio.sleep(0.5)  # let the sends back up first
                peer.setblocking(False)
                while not finished.is_set():
                    try:
                        peer.recv(1 << 20)
                    except BlockingIOError:
                        await anyio.sleep(0.001)

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(drain)
                    async with anyio.create_task_group() as senders:
                        senders.start_soon(impatient)
                        senders.start_soon(patient)
                    finished.set()
            assert "impatient gave up" in done
            assert "patient sent" in done or "patient refused (busy)" in done


async def test_many_streams_on_one_loop_each_get_their_own_bytes() -> None:
    """Streams of one loop read through one shared buffer: none may see another's bytes."""
    count = 8

    def payload(i: int) -> bytes:
        return bytes([i]) * (300 * 1024 + i)  # over one read's worth, a different length each

    async def peer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            index = (await stream.receive(1))[0]
            await stream.send(payload(index))
            await stream.send_eof()

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        results: dict[int, bytes] = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, peer)

            async def client(i: int) -> None:
                async with await connect_tcp("127.0.0.1", port) as stream:
                    await stream.send(bytes([i]))
                    got = bytearray()
                    while True:
                        try:
                            got += await stream.receive()
                        except anyio.EndOfStream:
                            break
                        await anyio.sleep(0)  # let the other streams' reads interleave
                    results[i] = bytes(got)

            with anyio.fail_after(30):
                async with anyio.create_task_group() as clients:
                    for i in range(count):
                        clients.start_soon(client, i)
            tg.cancel_scope.cancel()
    assert results == {i: payload(i) for i in range(count)}


async def test_every_waiting_sender_learns_that_the_peer_went_away() -> None:
    """Two sends wait on a full socket; the peer leaves: neither may report success."""
    async with silent_peer() as (stream, peer):
        async with stream:
            outcome: dict[str, str] = {}

            async def sender(name: str, size: int) -> None:
                try:
                    await stream.send(b"x" * size)
                    outcome[name] = "sent"
                except (anyio.BrokenResourceError, anyio.BusyResourceError) as exc:
                    outcome[name] = type(exc).__name__

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(sender, "first", 50_000_000)  # more than the kernel takes
                    await anyio.sleep(0.1)
                    tg.start_soon(sender, "second", 1000)
                    await anyio.sleep(0.1)
                    peer.setsockopt(  # close with RST: the next write fails at once
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    peer.close()
            assert outcome["first"] == "BrokenResourceError"
            assert outcome["second"] in ("BrokenResourceError", "BusyResourceError")


async def test_an_ended_waits_deadline_does_not_cut_a_later_wait_short() -> None:
    """A wait that got its bytes before its deadline leaves no timer behind:
    the next wait on the stream, with a later deadline or none, is not cut
    short when the first one's deadline comes."""
    async with silent_peer() as (stream, peer):
        async with stream:
            receive = getattr(stream, "receive")  # noqa: B009 - the lean streams' own keyword
            now = clock()

            async def send_soon(data: bytes, delay: float) -> None:
                await anyio.sleep(delay)
                peer.sendall(data)

            async with anyio.create_task_group() as tg:
                tg.start_soon(send_soon, b"first", 0.02)
                assert await receive(65536, deadline=now() + 0.2) == b"first"
                tg.start_soon(send_soon, b"second", 0.4)
                assert await receive(65536, deadline=now() + 30) == b"second"
                tg.start_soon(send_soon, b"third", 0.4)
                with anyio.fail_after(30):
                    assert await receive(65536) == b"third"


async def test_a_second_reader_at_once_is_busy_and_the_first_still_gets_its_bytes() -> None:
    async with silent_peer() as (stream, peer):
        async with stream:
            got: list[bytes] = []

            async def first() -> None:
                got.append(await stream.receive())

            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await anyio.wait_all_tasks_blocked()
                with pytest.raises(anyio.BusyResourceError):
                    await stream.receive()
                peer.sendall(b"for the first")
            assert got == [b"for the first"]


async def test_many_readers_with_deadlines_each_time_out_once_and_stay_usable() -> None:
    """Deadlines of many waits at once, some cut short by bytes: each wait
    ends once, with its bytes or TimeoutError, and every stream reads on."""
    async with AsyncExitStack() as stack:
        pairs = [await stack.enter_async_context(silent_peer()) for _ in range(20)]
        now = clock()
        results: dict[int, bytes | str] = {}

        async def read(index: int, stream: anyio.abc.SocketStream) -> None:
            receive = getattr(stream, "receive")  # noqa: B009 - the lean streams' own keyword
            try:
                results[index] = await receive(65536, deadline=now() + 0.5 + index * 0.01)
            except TimeoutError:
                results[index] = "timeout"

        async with anyio.create_task_group() as tg:
            for index, (stream, _peer) in enumerate(pairs):
                tg.start_soon(read, index, stream)
            await anyio.wait_all_tasks_blocked()
            for index, (_stream, peer) in enumerate(pairs):
                if index % 2:
                    peer.sendall(b"%d" % index)
        assert results == {i: (b"%d" % i if i % 2 else "timeout") for i in range(20)}
        for stream, peer in pairs:
            peer.sendall(b"again")
            with anyio.fail_after(5):
                assert await stream.receive() == b"again"
            await stream.aclose()
