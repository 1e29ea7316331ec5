#!/usr/bin/env python3
"""Generates Sources/Broker/Commands/CommandMetadata+Generated.swift.

The broker's command table (arity, flags, key positions, ACL categories, tips, key specs and the
argument structure redis-cli uses for hints) must match Redis 7.0 exactly, so it is read from a
real redis-server: this script starts one on a free port, asks it `COMMAND INFO` and `COMMAND DOCS`
over RESP3 for the commands the broker implements, keeps only the subcommands the broker
implements, replaces every summary with our own (SUMMARIES below) and writes Swift literals.

Usage: python3 tools/gen-command-table.py   (needs redis-server on PATH)
Commands the reference lacks (CLIENT SETINFO, added in Redis 7.2) are described in EXTRA below.
"""
import os, socket, subprocess, sys, tempfile

# name -> implemented subcommands (None for a plain command)
COMMANDS = {
    "auth": None, "echo": None, "hello": None, "ping": None, "quit": None, "reset": None, "select": None,
    "client": ["id", "setname", "getname", "list", "info", "kill", "setinfo", "reply", "no-evict", "pause",
               "unpause", "help"],
    "command": ["count", "info", "docs", "list", "getkeys", "getkeysandflags", "help"],
    "config": ["get", "set", "resetstat", "help"],
    "info": None, "dbsize": None, "flushdb": None, "flushall": None, "time": None, "monitor": None,
    "debug": None, "function": ["flush", "help"], "shutdown": None,
    "subscribe": None, "unsubscribe": None, "psubscribe": None, "punsubscribe": None, "ssubscribe": None,
    "sunsubscribe": None, "publish": None, "spublish": None,
    "pubsub": ["channels", "numsub", "numpat", "shardchannels", "shardnumsub", "help"],
    "get": None, "set": None, "lcs": None,
    "setbit": None, "getbit": None, "bitcount": None, "bitpos": None, "bitop": None, "bitfield": None,
    "bitfield_ro": None,
    "del": None, "exists": None, "type": None, "ttl": None, "pttl": None, "expire": None, "pexpire": None,
    "expireat": None, "pexpireat": None, "persist": None,
    "setnx": None, "setex": None, "psetex": None, "getset": None, "getdel": None, "getex": None, "mget": None,
    "mset": None, "msetnx": None, "append": None, "strlen": None, "getrange": None, "substr": None,
    "setrange": None, "incr": None, "decr": None, "incrby": None, "decrby": None, "incrbyfloat": None,
    "unlink": None, "expiretime": None, "pexpiretime": None, "keys": None, "scan": None, "rename": None,
    "renamenx": None, "randomkey": None, "copy": None, "move": None, "swapdb": None, "touch": None,
    "object": ["encoding", "freq", "idletime", "refcount", "help"],
    "memory": ["usage", "purge", "malloc-stats", "help"],
    "dump": None, "restore": None,
}

