#!/usr/bin/env python3
"""Checks a hub node's Server-Sent Events and long-polling transports with an independent SignalR
client from PyPI: signalrcore (mandrewcito/signalrcore) 1.0.2, whose SSETransport and
LongPollingTransport speak ASP.NET Core's HTTP transports (negotiate, then GET ?id=… with
`Accept: text/event-stream` or plain polls, POST ?id=… to send, DELETE to end a long poll).

Two clients, A on --url and B on --url2 (default: the same URL), both over --transport, check the
LearningHub (../shared/spec/learninghub.md): BroadcastMessage from A reaches both as
`User connection id: <A's id>. Message: …` and from B likewise, and A's TriggerStream(--jobs)
server stream delivers `Job <i> executed succesfully` and completes. signalrcore negotiates
version 0, so a client's connection id is the negotiated connectionId and the texts are checked
exactly. A node that does not offer the transport fails the run (signalrcore would silently fall
back to WebSockets).

usage: signalr-transport-interop.py --url http://127.0.0.1:PORT/learningHub
                                    --transport longPolling|serverSentEvents
                                    [--url2 URL] [--jobs N] [--poll-before-handshake]
Prints one line per check and exits 0 when all pass, 1 on the first failure, 2 when signalrcore
is missing.

--poll-before-handshake makes signalrcore's long-polling client poll once before it POSTs the
handshake (as the JavaScript client does). Without it signalrcore POSTs the handshake first, which
ASP.NET Core accepts (its send refuses only WebSocket connections, HttpConnectionDispatcher
ProcessSend) and buffers until the first poll starts the connection.
"""
import argparse
import logging
import os
import queue
import socket
import sys
import threading
import uuid

try:
    from signalrcore.hub_connection_builder import HubConnectionBuilder
    from signalrcore.hub.handlers import StreamHandler
    from signalrcore.messages.stream_invocation_message import StreamInvocationMessage
    from signalrcore.transport.long_polling import long_polling_client
    from signalrcore.transport.long_polling.long_polling_transport import LongPollingTransport
    from signalrcore.transport.sse.sse_transport import SSETransport
    from signalrcore.types import HttpTransportType
except ImportError:
    print(
        "signalrcore is not installed (python3 -m pip install signalrcore==1.0.2; older versions"
        " have no SSE or long polling)",
        file=sys.stderr,
    )
    sys.exit(2)

TIMEOUT = 10

TRANSPORTS = {
    "serverSentEvents": (HttpTransportType.server_sent_events, SSETransport),
    "longPolling": (HttpTransportType.long_polling, LongPollingTransport),
}


class Failure(Exception):
    pass


# signalrcore's long-polling client hands over one record per poll response and keeps the rest of
# the response until the next response arrives, which may be a whole poll timeout later (90 s by
# default). ASP.NET Core, like our nodes, answers a poll with everything buffered so far, so
# several messages can arrive together (a client busy for 50 ms per message got 4 of 20 quick
# broadcasts within 3 s without this, all 20 with it). Every complete record is handed over at
# once here; signalrcore's JSON protocol splits them.
def _append_all_records(self, frame):
    self._buffer += frame
    end = self._buffer.rfind(self._byte_separator)
    if end == -1:
        return None
    complete, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
    return complete


long_polling_client.LongPollingBaseClient._append = _append_all_records

# signalrcore's long-polling thread reports a failed start (an HTTP error on its handshake POST)
# only as an uncaught exception in that thread; keep it so that the failure can say what happened.
thread_errors = queue.Queue()
threading.excepthook = lambda hook: thread_errors.put(hook.exc_value)


def poll_before_handshake():
    original_run = long_polling_client.LongPollingBaseClient.run

    def run(self):
        self._recv_frame()  # the first poll returns at once, empty, once the transport is up
        original_run(self)

    long_polling_client.LongPollingBaseClient.run = run


