#!/usr/bin/env python3
"""A fake SignalR hub node, for testing hub-bench while no real node exists. Stdlib only.

Serves, on loopback:
  * POST <hub>/negotiate[?negotiateVersion=1]: a version-1 body with connectionId, connectionToken and
    availableTransports [WebSockets (Text, Binary)];
  * the WebSocket upgrade at <hub>?id=<connectionToken> (the token is used once) or at <hub> with no id
    (skip negotiation); 404 for an unknown token;
  * the JSON (text frames, 0x1E) and MessagePack (binary frames, VarInt prefix; a small codec of its
    own for nil, bool, int, float, str, bin, array, map) hub protocols: handshake
    {"protocol":"json"|"messagepack",...} -> {} + 0x1E (another name gets
    {"error":"The protocol '<name>' is not supported."} and a close);
  * BroadcastMessage(text) -> ReceiveMessage("User connection id: <id>. Message: <text>") to every
    connection, the caller included, then a void Completion to the caller when the invocation has an
    id. The caller's ReceiveMessage and Completion go in ONE frame, so a client meets several
    messages per frame. Other targets get a Completion with an error. Client Pings are counted;
  * a server Ping to every connection each --ping-interval seconds (0: never);
  * a WebSocket Close answered with a Close.

Slow readers get what asyncio buffers for them; past --max-buffer bytes the broadcast waits for that
connection to drain. The server stops by itself after --max-seconds (default 600) or on SIGINT/SIGTERM,
and prints its counters to stderr. The first line on stdout is `LISTENING <port>` (use --port 0 for
a free port).

Usage: tools/fake-hub-server.py [--host 127.0.0.1] [--port 0] [--hub /learningHub]
                                [--ping-interval 15] [--max-seconds 600] [--max-buffer 4194304]
"""
import argparse
import asyncio
import base64
import hashlib
import json
import secrets
import signal
import struct
import sys
from urllib.parse import parse_qs, urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RS = b"\x1e"


def new_id():
    """22 base64url characters from 16 random bytes, as ASP.NET Core makes connection ids."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


def ws_frame(opcode, payload):
    """One unmasked, final server frame."""
    n = len(payload)
    if n < 126:
        header = bytes([0x80 | opcode, n])
    elif n < 65536:
        header = bytes([0x80 | opcode, 126]) + struct.pack("!H", n)
    else:
        header = bytes([0x80 | opcode, 127]) + struct.pack("!Q", n)
    return header + payload


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + RS


def pack(value):
    """MessagePack bytes of None, bool, int >= 0, str, list or dict (what the fake sends)."""
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        return bytes([value]) if value < 128 else b"\xcf" + struct.pack("!Q", value)
    if isinstance(value, str):
        raw = value.encode()
        n = len(raw)
        head = bytes([0xA0 | n]) if n < 32 else b"\xd9" + bytes([n]) if n < 256 else b"\xda" + struct.pack("!H", n) \
            if n < 65536 else b"\xdb" + struct.pack("!I", n)
        return head + raw
    if isinstance(value, list):
        n = len(value)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack("!H", n)
        return head + b"".join(pack(v) for v in value)
    if isinstance(value, dict):
        n = len(value)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack("!H", n)
        return head + b"".join(pack(k) + pack(v) for k, v in value.items())
    raise TypeError(type(value))


def unpack(data, i=0):
    """One MessagePack value at data[i:] and the index after it."""
    b = data[i]
    i += 1
    if b <= 0x7F:
        return b, i
    if b >= 0xE0:
        return b - 256, i
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        return data[i:i + n].decode(), i + n
    if 0x90 <= b <= 0x9F or b in (0xDC, 0xDD):
        n, i = (b & 0x0F, i) if b <= 0x9F else (int.from_bytes(data[i:i + (2 if b == 0xDC else 4)], "big"),
                                                i + (2 if b == 0xDC else 4))
        items = []
        for _ in range(n):
            v, i = unpack(data, i)
            items.append(v)
        return items, i
    if 0x80 <= b <= 0x8F or b in (0xDE, 0xDF):
        n, i = (b & 0x0F, i) if b <= 0x8F else (int.from_bytes(data[i:i + (2 if b == 0xDE else 4)], "big"),
                                                i + (2 if b == 0xDE else 4))
        items = {}
        for _ in range(n):
            k, i = unpack(data, i)
            v, i = unpack(data, i)
            items[k] = v
        return items, i
    if b == 0xC0:
        return None, i
    if b in (0xC2, 0xC3):
        return b == 0xC3, i
    widths = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
    if b in widths:
        w = widths[b]
        return int.from_bytes(data[i:i + w], "big", signed=b >= 0xD0), i + w
    if b in (0xCA, 0xCB):
        w = 4 if b == 0xCA else 8
        return struct.unpack("!f" if w == 4 else "!d", data[i:i + w])[0], i + w
    if b in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        w = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}[b]
        n = int.from_bytes(data[i:i + w], "big")
        raw = data[i + w:i + w + n]
        return (raw.decode() if b >= 0xD9 else raw), i + w + n
    raise ValueError(f"unsupported MessagePack byte {b:#x}")


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def split_varint(buffer):
    """Complete VarInt-framed messages at the front of buffer, and the rest."""
    messages, i = [], 0
    while i < len(buffer):
        n, shift, j = 0, 0, i
        while j < len(buffer):
            b = buffer[j]
            j += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        else:
            break
        if len(buffer) - j < n:
            break
        messages.append(buffer[j:j + n])
        i = j + n
    return messages, buffer[i:]


class Wire:
    """Encodes the fake's messages for one protocol, framed, and the frame opcode to use."""

    def __init__(self, name):
        self.name = name
        self.opcode = 0x1 if name == "json" else 0x2

    def receive_message(self, text):
        if self.name == "json":
            return dumps({"type": 1, "target": "ReceiveMessage", "arguments": [text]})
        body = pack([1, {}, None, "ReceiveMessage", [text], []])
        return varint(len(body)) + body

    def completion(self, invocation_id, error=None):
        if self.name == "json":
            message = {"type": 3, "invocationId": invocation_id}
            if error:
                message["error"] = error
            return dumps(message)
        body = pack([3, {}, invocation_id, 1, error] if error else [3, {}, invocation_id, 2])
        return varint(len(body)) + body

    def ping(self):
        return dumps({"type": 6}) if self.name == "json" else b"\x02\x91\x06"