SUMMARIES = {
    "auth": "Authenticates the connection as a user.",
    "echo": "Replies with the given message.",
    "hello": "Chooses the protocol version, optionally authenticating and naming the connection.",
    "ping": "Checks that the server answers; echoes a message if one is given.",
    "quit": "Closes the connection after replying.",
    "reset": "Returns the connection to its initial state.",
    "select": "Switches the connection to another logical database.",
    "client": "Commands that inspect and manage client connections.",
    "client|id": "Replies with this connection's id.",
    "client|setname": "Names this connection.",
    "client|getname": "Replies with this connection's name.",
    "client|list": "Lists the open client connections.",
    "client|info": "Describes this connection.",
    "client|kill": "Closes the client connections that match a filter.",
    "client|setinfo": "Records the client library's name or version for this connection.",
    "client|reply": "Turns replies to this connection's commands on, off, or off for one command.",
    "client|no-evict": "Excludes this connection from client eviction.",
    "client|pause": "Stops serving client commands for a while.",
    "client|unpause": "Resumes serving commands paused by CLIENT PAUSE.",
    "client|help": "Lists the CLIENT subcommands.",
    "command": "Describes every command the server knows.",
    "command|count": "Replies with the number of commands.",
    "command|info": "Describes the named commands, or all of them.",
    "command|docs": "Gives the documentation of the named commands, or of all.",
    "command|list": "Lists command names, optionally filtered.",
    "command|getkeys": "Extracts the keys from a full command.",
    "command|getkeysandflags": "Extracts the keys from a full command, with their access flags.",
    "command|help": "Lists the COMMAND subcommands.",
    "config": "Commands that read and change the server configuration.",
    "config|get": "Replies with the values of the matching configuration parameters.",
    "config|set": "Changes configuration parameters while the server runs.",
    "config|resetstat": "Resets the server's statistics counters.",
    "config|help": "Lists the CONFIG subcommands.",
    "info": "Reports information and statistics about the server.",
    "dbsize": "Replies with the number of keys in the selected database.",
    "flushdb": "Deletes every key of the selected database.",
    "flushall": "Deletes every key of every database.",
    "time": "Replies with the server's clock.",
    "monitor": "Streams every command the server processes.",
    "debug": "Debugging helpers.",
    "function": "Commands that manage functions.",
    "function|flush": "Deletes every function.",
    "function|help": "Lists the FUNCTION subcommands.",
    "shutdown": "Stops the server.",
    "subscribe": "Listens for messages published to channels.",
    "unsubscribe": "Stops listening to channels.",
    "psubscribe": "Listens for messages published to channels matching patterns.",
    "punsubscribe": "Stops listening to channel patterns.",
    "ssubscribe": "Listens for messages published to shard channels.",
    "sunsubscribe": "Stops listening to shard channels.",
    "publish": "Posts a message to a channel.",
    "spublish": "Posts a message to a shard channel.",
    "pubsub": "Commands that inspect the pub/sub state.",
    "pubsub|channels": "Lists the active channels, optionally matching a pattern.",
    "pubsub|numsub": "Counts the subscribers of channels.",
    "pubsub|numpat": "Counts the unique pattern subscriptions.",
    "pubsub|shardchannels": "Lists the active shard channels, optionally matching a pattern.",
    "pubsub|shardnumsub": "Counts the subscribers of shard channels.",
    "pubsub|help": "Lists the PUBSUB subcommands.",
    "get": "Replies with the string value of a key.",
    "lcs": "Finds the longest common subsequence of two string values.",
    "set": "Sets the string value of a key, optionally with an expiry and conditions.",
    "setbit": "Sets or clears one bit of a string value, growing it with zero bytes as needed.",
    "getbit": "Replies with one bit of a string value.",
    "bitcount": "Counts the set bits of a string value, optionally within a byte or bit range.",
    "bitpos": "Finds the first set or clear bit of a string value, optionally within a byte or bit range.",
    "bitop": "Combines string values with AND, OR, XOR or NOT and stores the result.",
    "bitfield": "Reads, writes and increments integers of any width at any bit offset of a string value.",
    "bitfield_ro": "Reads integers of any width at any bit offset of a string value.",
    "del": "Deletes keys.",
    "exists": "Counts how many of the given keys exist.",
    "type": "Replies with the type of the value stored at a key.",
    "ttl": "Replies with the remaining time to live of a key in seconds.",
    "pttl": "Replies with the remaining time to live of a key in milliseconds.",
    "expire": "Sets a key's time to live in seconds.",
    "pexpire": "Sets a key's time to live in milliseconds.",
    "expireat": "Sets a key's expiry as a Unix time in seconds.",
    "pexpireat": "Sets a key's expiry as a Unix time in milliseconds.",
    "persist": "Removes a key's expiry.",
    "setnx": "Sets the string value of a key only if the key does not exist.",
    "setex": "Sets the string value of a key with a time to live in seconds.",
    "psetex": "Sets the string value of a key with a time to live in milliseconds.",
    "getset": "Sets a key's string value and replies with the previous one.",
    "getdel": "Replies with a key's string value and deletes the key.",
    "getex": "Replies with a key's string value and changes or removes its expiry.",
    "mget": "Replies with the string values of several keys.",
    "mset": "Sets the string values of several keys.",
    "msetnx": "Sets the string values of several keys only if none of them exists.",
    "append": "Appends bytes to a key's string value, creating the key if needed.",
    "strlen": "Replies with the length of a key's string value.",
    "getrange": "Replies with a range of bytes of a key's string value.",
    "substr": "Replies with a range of bytes of a key's string value (old name of GETRANGE).",
    "setrange": "Overwrites part of a key's string value from an offset, padding with zero bytes.",
    "incr": "Adds one to the integer value of a key.",
    "decr": "Subtracts one from the integer value of a key.",
    "incrby": "Adds an integer to the integer value of a key.",
    "decrby": "Subtracts an integer from the integer value of a key.",
    "incrbyfloat": "Adds a floating-point number to the numeric value of a key.",
    "unlink": "Deletes keys (the same as DEL here).",
    "expiretime": "Replies with a key's expiry as a Unix time in seconds.",
    "pexpiretime": "Replies with a key's expiry as a Unix time in milliseconds.",
    "keys": "Lists the keys matching a pattern.",
    "scan": "Iterates over the keys of the selected database with a cursor.",
    "rename": "Renames a key, replacing any key with the new name.",
    "renamenx": "Renames a key only if the new name is not taken.",
    "randomkey": "Replies with a random key of the selected database.",
    "copy": "Copies a key's value to another key, optionally in another database.",
    "move": "Moves a key to another database.",
    "swapdb": "Swaps the contents of two databases.",
    "touch": "Counts the given keys that exist, recording an access to each.",
    "object": "Commands that inspect how a key's value is stored.",
    "object|encoding": "Replies with the internal encoding of a key's value.",
    "object|freq": "Replies with a key's logarithmic access frequency counter (LFU policies).",
    "object|idletime": "Replies with the seconds since a key was last accessed (non-LFU policies).",
    "object|refcount": "Replies with the reference count of a key's value.",
    "object|help": "Lists the OBJECT subcommands.",
    "memory": "Commands that report on memory use.",
    "memory|usage": "Replies with the bytes a key and its value take.",
    "memory|purge": "Returns free heap memory to the operating system.",
    "memory|malloc-stats": "Replies with the memory allocator's statistics, where it gives any.",
    "memory|help": "Lists the MEMORY subcommands.",
    "dump": "Serializes the value stored at a key in Redis's DUMP format.",
    "restore": "Creates a key from a value serialized by DUMP, optionally with an expiry.",
}