class Client:
    def __init__(self, name, url, transport):
        self.name = name
        self.transport_name = transport
        self.messages = queue.Queue()
        self.errors = queue.Queue()
        opened = threading.Event()
        wanted, self.transport_class = TRANSPORTS[transport]
        self.hub = (
            HubConnectionBuilder()
            .with_url(url, options={"transport": wanted})
            .configure_logging(logging.CRITICAL)
            .build()
        )
        self.hub.on_open(opened.set)
        self.hub.on_error(lambda completion: self.errors.put(completion.error))
        self.hub.on("ReceiveMessage", lambda args: self.messages.put(args[0]))
        try:
            self.hub.start()
        except Exception as error:
            raise Failure(f"{name}: could not start over {transport}: {error!r}")
        if type(self.hub.transport) is not self.transport_class:
            self.stop()
            raise Failure(
                f"{name}: asked for {transport}, but {url}'s negotiate did not offer it"
                f" (signalrcore chose {type(self.hub.transport).__name__})"
            )
        error = None
        for _ in range(TIMEOUT * 10):
            if opened.wait(0.1):
                break
            if not thread_errors.empty():
                error = thread_errors.get_nowait()
                break
        else:
            error = f"no handshake response within {TIMEOUT} s"
        if error is not None:
            hint = ""
            if transport == "longPolling" and "405" in str(error):
                hint = (
                    " — signalrcore POSTs the handshake before its first poll and the node refused"
                    " it; ASP.NET Core accepts it (see --poll-before-handshake)"
                )
            raise Failure(f"{name}: did not connect to {url} over {transport}: {error}{hint}")
        # With negotiate version 0 (signalrcore sends no negotiateVersion) the id in the URL is the
        # connection id that the hub puts in its texts.
        self.id = self.hub.transport.connection_id

    def next(self):
        try:
            return self.messages.get(timeout=TIMEOUT)
        except queue.Empty:
            raise Failure(f"{self.name}: no ReceiveMessage within {TIMEOUT} s")

    def expect(self, text):
        got = self.next()
        if got != text:
            raise Failure(f"{self.name}: expected {text!r}, got {got!r}")

    def call(self, method, args):
        """A blocking invocation that must complete without an error."""
        done = threading.Event()
        self.hub.send(method, args, on_invocation=lambda _: done.set())
        if not done.wait(TIMEOUT):
            raise Failure(f"{self.name}: {method} did not complete")
        try:
            raise Failure(f"{self.name}: {method} failed: {self.errors.get_nowait()}")
        except queue.Empty:
            pass

    def ready(self):
        """Waits until the server has registered the connection: a blocking call is dispatched only
        after the hub's onConnected."""
        self.call("SendToIndividual", ["no-such-connection", "ready?"])

    def stop(self):
        transport = self.hub.transport
        # signalrcore's SSE client closes its socket from this thread while its receive thread sits
        # in recv(), which does not wake it: stop() would wait for the server's next write (a ping,
        # up to 15 s). A shutdown wakes it. (Long polling ends with a DELETE instead.)
        sock = getattr(getattr(transport, "_client", None), "sock", None)
        if isinstance(transport, SSETransport) and sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.hub.stop()


def check(name, body):
    body()
    print(f"ok  {name}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--url2")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), required=True)
    parser.add_argument("--jobs", type=int, default=2, help="items asked of TriggerStream (1 s each)")
    parser.add_argument(
        "--poll-before-handshake",
        action="store_true",
        help="long polling: poll once before signalrcore POSTs the handshake",
    )
    options = parser.parse_args()
    if options.poll_before_handshake:
        poll_before_handshake()

    clients = []
    standard = "User connection id: {}. Message: {}"

    def connect():
        for name, url in (("A", options.url), ("B", options.url2 or options.url)):
            clients.append(Client(name, url, options.transport))
        for client in clients:
            client.ready()
        a, b = clients
        if a.id == b.id:
            raise Failure("two connections got the same id")

    def broadcast():
        a, b = clients
        a.call("BroadcastMessage", ["hello"])
        a.expect(standard.format(a.id, "hello"))
        b.expect(standard.format(a.id, "hello"))
        b.call("BroadcastMessage", ["from b"])
        a.expect(standard.format(b.id, "from b"))
        b.expect(standard.format(b.id, "from b"))

    def trigger_stream():
        a = clients[0]
        items = queue.Queue()
        done = threading.Event()
        # As in learninghub-contract.py: signalrcore's stream() sends the StreamInvocation before
        # subscribe() attaches the callbacks, so Job 0 (sent at once) can be dropped; the same
        # steps with the callbacks attached first.
        invocation_id = str(uuid.uuid4())
        handler = StreamHandler("TriggerStream", invocation_id)
        handler.subscribe(
            {"next": items.put, "complete": lambda _: done.set(), "error": lambda e: items.put(("error", e))}
        )
        a.hub.stream_handlers[invocation_id].append(handler)
        a.hub.transport.send(
            StreamInvocationMessage(invocation_id, "TriggerStream", [options.jobs], headers=a.hub.headers)
        )
        if not done.wait(TIMEOUT + options.jobs):
            raise Failure("TriggerStream did not complete")
        got = [items.get_nowait() for _ in range(items.qsize())]
        expected = [f"Job {i} executed succesfully" for i in range(options.jobs)]
        if got != expected:
            raise Failure(f"TriggerStream: expected {expected}, got {got}")

    try:
        check(f"two clients connect over {options.transport}", connect)
        check("BroadcastMessage reaches both clients with the sender's id", broadcast)
        check("TriggerStream streams the job texts and completes", trigger_stream)
    except Failure as failure:
        print(f"FAIL {failure}", flush=True)
        return 1
    finally:
        # Long polling ends with signalrcore's DELETE, SSE by closing the GET.
        for client in clients:
            try:
                client.stop()
            except Exception:
                pass
    print(f"all transport checks passed ({options.transport})", flush=True)
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)  # without waiting for signalrcore's reader threads
