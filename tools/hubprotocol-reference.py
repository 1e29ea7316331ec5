#!/usr/bin/env python3
"""The reference side of tools/bench-hubprotocol: hub_protocol_bench's four cases, in Python.

    hubprotocol-reference.py [--messages 1000000] [--warmup 100000] [--length 100]
                             [--implementations signalrcore,python-c]
    hubprotocol-reference.py check    exit 0 when msgpack and signalrcore can be imported

The message is what `Clients.All.SendAsync("ReceiveMessage", text)` sends: a non-blocking
Invocation of ReceiveMessage with one string argument of --length ASCII characters (the same
text as hub-protocol-bench). Two independent implementations do the same jobs:

  * signalrcore (the PyPI SignalR client, 1.0.2): its own JsonHubProtocol and
    MessagePackHubProtocol, driven offline as in tools/signalr-json-interop.py.
      - encode: `protocol.encode(InvocationMessage(None, "ReceiveMessage", [text]))`, as UTF-8
        bytes for JSON. Its writers differ from .NET's: JSON with `"headers": {}`,
        `"invocationId": null` and spaces (and `encode` builds the string twice: once for a
        debug log line whose argument is evaluated even when the level is off); MessagePack with
        5 items (no stream ids). So its `bytes` differ from ours.
      - decode: `parse_messages` on the canonical framed bytes (.NET's, the ones
        hub-protocol-bench decodes; JSON first decoded from UTF-8 as its API takes text), then
        the first argument.
      - backplane-encode: both serializations of one message by signalrcore (MessagePack first:
        its JSON writer renames the message's `invocation_id` attribute in place) and msgpack's
        packb of `[[], {"json": …, "messagepack": …}]`; signalrcore has no backplane of its own.
      - backplane-decode: not measured (signalrcore has nothing to do there).
  * python-c: Python's C-accelerated `json` and `msgpack` (its C extension), hand-driven in
    .NET's exact layout:
      - encode: `JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode(...)` of
        `{"type":1,"target":…,"arguments":[text]}`, UTF-8, + `\\x1e`; msgpack `packb` of
        `[1, {}, None, "ReceiveMessage", [text], []]` with its VarInt prefix;
      - decode: find the `\\x1e` / read the VarInt, `json.loads` / `unpackb`, check the type, take
        the first argument;
      - backplane-encode: both of the above, then `packb([[], {"json": …, "messagepack": …}])`;
      - backplane-decode: `unpackb(payload)`, then the `json` entry.

Before measuring, python-c's bytes are checked against the spec's worked examples 1-3 and the
canonical bytes of the benchmark message are built with it. Each case runs --warmup untimed
messages, then --messages timed ones; one JSON line each, as hub-protocol-bench prints: case,
protocol, implementation, stand_in (false), messages, seconds, messages_per_sec,
ns_per_message, bytes, checksum (the same sums of lengths as hub-protocol-bench: encode the
framed length, decode the target's and argument's lengths, backplane-encode the payload's,
backplane-decode the json entry's). A first line {"event": "versions", ...} names the Python,
msgpack and signalrcore versions and whether json and msgpack are C-accelerated.
"""
import argparse
import json
import platform
import sys
import time

import msgpack

TARGET = "ReceiveMessage"
RS = b"\x1e"
SENTENCE = "The quick brown fox jumps over the lazy dog. "

# ../shared/spec/signalr-protocol.md, worked examples 1-3.
EXAMPLE_1 = b'{"type":1,"target":"Send","arguments":["hello"]}\x1e'
EXAMPLE_2 = bytes.fromhex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90")
EXAMPLE_3 = (bytes.fromhex("92 91 a5") + b"connA" + bytes.fromhex("82 a4") + b"json" + bytes.fromhex("c4 31")
             + EXAMPLE_1 + bytes.fromhex("ab") + b"messagepack" + bytes.fromhex("c4 12") + EXAMPLE_2)


