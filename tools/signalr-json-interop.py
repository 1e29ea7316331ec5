#!/usr/bin/env python3
"""The other side of HubProtocolTests' interop test: signalrcore's JSON hub protocol, offline.

    signalr-json-interop.py check    exit 0 when signalrcore can be imported
    signalr-json-interop.py encode   write a fixed set of messages, framed, to stdout
    signalr-json-interop.py decode   read framed messages from stdin; print them as JSON

signalrcore (PyPI) is an independent SignalR client whose JsonHubProtocol encodes and parses
without a connection. Its writer has quirks the test accounts for: it writes `"invocationId": null`,
`"error": null` next to a result, `"headers": {}`, spaces after separators, `\\uXXXX` escapes for
non-ASCII, and snake_case `allow_reconnect` / `sequence_id` (so Close's flag and Ack/Sequence are
not sent from here). A Completion with an error also carries `"result": null`, which ASP.NET Core
and we refuse as mutually exclusive, so none is sent from here.
"""
import json
import sys

from signalrcore.messages.cancel_invocation_message import CancelInvocationMessage
from signalrcore.messages.close_message import CloseMessage
from signalrcore.messages.completion_message import CompletionClientStreamMessage, CompletionMessage
from signalrcore.messages.invocation_message import InvocationClientStreamMessage, InvocationMessage
from signalrcore.messages.ping_message import PingMessage
from signalrcore.messages.stream_invocation_message import StreamInvocationMessage
from signalrcore.messages.stream_item_message import StreamItemMessage
from signalrcore.protocol.json_hub_protocol import JsonHubProtocol


def encode():
    protocol = JsonHubProtocol()
    messages = [
        InvocationMessage(
            "1", "Send",
            ["hello", 42, 2.5, True, None, [1, 2, 3],
             {"name": "Ada", "age": 36, "tags": ["x"], "address": {"city": "London", "zip": None},
              "born": "1815-12-10T00:00:00Z"},
             "caf\u00e9 \U0001F600 \"q\" \\ / \n\t\u0001"],
            headers={"traceparent": "00-abc-01", "k\u00e9y": "v\u00e4l"}),
        InvocationMessage(None, "Fire", []),
        InvocationClientStreamMessage(["s1", "s2"], "Upload", ["a"]),
        StreamInvocationMessage("2", "Counter", [10, 500]),
        StreamItemMessage("s1", {"i": 1}),
        StreamItemMessage("s1", None),
        CompletionMessage("1", 42, None),
        CompletionMessage("3", None, None),
        CompletionClientStreamMessage("s1"),
        CancelInvocationMessage("2"),
        PingMessage(),
        CloseMessage("bye", None),
    ]
    sys.stdout.buffer.write("".join(protocol.encode(m) for m in messages).encode("utf-8"))


def decode():
    protocol = JsonHubProtocol()
    text = sys.stdin.buffer.read().decode("utf-8")
    records = [r for r in text.split("\x1e") if r]
    parsed = protocol.parse_messages(text)
    out = []
    for record, message in zip(records, parsed):
        fields = {"type": message.type.value}
        for attribute in ("invocation_id", "target", "arguments", "item", "result", "error",
                          "headers", "allow_reconnect", "sequence_id"):
            if hasattr(message, attribute):
                fields[attribute] = getattr(message, attribute)
        # Python's own strict JSON parser reads each record too: the exact member names.
        out.append({"message": fields, "raw": json.loads(record)})
    print(json.dumps({"count": len(parsed), "messages": out}))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "check":
        sys.exit(0)
    elif command == "encode":
        encode()
    elif command == "decode":
        decode()
    else:
        sys.exit("usage: signalr-json-interop.py check|encode|decode")