WIRES = {"json": Wire("json"), "messagepack": Wire("messagepack")}


class Hub:
    def __init__(self, args):
        self.args = args
        self.tokens = {}  # connectionToken -> connectionId
        self.connections = {}  # connectionId -> StreamWriter
        self.stats = dict(negotiations=0, connections=0, broadcasts=0, frames_out=0, client_pings=0,
                          other_invocations=0, bad_requests=0)

    async def handle(self, reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _ = lines[0].split(" ", 2)
        except ValueError:
            self.stats["bad_requests"] += 1
            writer.close()
            return
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        url = urlsplit(target)
        query = parse_qs(url.query)
        hub = self.args.hub
        if method == "POST" and url.path == hub + "/negotiate":
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)
            await self.negotiate(writer)
        elif method == "GET" and url.path == hub and headers.get("upgrade", "").lower() == "websocket":
            if "id" in query:
                cid = self.tokens.pop(query["id"][0], None)
                if cid is None:
                    await self.plain(writer, "404 Not Found", b"No Connection with that ID")
                    return
            else:
                cid = new_id()
            key = headers.get("sec-websocket-key", "").encode()
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
            writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
            await self.session(reader, writer, cid)
        else:
            self.stats["bad_requests"] += 1
            await self.plain(writer, "404 Not Found", b"")

    async def plain(self, writer, status, body):
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def negotiate(self, writer):
        cid, token = new_id(), new_id()
        self.tokens[token] = cid
        self.stats["negotiations"] += 1
        body = json.dumps({"negotiateVersion": 1, "connectionId": cid, "connectionToken": token,
                           "availableTransports": [{"transport": "WebSockets",
                                                    "transferFormats": ["Text", "Binary"]}]}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n" % len(body) + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    async def read_frame(self, reader):
        b0, b1 = await reader.readexactly(2)
        opcode, masked, n = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await reader.readexactly(8))[0]
        if n > 1 << 20:
            raise ValueError("frame too large")
        mask = await reader.readexactly(4) if masked else None
        payload = await reader.readexactly(n)
        if mask and n:
            full = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(full, "big")).to_bytes(n, "big")
        return b0 & 0x80, opcode, payload

    async def session(self, reader, writer, cid):
        buffer = b""
        wire = None
        try:
            while True:
                fin, opcode, payload = await self.read_frame(reader)
                if opcode == 0x8:
                    writer.write(ws_frame(0x8, payload[:2]))
                    break
                if opcode == 0x9:
                    writer.write(ws_frame(0xA, payload))
                    continue
                if opcode not in (0x0, 0x1, 0x2):
                    continue
                buffer += payload
                if wire is None:
                    if RS not in buffer:
                        continue
                    raw, buffer = buffer.split(RS, 1)
                    request = json.loads(raw)
                    wire = WIRES.get(request.get("protocol"))
                    if wire is None:
                        writer.write(ws_frame(0x1, dumps(
                            {"error": f"The protocol '{request.get('protocol')}' is not supported."})))
                        return
                    writer.write(ws_frame(wire.opcode, b"{}" + RS))
                    self.connections[cid] = (writer, wire)
                    self.stats["connections"] += 1
                if wire.name == "json":
                    messages = buffer.split(RS)
                    buffer = messages.pop()
                    messages = [json.loads(m) for m in messages]
                else:
                    frames, buffer = split_varint(buffer)
                    messages = [self.from_pack(unpack(m)[0]) for m in frames]
                for message in messages:
                    await self.dispatch(cid, writer, wire, message)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.connections.pop(cid, None)
            try:
                await writer.drain()
            except ConnectionError:
                pass
            writer.close()

    @staticmethod
    def from_pack(items):
        """The JSON-shaped dict of a MessagePack Invocation or Ping (other types: just the type)."""
        if items and items[0] == 1 and len(items) >= 5:
            return {"type": 1, "invocationId": items[2], "target": items[3], "arguments": items[4]}
        return {"type": items[0] if items else None}

    async def dispatch(self, cid, writer, wire, message):
        kind = message.get("type")
        if kind == 6:
            self.stats["client_pings"] += 1
            return
        if kind != 1:
            return
        invocation_id = message.get("invocationId")
        target = str(message.get("target", "")).lower()
        if target != "broadcastmessage":
            self.stats["other_invocations"] += 1
            if invocation_id:
                writer.write(ws_frame(wire.opcode, wire.completion(
                    invocation_id, f"Unknown hub method '{message.get('target')}'")))
            return
        self.stats["broadcasts"] += 1
        text = f"User connection id: {cid}. Message: {message['arguments'][0]}"
        frames = {}  # built once per protocol, written to everyone
        slow = []
        for other_id, (other, other_wire) in list(self.connections.items()):
            if other_id == cid:
                continue
            if other_wire.name not in frames:
                frames[other_wire.name] = ws_frame(other_wire.opcode, other_wire.receive_message(text))
            other.write(frames[other_wire.name])
            if other.transport.get_write_buffer_size() > self.args.max_buffer:
                slow.append(other)
        receive = wire.receive_message(text)
        if invocation_id:
            writer.write(ws_frame(wire.opcode, receive + wire.completion(invocation_id)))
        else:
            writer.write(ws_frame(wire.opcode, receive))
        self.stats["frames_out"] += len(self.connections)
        for other in slow:
            try:
                await other.drain()
            except ConnectionError:
                pass

    async def pings(self):
        while True:
            await asyncio.sleep(self.args.ping_interval)
            for writer, wire in list(self.connections.values()):
                writer.write(ws_frame(wire.opcode, wire.ping()))


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--hub", default="/learningHub")
    ap.add_argument("--ping-interval", type=float, default=15, help="seconds between server Pings, 0 for none")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop by itself after this long")
    ap.add_argument("--max-buffer", type=int, default=4 << 20, help="bytes buffered per connection before waiting")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("fake-hub-server listens on loopback only")
    hub = Hub(args)
    server = await asyncio.start_server(hub.handle, args.host, args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(hub.pings())] if args.ping_interval > 0 else []
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except asyncio.TimeoutError:
        pass
    for task in tasks:
        task.cancel()
    server.close()
    print("fake-hub-server: " + " ".join(f"{k}={v}" for k, v in hub.stats.items()), file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