# RESP3 values are kept as (type, payload): type one of + $ : * ~ % _
def S(x): return ("+", x)
def B(x): return ("$", x)
def I(x): return (":", x)
def A(*x): return ("*", list(x))
def SET(*x): return ("~", list(x))
def M(*pairs): return ("%", [v for p in pairs for v in p])

EXTRA_INFO = {
    "client|setinfo": A(B("client|setinfo"), I(4), SET(S("noscript"), S("loading"), S("stale")), I(0), I(0), I(0),
                        SET(S("@slow"), S("@connection")), SET(), SET(), SET()),
}
EXTRA_DOCS = {
    "client|setinfo": M((B("summary"), B("")), (B("since"), B("7.2.0")), (B("group"), B("connection")),
                        (B("complexity"), B("O(1)")),
                        (B("arguments"), A(M((B("name"), B("attr")), (B("type"), B("oneof")), (B("arguments"), A(
                            M((B("name"), B("libname")), (B("type"), B("string")), (B("token"), B("LIB-NAME"))),
                            M((B("name"), B("libver")), (B("type"), B("string")), (B("token"), B("LIB-VER"))))))))),
}


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = chr(line[0]), line[1:].decode()
        if t in "+-": return (t, rest)
        if t == ":": return (t, int(rest))
        if t == "_": return (t, None)
        if t == "$":
            n = int(rest)
            data = self.f.read(n + 2)[:-2]
            return (t, data.decode())
        if t in "*~>":
            return (t, [self.read() for _ in range(int(rest))])
        if t == "%":
            return (t, [self.read() for _ in range(2 * int(rest))])
        raise ValueError(line)


