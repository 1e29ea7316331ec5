#!/usr/bin/env python3
"""The other side of HubProtocolTests' MessagePack interop test: signalrcore's MessagePack hub
protocol, offline.

    signalr-messagepack-interop.py check        exit 0 when signalrcore and msgpack can be imported
    signalr-messagepack-interop.py encode       write a fixed set of messages, framed, to stdout
    signalr-messagepack-interop.py encode-bugs  write what signalrcore's encoder gets wrong, framed
    signalr-messagepack-interop.py decode       read framed messages from stdin; print them as JSON

signalrcore (PyPI; 1.0.2 is what .ci/run installs) is an independent SignalR client whose
MessagePackHubProtocol encodes and parses without a connection (on top of msgpack-python). Its
MessagePack side has bugs, which this script works around where it can and the test documents:

Encoder (`_encode_message` writes the attributes a message object has, in a fixed order: type,
headers, invocation_id, target, arguments, item, result_kind, result, stream_ids):
  1. A Completion has no `result_kind` attribute, so it goes out as `[3, headers, id, result]`
     (a void one as `[3, headers, id]`); its `error` is never written. Worked around by setting
     `result_kind` (and, for an error, putting the text in `result`).
  2. InvocationClientStreamMessage has no `invocation_id`, so its target lands in the id's slot:
     `[1, headers, target, arguments, streamIds]`. Worked around by setting `invocation_id`.
  3. Close, Ack and Sequence carry `headers` (every message class but Ping derives from the
     headers base class) and their own fields are not in the list: they go out as `[7, {}]`,
     `[8, {}]`, `[9, {}]`. Not fixable from outside; `encode-bugs` writes them so the test can
     show that they are refused, as ASP.NET Core refuses them.
  4. An Invocation is written with 5 items (no stream ids): valid, older clients do that.

Parser (`parse_messages` / `_decode_message`):
  5. An Invocation with 5 items raises IndexError (it reads `raw[5]` unconditionally).
  6. An Invocation with stream ids becomes an InvocationClientStreamMessage, which drops the
     invocation id.
  7. Sequence (type 9) is tested as `raw[0] == 7` (dead code after Close), so it raises
     "Unknown message type."
  8. Any error ends `parse_messages` silently: it logs and returns the messages parsed so far, so
     one bad frame hides every frame after it. This script therefore parses frame by frame.
  9. Its VarInt loop checks `offset == 5` (the frame's position) instead of the prefix length.
"""
import base64
import json
import logging
import sys

import msgpack
from signalrcore.messages.cancel_invocation_message import CancelInvocationMessage
from signalrcore.messages.close_message import CloseMessage
from signalrcore.messages.completion_message import CompletionClientStreamMessage, CompletionMessage
from signalrcore.messages.invocation_message import InvocationClientStreamMessage, InvocationMessage
from signalrcore.messages.ping_message import PingMessage
from signalrcore.messages.stream_invocation_message import StreamInvocationMessage
from signalrcore.messages.stream_item_message import StreamItemMessage
from signalrcore.messages.ack_message import AckMessage
from signalrcore.messages.sequence_message import SequenceMessage
from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol


def completion(invocation_id, kind, result=None):
    """A Completion as ASP.NET Core expects it (bug 1: signalrcore never writes the kind)."""
    message = CompletionMessage(invocation_id, result, None)
    message.result_kind = kind
    if kind == 2:
        del message.result
    return message


