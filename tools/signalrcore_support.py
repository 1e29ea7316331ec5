"""What tools/learninghub-contract.py and tools/signalr-transport-interop.py share: a LearningHub
client over signalrcore (mandrewcito/signalrcore) with blocking checks, and the TriggerStream
check. Importing it exits with status 2 when signalrcore is missing."""
import queue
import sys
import threading
import uuid

try:
    from signalrcore.hub.handlers import StreamHandler
    from signalrcore.messages.stream_invocation_message import StreamInvocationMessage
except ImportError:
    print("signalrcore is not installed (python3 -m pip install signalrcore==1.0.2)", file=sys.stderr)
    sys.exit(2)

TIMEOUT = 10
STANDARD = "User connection id: {}. Message: {}"


class Failure(Exception):
    pass


def check(name, body):
    body()
    print(f"ok  {name}", flush=True)


class LearningHubClient:
    """The checks on one connection; a subclass builds and starts `self.hub` and sets `self.name`,
    `self.messages` (ReceiveMessage texts) and `self.errors` (completion errors)."""

    def listen(self, name):
        self.name = name
        self.messages = queue.Queue()
        self.errors = queue.Queue()
        self.hub.on_error(lambda completion: self.errors.put(completion.error))
        self.hub.on("ReceiveMessage", lambda args: self.messages.put(args[0]))

    def next(self):
        try:
            return self.messages.get(timeout=TIMEOUT)
        except queue.Empty:
            raise Failure(f"{self.name}: no ReceiveMessage within {TIMEOUT} s")

    def expect(self, text):
        got = self.next()
        if got != text:
            raise Failure(f"{self.name}: expected {text!r}, got {got!r}")

    def invoke(self, method, args):
        done = threading.Event()
        self.hub.send(method, args, on_invocation=lambda _: done.set())
        return done

    def call(self, method, args):
        """A blocking invocation that must complete without an error."""
        if not self.invoke(method, args).wait(TIMEOUT):
            raise Failure(f"{self.name}: {method} did not complete")
        try:
            raise Failure(f"{self.name}: {method} failed: {self.errors.get_nowait()}")
        except queue.Empty:
            pass

    def ready(self):
        """Waits until the server has registered the connection: a blocking call is dispatched only
        after the hub's onConnected (as in ASP.NET Core, the handshake reply comes before it)."""
        self.call("SendToIndividual", ["no-such-connection", "ready?"])


def trigger_stream(client, jobs):
    """TriggerStream(jobs) streams `Job <i> executed succesfully` and completes."""
    items = queue.Queue()
    done = threading.Event()
    # signalrcore's stream() sends the StreamInvocation before subscribe() attaches the callbacks,
    # so an item that arrives at once (Job 0 does) can be dropped. The same steps, with the
    # callbacks attached first:
    invocation_id = str(uuid.uuid4())
    handler = StreamHandler("TriggerStream", invocation_id)
    handler.subscribe({"next": items.put, "complete": lambda _: done.set(), "error": lambda e: items.put(("error", e))})
    client.hub.stream_handlers[invocation_id].append(handler)
    client.hub.transport.send(
        StreamInvocationMessage(invocation_id, "TriggerStream", [jobs], headers=client.hub.headers)
    )
    if not done.wait(TIMEOUT + jobs):
        raise Failure("TriggerStream did not complete")
    got = [items.get_nowait() for _ in range(items.qsize())]
    expected = [f"Job {i} executed succesfully" for i in range(jobs)]
    if got != expected:
        raise Failure(f"TriggerStream: expected {expected}, got {got}")
