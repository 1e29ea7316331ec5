#!/usr/bin/env python3
"""A fake SignalR hub node, for testing hub-bench while no real node exists. Stdlib only.

Serves, on loopback:
  * POST <hub>/negotiate[?negotiateVersion=1]: a version-1 body with connectionId, connectionToken and
    availableTransports [WebSockets (Text, Binary)];
  * the WebSocket upgrade at <hub>?id=<connectionToken> (the token is used once) or at <hub> with no id
    (skip negotiation); 404 for an unknown token;
  * the JSON hub protocol only: handshake {"protocol":"json",...} -> {} + 0x1E (anything else gets
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
        handshaken = False
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
                while RS in buffer:
                    raw, buffer = buffer.split(RS, 1)
                    if not handshaken:
                        request = json.loads(raw)
                        if request.get("protocol") != "json":
                            writer.write(ws_frame(0x1, dumps(
                                {"error": f"The protocol '{request.get('protocol')}' is not supported."})))
                            return
                        writer.write(ws_frame(0x1, b"{}" + RS))
                        handshaken = True
                        self.connections[cid] = writer
                        self.stats["connections"] += 1
                        continue
                    await self.dispatch(cid, writer, json.loads(raw))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.connections.pop(cid, None)
            try:
                await writer.drain()
            except ConnectionError:
                pass
            writer.close()

    async def dispatch(self, cid, writer, message):
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
                writer.write(ws_frame(0x1, dumps({"type": 3, "invocationId": invocation_id,
                                                  "error": f"Unknown hub method '{message.get('target')}'"})))
            return
        self.stats["broadcasts"] += 1
        text = message["arguments"][0]
        receive = dumps({"type": 1, "target": "ReceiveMessage",
                         "arguments": [f"User connection id: {cid}. Message: {text}"]})
        frame = ws_frame(0x1, receive)  # built once, written to everyone
        slow = []
        for other_id, other in list(self.connections.items()):
            if other_id == cid:
                continue
            other.write(frame)
            if other.transport.get_write_buffer_size() > self.args.max_buffer:
                slow.append(other)
        if invocation_id:
            writer.write(ws_frame(0x1, receive + dumps({"type": 3, "invocationId": invocation_id})))
        else:
            writer.write(frame)
        self.stats["frames_out"] += len(self.connections)
        for other in slow:
            try:
                await other.drain()
            except ConnectionError:
                pass

    async def pings(self):
        frame = ws_frame(0x1, dumps({"type": 6}))
        while True:
            await asyncio.sleep(self.args.ping_interval)
            for writer in list(self.connections.values()):
                writer.write(frame)


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
