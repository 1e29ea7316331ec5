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
                                    [--url2 URL] [--jobs N]
Prints one line per check and exits 0 when all pass, 1 on the first failure, 2 when signalrcore
is missing.

signalrcore's long-polling client POSTs its handshake before its first poll; ASP.NET Core accepts
that (its send refuses only WebSocket connections, HttpConnectionDispatcher ProcessSend) and keeps
the bytes until the first poll starts the connection, and so do our nodes.
"""
import argparse
import logging
import os
import queue
import socket
import sys
import threading

try:
    from signalrcore.hub_connection_builder import HubConnectionBuilder
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

from signalrcore_support import STANDARD, TIMEOUT, Failure, LearningHubClient, check, trigger_stream

TRANSPORTS = {
    "serverSentEvents": (HttpTransportType.server_sent_events, SSETransport),
    "longPolling": (HttpTransportType.long_polling, LongPollingTransport),
}


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


class Client(LearningHubClient):
    def __init__(self, name, url, transport):
        opened = threading.Event()
        wanted, self.transport_class = TRANSPORTS[transport]
        self.hub = (
            HubConnectionBuilder()
            .with_url(url, options={"transport": wanted})
            .configure_logging(logging.CRITICAL)
            .build()
        )
        self.hub.on_open(opened.set)
        self.listen(name)
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
            raise Failure(f"{name}: did not connect to {url} over {transport}: {error}")
        # With negotiate version 0 (signalrcore sends no negotiateVersion) the id in the URL is the
        # connection id that the hub puts in its texts.
        self.id = self.hub.transport.connection_id

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--url2")
    parser.add_argument("--transport", choices=sorted(TRANSPORTS), required=True)
    parser.add_argument("--jobs", type=int, default=2, help="items asked of TriggerStream (1 s each)")
    options = parser.parse_args()

    clients = []

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
        a.expect(STANDARD.format(a.id, "hello"))
        b.expect(STANDARD.format(a.id, "hello"))
        b.call("BroadcastMessage", ["from b"])
        a.expect(STANDARD.format(b.id, "from b"))
        b.expect(STANDARD.format(b.id, "from b"))

    try:
        check(f"two clients connect over {options.transport}", connect)
        check("BroadcastMessage reaches both clients with the sender's id", broadcast)
        check("TriggerStream streams the job texts and completes", lambda: trigger_stream(clients[0], options.jobs))
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
