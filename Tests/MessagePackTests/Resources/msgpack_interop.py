#!/usr/bin/env python3
"""Interop oracle for the Swift MessagePack module, using msgpack-python (an independent implementation).

  msgpack_interop.py vectors      prints "name<TAB>hex<TAB>canonical" for a fixed set of values packed by
                                  msgpack.packb(..., use_bin_type=True) (timestamps as msgpack.Timestamp,
                                  float32 with use_single_float=True)
  msgpack_interop.py decode FILE  reads "name<TAB>hex" lines (bytes the Swift encoder wrote), unpacks each
                                  and prints "name<TAB>canonical", or "name<TAB>ERROR <reason>"

The canonical form is shared with canonical() in MessagePackTestHelpers.swift.
"""
import struct
import sys

import msgpack
from msgpack import ExtType, Timestamp


class Single:
    """A float to pack as float32."""

    def __init__(self, value):
        self.value = value


def canonical(obj):
    if obj is None:
        return "nil"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, int):
        return "int:%d" % obj
    if isinstance(obj, float):
        return "float:" + struct.pack(">d", obj).hex()
    if isinstance(obj, str):
        return "str:" + obj.encode("utf-8").hex()
    if isinstance(obj, (bytes, bytearray)):
        return "bin:" + bytes(obj).hex()
    if isinstance(obj, Timestamp):
        return "ts:%d:%d" % (obj.seconds, obj.nanoseconds)
    if isinstance(obj, ExtType):  # before tuple: ExtType is a namedtuple
        return "ext:%d:%s" % (obj.code, obj.data.hex())
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(canonical(x) for x in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join(canonical(k) + "=" + canonical(v) for k, v in obj.items()) + "}"
    raise TypeError("no canonical form for %r" % (obj,))


def pack(value):
    if isinstance(value, Single):
        return msgpack.packb(value.value, use_bin_type=True, use_single_float=True)
    return msgpack.packb(value, use_bin_type=True)


def vectors():
    v = [("nil", None), ("false", False), ("true", True)]
    for n in [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
              -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63]:
        v.append(("int %d" % n, n))
    for x in [0.0, -0.0, 0.1, -2.5, 1e300, 5e-324, float("inf"), float("-inf")]:
        v.append(("float64 %r" % x, x))
    for x in [1.5, 0.0, -3.25, 3.4028234663852886e38, float("inf")]:
        v.append(("float32 %r" % x, Single(x)))
    for n in [0, 1, 31, 32, 255, 256, 65535, 65536]:
        v.append(("str %d" % n, "x" * n))
    for s in ["é", "日本語", "👋", "a\x00b", "\u07ff\u0800\uffff\U00010000\U0010ffff"]:
        v.append(("str %s" % s.encode("unicode_escape").decode(), s))
    for n in [0, 1, 255, 256, 65535, 65536]:
        v.append(("bin %d" % n, bytes((i * 7) & 0xFF for i in range(n))))
    for n in [0, 1, 15, 16, 65535, 65536]:
        v.append(("array %d" % n, [i % 200 - 100 for i in range(n)]))
    for n in [0, 1, 15, 16, 65535, 65536]:
        v.append(("map %d" % n, {i: (None if i % 2 else "v") for i in range(n)}))
    v.append(("map str keys", {"type": 1, "headers": {}, "target": "Send", "arguments": ["hello", 1.5, [True, None]]}))
    v.append(("map bin and nil values", {b"k": b"v", "n": None, "f": False}))
    v.append(("nested", [[[[]]], {"a": [{"b": {}}]}, []]))
    for n in [1, 2, 4, 8, 16, 0, 3, 17, 255, 256, 65535, 65536]:
        v.append(("ext length %d" % n, ExtType(n % 128, bytes(i & 0xFF for i in range(n)))))
    for s, ns in [(0, 0), (1, 0), (2**32 - 1, 0), (2**32, 0), (0, 1), (1, 1), (1700000000, 123456789),
                  (2**34 - 1, 999999999), (2**34, 0), (-1, 0), (-1, 999999999), (-2**63, 0),
                  (2**63 - 1, 999999999)]:
        v.append(("timestamp %d %d" % (s, ns), Timestamp(s, ns)))
    v.append(("signalr invocation", [1, {}, None, "Send", ["hello"], []]))
    v.append(("signalr group command", [1, "node1_0123456789abcdef0123456789abcdef", 1, "room", "connA"]))
    v.append(("signalr close", [7, None, False]))
    for name, value in v:
        plain = value.value if isinstance(value, Single) else value
        if isinstance(value, Single):
            plain = struct.unpack(">f", struct.pack(">f", plain))[0]
        print("%s\t%s\t%s" % (name, pack(value).hex(), canonical(plain)))


def decode(path):
    with open(path) as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line:
                continue
            name, data = line.split("\t")
            try:
                obj = msgpack.unpackb(bytes.fromhex(data), raw=False, strict_map_key=False, timestamp=0)
                print("%s\t%s" % (name, canonical(obj)))
            except Exception as error:  # report, do not stop: the Swift side shows which one failed
                print("%s\tERROR %s: %s" % (name, type(error).__name__, error))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "vectors":
        vectors()
    elif len(sys.argv) >= 3 and sys.argv[1] == "decode":
        decode(sys.argv[2])
    else:
        sys.exit(__doc__)
