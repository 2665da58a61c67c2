"""A small synchronous client for the agent suites (MemoryHub, ModelManagerSuite, AdaptiveLearningSuite)."""

import uuid

import zmq

from . import codec

#: The suites' health socket is the main port + 100 (7010 -> 7110, 7011 -> 7111, 7012 -> 7112).
HEALTH_PORT_SHIFT = 100


class NoReplyError(TimeoutError):
    """No reply came from the suite in any attempt. The only error `call` raises for the wire."""

    def __init__(self, endpoint, timeout_ms, attempts):
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.attempts = attempts
        super().__init__(
            "no reply from %s within %d ms (%d attempt%s)" % (endpoint, timeout_ms, attempts, "" if attempts == 1 else "s")
        )


def normalize_endpoint(endpoint):
    """'127.0.0.1:7010' and 'tcp://127.0.0.1:7010' both mean the same socket."""
    if "://" in endpoint:
        return endpoint
    if ":" not in endpoint:
        raise ValueError("endpoint needs a host and a port, e.g. tcp://127.0.0.1:7010 (got %r)" % endpoint)
    return "tcp://" + endpoint


def health_endpoint_of(endpoint):
    """The health socket beside a main endpoint: same host, port + 100."""
    head, _, port = endpoint.rpartition(":")
    if not port.isdigit():
        raise ValueError("cannot derive a health endpoint from %r; pass health_endpoint=" % endpoint)
    return "%s:%d" % (head, int(port) + HEALTH_PORT_SHIFT)


class Client:
    """
    Requests to one suite. `call` sends one request and returns the reply exactly as the suite sent
    it: a failed action is a reply with `"status": "error"`, not an exception, so legacy callers read
    `status` as they always did. Only silence raises: after `retries` further attempts (each on a
    fresh socket, the ZeroMQ guide's Lazy Pirate pattern) `NoReplyError`, a `TimeoutError`, is
    raised, at most about (retries + 1) * timeout_ms after the call.

    Every request gets a `request_id` (unless you give one) that stays the same across the
    attempts, so a write whose reply was lost is answered from the suite's reply cache on the retry
    instead of running twice.

    A Client holds ZeroMQ sockets and is meant for one thread; give each thread its own.
    """

    def __init__(self, endpoint, timeout_ms=5000, retries=3, msgpack=False, target_agent=None,
                 health_endpoint=None, context=None):
        if timeout_ms <= 0:
            raise ValueError("timeout_ms must be positive")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if msgpack and not codec.msgpack_available():
            raise RuntimeError(
                "msgpack=True needs the msgpack package (pip install msgpack, or apt-get install python3-msgpack)"
            )
        self.endpoint = normalize_endpoint(endpoint)
        self.health_endpoint = normalize_endpoint(health_endpoint) if health_endpoint else health_endpoint_of(self.endpoint)
        self.timeout_ms = int(timeout_ms)
        self.retries = int(retries)
        self.msgpack = bool(msgpack)
        self.target_agent = target_agent
        self._context = context or zmq.Context.instance()
        self._sockets = {}
        self._closed = False

    # -- requests ------------------------------------------------------------------------------

    def call(self, action, **params):
        """Sends {"action": action, **params} and returns the decoded reply (usually a dict)."""
        return self.send(dict(params, action=action))

    def send(self, request):
        """
        Sends a whole request object as given (for legacy dialects such as {"command": "LOAD_MODEL"}
        or {"action": ..., "data": {...}}), adding `request_id` and the client's target_agent when
        absent. Returns the decoded reply.
        """
        body = self._prepare(request)
        return self._exchange(self.endpoint, codec.encode(body, self.msgpack))

    def health(self):
        """The suite's health object from its health socket (any frame gets it)."""
        return self._exchange(self.health_endpoint, codec.encode({"action": "health_check"}, self.msgpack))

    def stream(self, action, **params):
        """
        Streamed generation: returns a `Stream` that yields each chunk reply
        ({"stream": "chunk", "text": ...}) as it arrives; after the loop, `stream.reply` holds the
        final reply. Uses a DEALER socket, the only kind that may get several replies to one
        request. Not retried (a repeated generation is not the same request).
        """
        body = self._prepare(dict(params, action=action, stream=True))
        return Stream(self, codec.encode(body, self.msgpack), body["request_id"])

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self):
        for sock in self._sockets.values():
            sock.close(linger=0)
        self._sockets.clear()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals -----------------------------------------------------------------------------

    def _prepare(self, request):
        if self._closed:
            raise RuntimeError("client is closed")
        if not isinstance(request, dict):
            raise TypeError("a request is a dict, got %s" % type(request).__name__)
        body = dict(request)
        if body.get("request_id") is None:
            body["request_id"] = uuid.uuid4().hex
        if self.target_agent and "target_agent" not in body:
            body["target_agent"] = self.target_agent
        return body

    def _req_socket(self, endpoint):
        sock = self._sockets.get(endpoint)
        if sock is None:
            sock = self._context.socket(zmq.REQ)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
            self._sockets[endpoint] = sock
        return sock

    def _drop(self, endpoint):
        sock = self._sockets.pop(endpoint, None)
        if sock is not None:
            sock.close(linger=0)

    def _exchange(self, endpoint, frame):
        """Lazy Pirate: send, wait timeout_ms, on silence close the socket and resend on a new one."""
        attempts = self.retries + 1
        for _ in range(attempts):
            sock = self._req_socket(endpoint)
            sock.send(frame)
            if sock.poll(self.timeout_ms, zmq.POLLIN):
                return codec.decode(sock.recv())
            # A REQ socket that sent and got nothing cannot send again; a new one also drops
            # whatever the dead connection still held.
            self._drop(endpoint)
        raise NoReplyError(endpoint, self.timeout_ms, attempts)


class Stream:
    """Iterates the chunk replies of one streamed request; `reply` is the final reply afterwards."""

    def __init__(self, client, frame, request_id):
        self._client = client
        self._frame = frame
        self.request_id = request_id
        self.reply = None

    def __iter__(self):
        client = self._client
        sock = client._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(client.endpoint)
            # One frame, no empty delimiter: the suite then knows this peer can take several replies.
            sock.send(self._frame)
            while True:
                if not sock.poll(client.timeout_ms, zmq.POLLIN):
                    raise NoReplyError(client.endpoint, client.timeout_ms, 1)
                message = codec.decode(sock.recv_multipart()[-1])
                if isinstance(message, dict) and message.get("stream") == "chunk":
                    yield message
                    continue
                self.reply = message
                return
        finally:
            sock.close(linger=0)

    def text(self):
        """Runs the stream to the end and returns the chunks' text joined."""
        return "".join(str(chunk.get("text", "")) for chunk in self)