def text_of(length):
    """`length` characters of a repeated sentence, as hub-protocol-bench builds them."""
    return (SENTENCE * (length // len(SENTENCE) + 1))[:length]


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(data, offset):
    """(value, offset after the prefix) of the VarInt at `offset`."""
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def c_json_frame(target, args):
    return JSON_ENCODER.encode({"type": 1, "target": target, "arguments": args}).encode() + RS


def c_msgpack_frame(target, args):
    body = msgpack.packb([1, {}, None, target, args, []])
    return varint(len(body)) + body


def check_examples():
    """python-c against the spec's bytes, both ways; exits on a difference."""
    json_frame, msgpack_frame = c_json_frame("Send", ["hello"]), c_msgpack_frame("Send", ["hello"])
    backplane = msgpack.packb([["connA"], {"json": json_frame, "messagepack": msgpack_frame}])
    for name, ours, spec in (("json", json_frame, EXAMPLE_1), ("messagepack", msgpack_frame, EXAMPLE_2),
                             ("backplane", backplane, EXAMPLE_3)):
        if ours != spec:
            sys.exit(f"hubprotocol-reference: {name} writes {ours.hex(' ')}, the spec's example is {spec.hex(' ')}")
    if len(EXAMPLE_3) != 97 or msgpack.unpackb(EXAMPLE_3) != [["connA"], {"json": EXAMPLE_1, "messagepack": EXAMPLE_2}]:
        sys.exit("hubprotocol-reference: msgpack does not read the spec's example 3 back")


# --- the cases ---------------------------------------------------------------------------------
# Each returns a function run(n) -> checksum that does the job n times; names are bound to locals
# first, as any careful Python hot loop does.

def c_encode_json(text):
    def run(n):
        encode, rs, target, total = JSON_ENCODER.encode, RS, TARGET, 0
        for _ in range(n):
            frame = encode({"type": 1, "target": target, "arguments": [text]}).encode() + rs
            total += len(frame)
        return total
    return run


def c_encode_msgpack(text):
    def run(n):
        packb, target, total = msgpack.packb, TARGET, 0
        for _ in range(n):
            body = packb([1, {}, None, target, [text], []])
            length = len(body)
            frame = (bytes((length,)) if length < 0x80 else varint(length)) + body
            total += len(frame)
        return total
    return run


def c_decode_json(framed):
    def run(n):
        loads, total = json.loads, 0
        for _ in range(n):
            end = framed.index(0x1E)
            message = loads(framed[:end])
            if message["type"] != 1:
                raise ValueError("not an invocation")
            argument = message["arguments"][0]
            total += len(message["target"]) + len(argument)
        return total
    return run


def c_decode_msgpack(framed):
    view = memoryview(framed)

    def run(n):
        unpackb, total = msgpack.unpackb, 0
        for _ in range(n):
            first = framed[0]
            length, start = (first, 1) if first < 0x80 else read_varint(framed, 0)
            message = unpackb(view[start:start + length])
            if message[0] != 1:
                raise ValueError("not an invocation")
            argument = message[4][0]
            total += len(message[3]) + len(argument)
        return total
    return run


def c_backplane_encode(text):
    def run(n):
        encode, packb, rs, target, total = JSON_ENCODER.encode, msgpack.packb, RS, TARGET, 0
        for _ in range(n):
            json_frame = encode({"type": 1, "target": target, "arguments": [text]}).encode() + rs
            body = packb([1, {}, None, target, [text], []])
            length = len(body)
            msgpack_frame = (bytes((length,)) if length < 0x80 else varint(length)) + body
            payload = packb([[], {"json": json_frame, "messagepack": msgpack_frame}])
            total += len(payload)
        return total
    return run


def c_backplane_decode(payload):
    def run(n):
        unpackb, total = msgpack.unpackb, 0
        for _ in range(n):
            message = unpackb(payload)
            total += len(message[1]["json"])
        return total
    return run


def signalrcore_encode(protocol_class, text, as_bytes):
    from signalrcore.messages.invocation_message import InvocationMessage

    def run(n):
        encode, target, total = protocol_class().encode, TARGET, 0
        for _ in range(n):
            frame = encode(InvocationMessage(None, target, [text]))
            if as_bytes:
                frame = frame.encode()
            total += len(frame)
        return total
    return run


def signalrcore_decode(protocol_class, framed, as_text):
    def run(n):
        parse, total = protocol_class().parse_messages, 0
        for _ in range(n):
            message = parse(framed.decode() if as_text else framed)[0]
            argument = message.arguments[0]
            total += len(message.target) + len(argument)
        return total
    return run


def signalrcore_backplane_encode(text):
    from signalrcore.messages.invocation_message import InvocationMessage
    from signalrcore.protocol.json_hub_protocol import JsonHubProtocol
    from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

    def run(n):
        json_encode, msgpack_encode = JsonHubProtocol().encode, MessagePackHubProtocol().encode
        packb, target, total = msgpack.packb, TARGET, 0
        for _ in range(n):
            message = InvocationMessage(None, target, [text])
            msgpack_frame = msgpack_encode(message)  # first: the JSON writer renames invocation_id
            json_frame = json_encode(message).encode()
            payload = packb([[], {"json": json_frame, "messagepack": msgpack_frame}])
            total += len(payload)
        return total
    return run


def measure(case, protocol, implementation, run, size, args):
    run(args.warmup)
    start = time.perf_counter()
    checksum = run(args.messages)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "case": case, "protocol": protocol, "implementation": implementation, "stand_in": False,
        "messages": args.messages, "seconds": seconds, "messages_per_sec": args.messages / seconds,
        "ns_per_message": seconds * 1e9 / args.messages, "bytes": size, "checksum": checksum,
    }), flush=True)


