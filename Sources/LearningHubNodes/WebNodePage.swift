extension WebNode {
    /// The chat page `GET /` serves: one self-contained HTML document (no external files, no CDN)
    /// with a SignalR JavaScript client written for this project, speaking the JSON hub protocol
    /// (negotiate version 1). It offers the controls of the book's node 1 page (`site.js`,
    /// learninghub.md §8).
    ///
    /// The client negotiates at `POST {hub}/negotiate?negotiateVersion=1`, then tries the offered
    /// transports in the order WebSockets → Server-Sent Events → long polling (negotiating again
    /// after a transport fails to start), does the `{"protocol":"json","version":1}` handshake,
    /// sends a Ping every 15 s and treats 30 s of silence from the server as a lost connection
    /// (not on long polling). After an unexpected close (or a Close with `allowReconnect`) it
    /// reconnects after 0, 2, 10 and 30 s, then every 30 s; a first start that fails is retried
    /// every 5 s, as in the book's page.
    ///
    /// Query parameters of the page's URL:
    /// * `hub=<url>`: the hub (default `/learningHub` on the page's origin). Another origin needs
    ///   the node's `--cors-origin`; requests carry credentials (`credentials: "include"`,
    ///   EventSource `withCredentials`), so that origin must be named, not `*`.
    /// * `transport=webSockets|serverSentEvents|longPolling`: use only that transport.
    ///
    /// Element ids, for tests:
    /// * `status`: `disconnected`, `connecting`, `connected via <Transport>` or `reconnecting`;
    ///   `transport`: `WebSockets`, `ServerSentEvents`, `LongPolling` or `none`; `my-id`: the
    ///   page's own connection id; `error`: the last error (a failed invocation, such as
    ///   `SendToCaller`'s, or a connection error), also logged to the console.
    /// * `message` (text box), with the buttons `broadcast` (`BroadcastMessage(text)`, or, when the
    ///   text contains `;`, its parts uploaded as a client-to-server stream to `BroadcastStream`),
    ///   `others` (`SendToOthers(text)`) and `self` (`SendToCaller(text)`).
    /// * `connection-id` (text box) and `individual` (`SendToIndividual(connectionId, text)`).
    /// * `group` (text box), `group-message` (`SendToGroup(group, text)`), `join`
    ///   (`AddUserToGroup(group)`) and `leave` (`RemoveUserFromGroup(group)`).
    /// * `jobs` (number box) and `trigger-stream` (the server stream `TriggerStream(jobs)`).
    /// * `messages`: a `<ul>` with one `<li>` per `ReceiveMessage` text and per stream item,
    ///   newest first as in the book's page (set as text, never as HTML).
    ///
    /// `window.hub` is the connection: `state`, `connectionId`, `on(target, handler)`,
    /// `send(method, ...args)`, `invoke(method, ...args)` (a Promise), `stream(method, ...args)`
    /// (`.subscribe({next, complete, error})` returns `{dispose}`), `start()` and `stop()`. A
    /// `new Subject()` (`window.Subject`; `next`, `complete`, `error`) passed as an argument
    /// becomes a client-to-server stream.
    static let chatPage = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Switchboard LearningHub</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 48rem; }
          fieldset { margin-bottom: .75rem; }
          label { display: inline-block; min-width: 7rem; }
          input { margin: .15rem .25rem .15rem 0; }
          #status-line { color: #555; }
          #error { color: #a00; min-height: 1.2em; }
          #messages li { font-family: ui-monospace, monospace; }
        </style>
        </head>
        <body>
        <h1>LearningHub</h1>
        <p id="status-line">Status: <span id="status">disconnected</span>
          · transport: <span id="transport">none</span>
          · your connection id: <code id="my-id"></code></p>

        <fieldset>
          <legend>Message</legend>
          <label for="message">Text</label><input id="message" size="40" placeholder="text (a;b;c streams the parts)">
          <button id="broadcast">Broadcast</button>
          <button id="others">Send to Others</button>
          <button id="self">Send to Self</button>
        </fieldset>
        <fieldset>
          <legend>Specific connection</legend>
          <label for="connection-id">Connection id</label><input id="connection-id" size="30">
          <button id="individual">Send to Specific User</button>
        </fieldset>
        <fieldset>
          <legend>Groups</legend>
          <label for="group">Group</label><input id="group" size="20">
          <button id="group-message">Send to Group</button>
          <button id="join">Add User to Group</button>
          <button id="leave">Remove User from Group</button>
        </fieldset>
        <fieldset>
          <legend>Server stream</legend>
          <label for="jobs">Jobs</label><input id="jobs" type="number" min="0" value="3" style="width: 5rem">
          <button id="trigger-stream">Trigger Server Stream</button>
        </fieldset>
        <p id="error"></p>
        <ul id="messages"></ul>

        <script>
        "use strict";
        // A small SignalR client (JSON hub protocol, negotiate version 1) written for this page.

        const RS = "\u001e"; // record separator that ends every JSON hub message
        const MessageType = { Invocation: 1, StreamItem: 2, Completion: 3, StreamInvocation: 4,
          CancelInvocation: 5, Ping: 6, Close: 7 };
        const TRANSPORT_ORDER = ["WebSockets", "ServerSentEvents", "LongPolling"];
        const RECONNECT_DELAYS = [0, 2000, 10000, 30000]; // then every 30 s
        const KEEP_ALIVE_MS = 15000, SERVER_TIMEOUT_MS = 30000, HANDSHAKE_TIMEOUT_MS = 15000;

        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

        // ---- Transports: connect(url) resolves once open; onreceive(text), onclose(error?) ----

        class WebSocketTransport {
          constructor() { this.name = "WebSockets"; this.inherentKeepAlive = false; }
          connect(url) {
            return new Promise((resolve, reject) => {
              const socket = new WebSocket(url.replace(/^http/, "ws"));
              let opened = false;
              socket.onopen = () => { opened = true; resolve(); };
              socket.onmessage = (event) => this.onreceive(event.data);
              socket.onclose = (event) => {
                if (!opened) { reject(new Error("WebSocket failed to connect.")); return; }
                this.finish(event.code === 1000 ? undefined
                  : new Error(`WebSocket closed with status code ${event.code} (${event.reason || "no reason"}).`));
              };
              this.socket = socket;
            });
          }
          async send(text) { this.socket.send(text); }
          stop() { // reports the close at once, without waiting for the server's close frame
            if (this.socket) { this.socket.onmessage = null; this.socket.close(1000); }
            this.finish();
          }
          finish(error) { // reports the close once
            if (this.finished) return;
            this.finished = true;
            this.onclose(error);
          }
        }

        // Sends of the HTTP transports go one at a time, in order (the server answers 409 to concurrent sends).
        class HttpSender {
          constructor() { this.queue = Promise.resolve(); }
          post(url, text) {
            const result = this.queue.then(async () => {
              const response = await fetch(url, { method: "POST", body: text, credentials: "include" });
              if (!response.ok) throw new Error(`Send failed: HTTP ${response.status}.`);
            });
            this.queue = result.catch(() => {});
            return result;
          }
        }

        class ServerSentEventsTransport {
          constructor() {
            this.name = "ServerSentEvents"; this.inherentKeepAlive = false; this.sender = new HttpSender();
          }
          connect(url) {
            this.url = url;
            return new Promise((resolve, reject) => {
              const source = new EventSource(url, { withCredentials: true });
              let opened = false;
              source.onopen = () => { opened = true; resolve(); };
              source.onmessage = (event) => this.onreceive(event.data); // EventSource joins data: lines
              source.onerror = () => {
                source.close(); // no automatic EventSource reconnects: the server's connection is gone
                if (!opened) reject(new Error("EventSource failed to connect."));
                else this.finish(new Error("EventSource connection lost."));
              };
              this.source = source;
            });
          }
          send(text) { return this.sender.post(this.url, text); }
          stop() { this.source?.close(); this.finish(); }
          finish(error) { // reports the close once
            if (this.finished) return;
            this.finished = true;
            this.onclose(error);
          }
        }

        class LongPollingTransport {
          constructor() { this.name = "LongPolling"; this.inherentKeepAlive = true; this.sender = new HttpSender(); }
          async connect(url) {
            this.url = url;
            // The first poll returns at once with 200 and an empty body: it confirms the connection.
            const response = await fetch(url, { credentials: "include", cache: "no-store" });
            if (response.status !== 200) throw new Error(`Long polling failed to connect: HTTP ${response.status}.`);
            this.running = true;
            this.poll();
          }
          async poll() {
            let error;
            while (this.running) {
              try {
                this.abort = new AbortController();
                const response = await fetch(this.url,
                  { credentials: "include", cache: "no-store", signal: this.abort.signal });
                if (response.status === 204) break; // the server closed the connection
                if (response.status !== 200) { error = new Error(`Long poll failed: HTTP ${response.status}.`); break; }
                const text = await response.text(); // empty = poll timeout: poll again
                if (text && this.running) this.onreceive(text);
              } catch (e) {
                if (this.running) error = e;
                break;
              }
            }
            this.running = false;
            this.onclose(error);
          }
          send(text) { return this.sender.post(this.url, text); }
          async stop() {
            if (!this.running) return;
            this.running = false;
            this.abort?.abort(); // ends the poll loop, which reports the close
            try { await fetch(this.url, { method: "DELETE", credentials: "include" }); } catch { /* already gone */ }
          }
        }

        const TRANSPORTS = { WebSockets: WebSocketTransport, ServerSentEvents: ServerSentEventsTransport,
          LongPolling: LongPollingTransport };

        // ---- Client-to-server stream: pass one as an argument of send/invoke, then next()/complete() ----

        class Subject {
          constructor() { this.buffer = []; this.sink = null; }
          next(item) { this.emit({ item }); }
          complete() { this.emit({ done: true }); }
          error(error) { this.emit({ done: true, error: String(error) }); }
          emit(event) { this.sink ? this.sink(event) : this.buffer.push(event); }
          attach(sink) { this.sink = sink; this.buffer.splice(0).forEach(sink); }
        }

        // ---- The hub connection ----

        class HubConnection {
          /** url: absolute hub URL; transport: optional forced transport name. */
          constructor(url, transport) {
            this.url = url;
            this.forcedTransport = transport;
            this.handlers = new Map(); // lower-cased target -> [function]
            this.pending = new Map();  // invocation id -> { resolve, reject } or { observer }
            this.nextId = 0;
            this.state = "disconnected";
            this.onstatechange = () => {};
          }

          on(target, handler) {
            const key = target.toLowerCase();
            this.handlers.set(key, [...(this.handlers.get(key) || []), handler]);
          }

          setState(state, detail) {
            this.state = state;
            this.onstatechange(state, state === "connected" ? this.transport.name : undefined, detail);
          }

          async start() {
            this.stopRequested = false;
            this.setState("connecting");
            try {
              await this.connect();
            } catch (error) {
              this.setState("disconnected", error);
              throw error;
            }
          }

          async stop() {
            this.stopRequested = true;
            clearTimeout(this.reconnectTimer);
            if (this.state === "connected") await this.transport.stop();
            this.setState("disconnected");
          }

          async negotiate() {
            const url = new URL(this.url);
            url.pathname = url.pathname.replace(/\/$/, "") + "/negotiate";
            url.searchParams.set("negotiateVersion", "1");
            const response = await fetch(url, { method: "POST", credentials: "include" });
            if (!response.ok) throw new Error(`Negotiate failed: HTTP ${response.status}.`);
            const body = await response.json();
            if (body.error) throw new Error(`Negotiate failed: ${body.error}`);
            if (body.url) throw new Error("Negotiate redirects are not supported by this page.");
            return body;
          }

          // Negotiates and starts the first transport that is offered and opens, then does the handshake.
          async connect() {
            const wanted = this.forcedTransport ? [this.forcedTransport] : TRANSPORT_ORDER;
            const errors = [];
            let negotiation = null;
            for (const name of wanted) {
              // A transport that failed to start may have spoilt the connection: negotiate again after one.
              negotiation = negotiation || await this.negotiate();
              if (!negotiation.availableTransports?.some((t) => t.transport === name)) {
                errors.push(`${name} is not offered by the server`);
                continue;
              }
              const transport = new TRANSPORTS[name]();
              const url = new URL(this.url);
              url.searchParams.set("id", negotiation.connectionToken || negotiation.connectionId);
              transport.onreceive = (text) => this.receive(text);
              transport.onclose = (error) => this.closed(transport, error);
              try {
                await transport.connect(url.href);
              } catch (error) {
                errors.push(`${name}: ${error.message}`);
                negotiation = null;
                continue;
              }
              this.transport = transport;
              this.connectionId = negotiation.connectionId;
              await this.handshake(transport);
              if (this.stopRequested) { await transport.stop(); throw new Error("Stopped while connecting."); }
              this.setState("connected");
              return;
            }
            throw new Error(`Unable to connect: ${errors.join("; ")}`);
          }

          handshake(transport) {
            this.buffer = "";
            this.closeMessage = null;
            return new Promise((resolve, reject) => {
              const timer = setTimeout(() => fail(new Error("Handshake timed out.")), HANDSHAKE_TIMEOUT_MS);
              const fail = (error) => {
                clearTimeout(timer); this.handshakeWaiter = null; transport.stop(); reject(error);
              };
              this.handshakeWaiter = { fail, done: (response) => {
                clearTimeout(timer);
                this.handshakeWaiter = null;
                if (response.error) { fail(new Error(`Handshake refused: ${response.error}`)); return; }
                this.startTimers();
                resolve();
              } };
              transport.send(JSON.stringify({ protocol: "json", version: 1 }) + RS).catch(fail);
            });
          }

          startTimers() {
            const ping = () => this.sendMessage({ type: MessageType.Ping }).catch(() => {});
            this.pingTimer = setInterval(ping, KEEP_ALIVE_MS);
            this.resetServerTimeout();
          }

          resetServerTimeout() {
            clearTimeout(this.serverTimer);
            if (!this.transport || this.transport.inherentKeepAlive || !this.pingTimer) return; // not on long polling
            this.serverTimer = setTimeout(() => {
              this.lostError = new Error("Server timeout elapsed without receiving a message from the server.");
              this.transport?.stop();
            }, SERVER_TIMEOUT_MS);
          }

          // Incoming text: split on the record separator; a trailing partial message waits for more.
          receive(text) {
            this.resetServerTimeout();
            const parts = (this.buffer + text).split(RS);
            this.buffer = parts.pop();
            for (const part of parts) {
              let message;
              try { message = JSON.parse(part); } catch { console.error("Bad hub message", part); continue; }
              if (this.handshakeWaiter) this.handshakeWaiter.done(message);
              else this.dispatch(message);
            }
          }

          dispatch(message) {
            const entry = this.pending.get(message.invocationId);
            switch (message.type) {
              case MessageType.Invocation: this.invokeHandlers(message); break;
              case MessageType.StreamItem: entry?.observer?.next?.(message.item); break;
              case MessageType.Completion:
                this.pending.delete(message.invocationId);
                if (entry?.observer) {
                  message.error ? entry.observer.error?.(new Error(message.error)) : entry.observer.complete?.();
                } else if (entry) {
                  message.error ? entry.reject(new Error(message.error)) : entry.resolve(message.result);
                }
                break;
              case MessageType.Ping: break; // keeps the connection alive; nothing to answer
              case MessageType.Close:
                this.closeMessage = message;
                this.transport?.stop();
                break;
              default: break; // unknown types are ignored
            }
          }

          invokeHandlers(message) {
            const handlers = this.handlers.get(String(message.target).toLowerCase()) || [];
            if (handlers.length === 0) console.warn(`No handler for '${message.target}'.`);
            let result, error;
            for (const handler of handlers) {
              try { result = handler(...(message.arguments || [])); } catch (e) { error = e; console.error(e); }
            }
            if (message.invocationId) { // the server waits for a client result
              const reply = { type: MessageType.Completion, invocationId: message.invocationId };
              if (error) reply.error = String(error);
              else if (handlers.length === 0) reply.error = "Client didn't provide a result.";
              else reply.result = result ?? null;
              this.sendMessage(reply).catch(() => {});
            }
          }

          // The transport closed: clean up, then reconnect if the close was unexpected.
          closed(transport, error) {
            if (transport !== this.transport) return;
            this.transport = null;
            clearInterval(this.pingTimer);
            clearTimeout(this.serverTimer);
            this.pingTimer = null;
            const lost = new Error("Connection closed.");
            for (const entry of this.pending.values()) {
              if (entry.observer) entry.observer.error?.(lost); else entry.reject(lost);
            }
            this.pending.clear();
            if (this.handshakeWaiter) { this.handshakeWaiter.fail(error || lost); return; }
            if (this.state !== "connected") return; // start, reconnect or stop is in charge
            error = this.lostError || error;
            this.lostError = null;
            const close = this.closeMessage;
            if (close?.error) error = new Error(`Server closed the connection: ${close.error}`);
            if (!this.stopRequested && (!close || close.allowReconnect)) this.reconnect(error);
            else this.setState("disconnected", error);
          }

          async reconnect(error) {
            for (let attempt = 0; !this.stopRequested; attempt++) {
              this.setState("reconnecting", error);
              const delay = RECONNECT_DELAYS[Math.min(attempt, RECONNECT_DELAYS.length - 1)];
              await new Promise((resolve) => { this.reconnectTimer = setTimeout(resolve, delay); });
              if (this.stopRequested) break;
              try { await this.connect(); return; } catch (e) { error = e; }
            }
            this.setState("disconnected", error);
          }

          sendMessage(message) {
            if (this.state !== "connected" || !this.transport) return Promise.reject(new Error("Not connected."));
            return this.transport.send(JSON.stringify(message) + RS);
          }

          // Builds an invocation; Subject arguments become client-to-server streams.
          invocation(type, method, args, invocationId) {
            const message = { type, target: method, arguments: [] };
            if (invocationId !== undefined) message.invocationId = invocationId;
            const streams = [];
            for (const arg of args) {
              if (arg instanceof Subject) streams.push([String(this.nextId++), arg]);
              else message.arguments.push(arg);
            }
            if (streams.length) message.streamIds = streams.map(([id]) => id);
            return { message, streams };
          }

          // Sends the invocation, then pipes each stream's items (StreamItem) and its end (Completion).
          sendInvocation({ message, streams }) {
            const sent = this.sendMessage(message);
            for (const [id, subject] of streams) {
              subject.attach((event) => {
                const out = event.done ? { type: MessageType.Completion, invocationId: id }
                  : { type: MessageType.StreamItem, invocationId: id, item: event.item };
                if (event.error) out.error = event.error;
                this.sendMessage(out).catch((e) => console.error(e));
              });
            }
            return sent;
          }

          /** Fire and forget: no invocation id, the server sends nothing back. */
          send(method, ...args) {
            return this.sendInvocation(this.invocation(MessageType.Invocation, method, args));
          }

          /** Resolves with the method's result (Completion), or rejects with its error. */
          invoke(method, ...args) {
            const id = String(this.nextId++);
            const invocation = this.invocation(MessageType.Invocation, method, args, id);
            return new Promise((resolve, reject) => {
              this.pending.set(id, { resolve, reject });
              this.sendInvocation(invocation).catch((e) => { this.pending.delete(id); reject(e); });
            });
          }

          /** Server-to-client stream: stream(...).subscribe({ next, complete, error }) returns { dispose }. */
          stream(method, ...args) {
            return {
              subscribe: (observer) => {
                const id = String(this.nextId++);
                this.pending.set(id, { observer });
                this.sendInvocation(this.invocation(MessageType.StreamInvocation, method, args, id))
                  .catch((e) => { this.pending.delete(id); observer.error?.(e); });
                return { dispose: () => {
                  if (!this.pending.delete(id)) return; // already completed
                  this.sendMessage({ type: MessageType.CancelInvocation, invocationId: id }).catch(() => {});
                } };
              },
            };
          }
        }

        // ---- The page ----

        const params = new URLSearchParams(location.search);
        const TRANSPORT_PARAMS = { websockets: "WebSockets", serversentevents: "ServerSentEvents",
          longpolling: "LongPolling" };
        const forced = params.get("transport");
        const hubUrl = new URL(params.get("hub") || "/learningHub", location.href).href;
        const hub = new HubConnection(hubUrl, forced ? TRANSPORT_PARAMS[forced.toLowerCase()] || forced : undefined);
        window.hub = hub;
        window.Subject = Subject;

        const $ = (id) => document.getElementById(id);
        const value = (id) => $(id).value;

        function show(text) { // newest first, as the book's page does; text only, never HTML
          const item = document.createElement("li");
          item.textContent = String(text);
          $("messages").prepend(item);
        }

        function report(error) {
          console.error(error);
          $("error").textContent = String(error?.message || error);
        }

        hub.onstatechange = (state, transport, detail) => {
          $("status").textContent = state === "connected" ? `connected via ${transport}` : state;
          $("transport").textContent = state === "connected" ? transport : "none";
          $("my-id").textContent = state === "connected" ? hub.connectionId : "";
          if (state === "connected") $("error").textContent = "";
          if (detail) report(detail);
        };

        hub.on("ReceiveMessage", show);

        const call = (method, ...args) => { $("error").textContent = ""; hub.invoke(method, ...args).catch(report); };

        $("broadcast").onclick = () => {
          const text = value("message");
          if (!text.includes(";")) { call("BroadcastMessage", text); return; }
          // Each ;-separated part goes up as one item of a client-to-server stream.
          const subject = new Subject();
          hub.send("BroadcastStream", subject).catch(report);
          for (const part of text.split(";")) subject.next(part);
          subject.complete();
        };
        $("others").onclick = () => call("SendToOthers", value("message"));
        $("self").onclick = () => call("SendToCaller", value("message"));
        $("individual").onclick = () => call("SendToIndividual", value("connection-id"), value("message"));
        $("group-message").onclick = () => call("SendToGroup", value("group"), value("message"));
        $("join").onclick = () => call("AddUserToGroup", value("group"));
        $("leave").onclick = () => call("RemoveUserFromGroup", value("group"));
        $("trigger-stream").onclick = () => {
          $("error").textContent = "";
          hub.stream("TriggerStream", parseInt(value("jobs"), 10) || 0)
            .subscribe({ next: show, complete: () => console.log("TriggerStream completed."), error: report });
        };

        // Like the book's page: retry the first start every 5 s until it works.
        async function startHub() {
          try { await hub.start(); } catch { setTimeout(startHub, 5000); }
        }
        startHub();
        </script>
        </body>
        </html>

        """#
}
