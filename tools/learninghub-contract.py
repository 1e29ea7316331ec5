#!/usr/bin/env python3
"""Runs the LearningHub contract (../shared/spec/learninghub.md) against a hub node with an
independent SignalR client from PyPI: signalrcore (mandrewcito/signalrcore).

Two clients, A on --url and B on --url2 (default: the same URL), check every hub method: the
standard text, others, individual, the caller's refusal, groups with their notices, the default
group HubUsers, the server-to-client TriggerStream and the client-to-server BroadcastStream.

usage: learninghub-contract.py --url http://127.0.0.1:PORT/learningHub [--url2 URL]
                               [--protocol json|messagepack] [--skip-negotiation] [--jobs N]
Prints one line per check and exits 0 when all pass, 1 on the first failure, 2 when signalrcore
is missing.
"""
import argparse
import logging
import os
import queue
import re
import sys
import threading

try:
    from signalrcore.hub_connection_builder import HubConnectionBuilder
    from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol
    from signalrcore.subject import Subject
except ImportError:
    print("signalrcore is not installed (python3 -m pip install signalrcore)", file=sys.stderr)
    sys.exit(2)

from signalrcore_support import STANDARD, TIMEOUT, Failure, LearningHubClient, check, trigger_stream


class Client(LearningHubClient):
    def __init__(self, name, url, protocol, skip_negotiation):
        opened = threading.Event()
        options = {"skip_negotiation": True} if skip_negotiation else {}
        builder = HubConnectionBuilder().with_url(url, options=options).configure_logging(logging.CRITICAL)
        if protocol == "messagepack":
            builder = builder.with_hub_protocol(MessagePackHubProtocol())
        self.hub = builder.build()
        self.hub.on_open(opened.set)
        self.listen(name)
        self.hub.start()
        if not opened.wait(TIMEOUT):
            raise Failure(f"{name}: did not connect to {url}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--url2")
    parser.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    parser.add_argument("--skip-negotiation", action="store_true")
    parser.add_argument("--jobs", type=int, default=2, help="items asked of TriggerStream (1 s each)")
    options = parser.parse_args()

    a = Client("A", options.url, options.protocol, options.skip_negotiation)
    b = Client("B", options.url2 or options.url, options.protocol, options.skip_negotiation)
    a.ready()
    b.ready()
    ids = {}

    def broadcast():
        a.call("BroadcastMessage", ["hello"])
        for client, key in ((a, "A"), (b, "B")):
            got = client.next()
            match = re.fullmatch(r"User connection id: ([A-Za-z0-9_-]{22})\. Message: hello", got)
            if not match:
                raise Failure(f"{client.name}: unexpected broadcast text {got!r}")
            ids.setdefault("A", match.group(1))
            if match.group(1) != ids["A"]:
                raise Failure("the two clients saw different sender ids")
        b.call("BroadcastMessage", ["from b"])
        got = a.next()
        ids["B"] = re.fullmatch(r"User connection id: (\S+)\. Message: from b", got).group(1)
        b.expect(STANDARD.format(ids["B"], "from b"))
        if ids["A"] == ids["B"]:
            raise Failure("two connections got the same id")

    def others():
        a.call("SendToOthers", ["not for me"])
        b.expect(STANDARD.format(ids["A"], "not for me"))

    def individual():
        b.call("SendToIndividual", [ids["A"], "just you"])
        a.expect(STANDARD.format(ids["B"], "just you"))
        b.call("SendToIndividual", ["no-such-connection", "lost"])

    def caller_refused():
        a.invoke("SendToCaller", ["me"])
        try:
            error = a.errors.get(timeout=TIMEOUT)
        except queue.Empty:
            raise Failure("SendToCaller: no error completion")
        expected = "An unexpected error occurred invoking 'SendToCaller' on the server."
        if error != expected:
            raise Failure(f"SendToCaller: expected {expected!r}, got {error!r}")

    def default_group():
        b.call("SendToGroup", ["HubUsers", "everyone"])
        a.expect(STANDARD.format(ids["B"], "everyone"))
        b.expect(STANDARD.format(ids["B"], "everyone"))

    def groups():
        a.call("AddUserToGroup", ["Room"])
        a.expect("Current user added to Room group")
        b.expect(f"User {ids['A']} added to Room group")
        b.call("SendToGroup", ["Room", "knock knock"])
        a.expect(STANDARD.format(ids["B"], "knock knock"))
        a.call("RemoveUserFromGroup", ["Room"])
        a.expect("Current user removed from Room group")
        b.expect(f"User {ids['A']} removed from Room group")
        b.call("SendToGroup", ["Room", "nobody home"])
        # Nothing arrives for the empty group: the next message anyone gets is this one.
        b.call("BroadcastMessage", ["marker"])
        a.expect(STANDARD.format(ids["B"], "marker"))
        b.expect(STANDARD.format(ids["B"], "marker"))

    def upload_stream():
        subject = Subject()
        a.hub.send("BroadcastStream", subject)
        for part in ["one", "two", "three"]:
            subject.next(part)
        subject.complete()
        for part in ["one", "two", "three"]:
            a.expect(f"Server received {part}")

    try:
        check("BroadcastMessage reaches both clients with the standard text", broadcast)
        check("SendToOthers skips the caller", others)
        check("SendToIndividual reaches one connection; an unknown id is ignored", individual)
        check("SendToCaller fails with ASP.NET Core's generic text", caller_refused)
        check("every connection is in HubUsers", default_group)
        check("AddUserToGroup / SendToGroup / RemoveUserFromGroup with their notices", groups)
        check("TriggerStream streams the job texts", lambda: trigger_stream(a, options.jobs))
        if options.protocol == "messagepack":
            # signalrcore's MessagePack protocol writes a client-to-server stream's Invocation without
            # its id slot ([1, headers, target, args, streamIds]) and its Completion without a result
            # kind, which no server (ASP.NET Core included) can read: bugs 1 and 2 in
            # tools/signalr-messagepack-interop.py. JSON covers this method.
            print("skip BroadcastStream: signalrcore cannot upload a stream in MessagePack (its bugs 1 and 2)")
        else:
            check("BroadcastStream answers each uploaded item to the caller", upload_stream)
    except Failure as failure:
        print(f"FAIL {failure}", flush=True)
        return 1
    # No hub.stop(): signalrcore's stop closes the socket under its reader thread and then joins
    # it, which waits for the server's next keep-alive ping (up to 15 s). Exiting closes the
    # sockets, which the server sees as the clients leaving.
    print(f"all LearningHub checks passed ({options.protocol})", flush=True)
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)  # without waiting for signalrcore's reader threads