def encode():
    protocol = MessagePackHubProtocol()
    upload = InvocationClientStreamMessage(["s1", "s2"], "Upload", ["a"])
    upload.invocation_id = None  # bug 2
    messages = [
        InvocationMessage(
            "1", "Send",
            ["hello", 42, 2.5, True, None, [1, 2, 3],
             {"name": "Ada", "age": 36, "tags": ["x"], "address": {"city": "London", "zip": None},
              "born": msgpack.Timestamp(-4861728000)},
             "caf\u00e9 \U0001F600 \"q\" \\ / \n\t\u0001",
             b"\x00\x01\xff", -2**63, 2**64 - 1, msgpack.Timestamp(1709210096, 250000000), -0.5],
            headers={"traceparent": "00-abc-01", "k\u00e9y": "v\u00e4l"}),
        InvocationMessage(None, "Fire", [], headers={}),
        upload,
        StreamInvocationMessage("2", "Counter", [10, 500], headers={}),
        StreamItemMessage("s1", {"i": 1}, headers={}),
        StreamItemMessage("s1", None, headers={}),
        completion("1", 3, 42),
        completion("3", 3, None),
        completion("4", 1, "boom"),
        completion("s1", 2),
        CancelInvocationMessage("2", headers={}),
        PingMessage(),
    ]
    sys.stdout.buffer.write(b"".join(protocol.encode(m) for m in messages))


def encode_bugs():
    protocol = MessagePackHubProtocol()
    messages = [
        CompletionMessage("1", 42, None, headers={}),  # bug 1
        CompletionClientStreamMessage("s1", headers={}),  # bug 1, void
        InvocationClientStreamMessage(["s1"], "Upload", ["a"], headers={}),  # bug 2
        CloseMessage("bye", True, headers={}),  # bug 3
        AckMessage(5, headers={}),  # bug 3
        SequenceMessage(5, headers={}),  # bug 3
    ]
    sys.stdout.buffer.write(b"".join(protocol.encode(m) for m in messages))


def plain(value):
    """A msgpack-python value as JSON: bytes as {"$bin": base64}, timestamps as {"$ts": [s, ns]},
    integers beyond Int64 as {"$uint": decimal text} (JSON readers may round them)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 2**63 - 1:
        return {"$uint": str(value)}
    if isinstance(value, bytes):
        return {"$bin": base64.b64encode(value).decode("ascii")}
    if isinstance(value, msgpack.Timestamp):
        return {"$ts": [value.seconds, value.nanoseconds]}
    if isinstance(value, msgpack.ExtType):
        return {"$ext": [value.code, base64.b64encode(value.data).decode("ascii")]}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def frames(data):
    """Cuts VarInt-framed input into (frame with prefix, payload) pairs."""
    offset = 0
    while offset < len(data):
        length = 0
        shift = 0
        start = offset
        while True:
            byte = data[offset]
            offset += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0:
                break
        yield data[start:offset + length], data[offset:offset + length]
        offset += length


def decode():
    logging.disable(logging.CRITICAL)  # signalrcore logs its parse errors (bug 8)
    protocol = MessagePackHubProtocol()
    data = sys.stdin.buffer.read()
    out = []
    for framed, payload in frames(data):
        record = {"raw": plain(msgpack.unpackb(payload, strict_map_key=False)), "message": None, "error": None}
        try:
            parsed = protocol.parse_messages(framed)
            if parsed:
                message = parsed[0]
                fields = {"type": message.type.value, "class": type(message).__name__}
                for attribute in ("invocation_id", "target", "arguments", "item", "result", "error",
                                  "headers", "allow_reconnect", "sequence_id", "stream_ids"):
                    if hasattr(message, attribute):
                        fields[attribute] = plain(getattr(message, attribute))
                record["message"] = fields
            else:
                record["error"] = "parse_messages returned nothing"
        except Exception as error:  # noqa: BLE001 - reported to the test
            record["error"] = repr(error)
        out.append(record)
    whole = protocol.parse_messages(data)
    print(json.dumps({"count": len(out), "whole_stream_count": len(whole), "messages": out}))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "check":
        sys.exit(0)
    elif command == "encode":
        encode()
    elif command == "encode-bugs":
        encode_bugs()
    elif command == "decode":
        decode()
    else:
        sys.exit("usage: signalr-messagepack-interop.py check|encode|encode-bugs|decode")