def versions():
    import json.decoder
    import json.encoder
    info = {
        "event": "versions", "python": platform.python_version(), "msgpack": ".".join(map(str, msgpack.version)),
        "c_json": json.encoder.c_make_encoder is not None and json.decoder.c_scanstring is not None,
        "c_msgpack": msgpack.Packer.__module__ == "msgpack._cmsgpack",
        "signalrcore": None,
    }
    try:
        from importlib.metadata import version
        info["signalrcore"] = version("signalrcore")
    except Exception:
        pass
    return info


def jobs(implementation, text):
    """[(case, protocol, run, bytes of one message)] of `implementation`, in the benchmark's order."""
    json_frame, msgpack_frame = c_json_frame(TARGET, [text]), c_msgpack_frame(TARGET, [text])
    payload = msgpack.packb([[], {"json": json_frame, "messagepack": msgpack_frame}])
    if implementation == "python-c":
        return [
            ("encode", "json", c_encode_json(text), len(json_frame)),
            ("encode", "messagepack", c_encode_msgpack(text), len(msgpack_frame)),
            ("decode", "json", c_decode_json(json_frame), len(json_frame)),
            ("decode", "messagepack", c_decode_msgpack(msgpack_frame), len(msgpack_frame)),
            ("backplane-encode", "json+messagepack", c_backplane_encode(text), len(payload)),
            ("backplane-decode", "json", c_backplane_decode(payload), len(payload)),
        ]
    from signalrcore.messages.invocation_message import InvocationMessage
    from signalrcore.protocol.json_hub_protocol import JsonHubProtocol
    from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol
    for name, cls, frame in (("json", JsonHubProtocol, json_frame.decode()),
                             ("messagepack", MessagePackHubProtocol, msgpack_frame)):
        parsed = cls().parse_messages(frame)
        if len(parsed) != 1 or parsed[0].target != TARGET or parsed[0].arguments != [text]:
            sys.exit(f"hubprotocol-reference: signalrcore's {name} protocol misreads the benchmark message")
    written_msgpack = MessagePackHubProtocol().encode(InvocationMessage(None, TARGET, [text]))
    written_json = JsonHubProtocol().encode(InvocationMessage(None, TARGET, [text])).encode()
    written_payload = msgpack.packb([[], {"json": written_json, "messagepack": written_msgpack}])
    return [
        ("encode", "json", signalrcore_encode(JsonHubProtocol, text, True), len(written_json)),
        ("encode", "messagepack", signalrcore_encode(MessagePackHubProtocol, text, False), len(written_msgpack)),
        ("decode", "json", signalrcore_decode(JsonHubProtocol, json_frame, True), len(json_frame)),
        ("decode", "messagepack", signalrcore_decode(MessagePackHubProtocol, msgpack_frame, False),
         len(msgpack_frame)),
        ("backplane-encode", "json+messagepack", signalrcore_backplane_encode(text), len(written_payload)),
    ]


def main():
    if sys.argv[1:] == ["check"]:
        import importlib
        importlib.import_module("signalrcore")
        sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", "-n", type=int, default=1000000, help="messages timed per case")
    ap.add_argument("--warmup", type=int, default=100000, help="messages run per case before the clock starts")
    ap.add_argument("--length", type=int, default=100, help="ASCII characters in the string argument")
    ap.add_argument("--cases", default="encode,decode,backplane-encode,backplane-decode",
                    help="comma-separated: encode, decode, backplane-encode, backplane-decode")
    ap.add_argument("--implementations", default="signalrcore,python-c",
                    help="comma-separated: signalrcore, python-c")
    args = ap.parse_args()
    if args.messages < 1 or args.warmup < 0 or args.length < 0:
        ap.error("--messages must be at least 1, --warmup and --length at least 0")
    info = versions()
    print(json.dumps(info), flush=True)
    if not (info["c_json"] and info["c_msgpack"]):
        print("hubprotocol-reference: warning: json or msgpack is not C-accelerated here", file=sys.stderr)
    check_examples()
    text = text_of(args.length)
    cases = args.cases.split(",")
    all_jobs = {implementation: jobs(implementation, text) for implementation in args.implementations.split(",")}
    for case in cases:
        for implementation, implementation_jobs in all_jobs.items():
            for job_case, protocol, run, size in implementation_jobs:
                if job_case == case:
                    measure(case, protocol, implementation, run, size, args)


if __name__ == "__main__":
    main()
