"""A fake SMS relay for the generic HTTPS gateway (SMS_HTTP_URL), for black-box tests. Standard library only.

It checks what the contract (docs/sms-gateways.md) asks a relay to check: POST, application/json, the
X-Sms-Auth-Signature header (t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, compared in constant time, t within
five minutes), and the body's fields. Modes: "ok" (200 {"message_id"}), "4xx" (422, a refused number), "5xx" (503),
"hang" (read the request, never answer). A request with a bad signature gets 401 and is not counted as sent.
"""
import hashlib
import hmac
import http.server
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass

MAX_SKEW_SECONDS = 300


@dataclass
class RelayRequest:
    path: str
    headers: dict
    raw_body: bytes
    body: object            # the parsed JSON, or None
    signature_ok: bool
    signature_problem: str  # why it was refused, "" when valid


@dataclass
class RelayedSms:
    message_id: str
    recipient: str
    text: str
    sender: object
    id: str


def check_signature(secret: str, header: str, body: bytes, now=None):
    """'' when `header` signs `body` with `secret` (and is fresh), else the reason."""
    now = time.time() if now is None else now
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or not v1:
        return "malformed signature header"
    if abs(now - int(t)) > MAX_SKEW_SECONDS:
        return "timestamp too far from now"
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, v1):
        return "signature mismatch"
    return ""


class FakeRelay:
    def __init__(self, certfile, keyfile, secret, host="127.0.0.1"):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(certfile, keyfile)
        self.secret = secret
        self.host = host
        self.mode = "ok"
        self.lock = threading.Lock()
        self.requests = []
        self.sent = []
        self._next_id = 1
        self._release = threading.Event()
        self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, host="localhost"):
        return f"https://{host}:{self.port}/sms/send"

    def start(self):
        relay = self

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                request.settimeout(10)
                request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    tls = relay.context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                try:
                    RelayHandler(tls, client_address, self, relay)
                finally:
                    try:
                        tls.close()
                    except OSError:
                        pass

            def handle_error(self, request, client_address):
                pass

        self._server = Server((self.host, 0), lambda *a: None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def received(self):
        with self.lock:
            return list(self.requests)

    def wait_for_requests(self, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.received()) < count:
            time.sleep(0.05)
        return self.received()


class RelayHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, request, client_address, server, relay):
        self.relay = relay
        super().__init__(request, client_address, server)

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        problem = check_signature(self.relay.secret, self.headers.get("X-Sms-Auth-Signature") or "", raw)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        request = RelayRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body, not problem,
                               problem)
        with self.relay.lock:
            self.relay.requests.append(request)
        if problem:
            self._send(401, {"error": problem})
            return
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            self._send(415, {"error": "expected application/json"})
            return
        if (not isinstance(body, dict) or not isinstance(body.get("recipient"), str)
                or not body["recipient"].isdigit() or not isinstance(body.get("text"), str)
                or not isinstance(body.get("id"), str) or not (body.get("sender") is None
                                                                or isinstance(body.get("sender"), str))):
            self._send(400, {"error": "bad body"})
            return
        mode = self.relay.mode
        if mode == "hang":
            self.relay._release.wait(60)
            self.close_connection = True
            return
        if mode == "4xx":
            self._send(422, {"error": "this number is not served"})
            return
        if mode == "5xx":
            self._send(503, {"error": "upstream provider unavailable"})
            return
        with self.relay.lock:
            message_id = f"relay-{self.relay._next_id}"
            self.relay._next_id += 1
            self.relay.sent.append(RelayedSms(message_id, body["recipient"], body["text"], body["sender"], body["id"]))
        self._send(200, {"message_id": message_id})

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