def swift(v, indent=0):
    t, p = v
    if t == "+": return ".status(%s)" % q(p)
    if t == "$": return ".bulk(%s)" % q(p)
    if t == ":": return ".integer(%d)" % p
    kind = {"*": "array", "~": "set", "%": "map"}[t]
    if not p: return ".%s([])" % kind
    pad = "    " * (indent + 1)
    inner = (",\n").join(pad + swift(x, indent + 1) for x in p)
    return ".%s([\n%s,\n%s])" % (kind, inner, "    " * indent)


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def map_get(m, key):
    p = m[1]
    for i in range(0, len(p), 2):
        if p[i][1] == key: return p[i + 1]
    return None


def map_set(m, key, value):
    p = m[1]
    for i in range(0, len(p), 2):
        if p[i][1] == key:
            p[i + 1] = value
            return
    p.extend([B(key), value])


def main():
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    tmp = tempfile.mkdtemp()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--dir", tmp],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in proc.stdout:
        if b"Ready to accept connections" in line: break
    try:
        c = Conn(port)
        c.call("HELLO", "3")
        version = map_get(c.call("HELLO", "3"), "version")[1]
        entries = []
        for name, subs in COMMANDS.items():
            info = c.call("COMMAND", "INFO", name)[1][0]
            docs_all = c.call("COMMAND", "DOCS", name)
            docs = map_get(docs_all, name)
            if subs is not None:
                kept = []
                by_name = {s[1][0][1]: s for s in info[1][9][1]}
                for sub in subs:
                    full = name + "|" + sub
                    kept.append(by_name.get(full) or EXTRA_INFO[full])
                info[1][9] = ("*", kept)
                sub_docs = map_get(docs, "subcommands")
                kept_docs = []
                for sub in subs:
                    full = name + "|" + sub
                    d = map_get(sub_docs, full) or EXTRA_DOCS[full]
                    map_set(d, "summary", B(SUMMARIES[full]))
                    kept_docs.extend([B(full), d])
                map_set(docs, "subcommands", ("%", kept_docs))
            map_set(docs, "summary", B(SUMMARIES[name]))
            entries.append((name, info, docs))
    finally:
        proc.terminate(); proc.wait()
    out = ["// Generated by tools/gen-command-table.py from redis-server %s's COMMAND INFO and COMMAND DOCS" % version,
           "// (summaries are our own). Do not edit by hand: change the script and run it again.", "",
           "extension CommandMetadata {", "    /// Every command's Redis metadata, in table order.",
           "    static let generated: [CommandMetadata] = ["]
    for name, info, docs in entries:
        out.append("        CommandMetadata(")
        out.append("            name: %s," % q(name))
        out.append("            info: " + swift(info, 3) + ",")
        out.append("            docs: " + swift(docs, 3))
        out.append("        ),")
    out += ["    ]", "}", ""]
    path = os.path.join(os.path.dirname(__file__), "..", "Sources", "Broker", "Commands",
                        "CommandMetadata+Generated.swift")
    with open(path, "w") as f:
        f.write("\n".join(out))
    # Keep the file as `swift format` leaves it, so a run of the script changes only what changed.
    subprocess.run(["swift", "format", "--in-place", path], check=True)
    print("wrote", os.path.normpath(path), len(entries), "commands")


if __name__ == "__main__":
    main()
