"""A fake SMS relay for the generic HTTPS gateway (SMS_HTTP_URL), for black-box tests. Standard library only.

It checks what the contract (docs/sms-gateways.md) asks a relay to check: POST, application/json, the
X-Sms-Auth-Signature header (t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>, compared in constant time, t within
five minutes), and the body's fields. Modes: "ok" (200 {"message_id"}), "4xx" (422, a refused number), "5xx" (503),
"hang" (read the request, never answer). A request with a bad signature gets 401 and is not counted as sent.
"""
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from https_fake import FakeHandler, HttpsFake

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


class FakeRelay(HttpsFake):
    url_path = "/sms/send"

    def __init__(self, certfile, keyfile, secret, host="127.0.0.1"):
        super().__init__(certfile, keyfile, RelayHandler, host)
        self.secret = secret
        self.mode = "ok"
        self._next_id = 1

    def wait_for_requests(self, count, timeout=20):
        return self._wait_for(self.received, count, timeout)


class RelayHandler(FakeHandler):
    def do_POST(self):
        raw = self._read_body()
        problem = check_signature(self.fake.secret, self.headers.get("X-Sms-Auth-Signature") or "", raw)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        self._record(RelayRequest(self.path, self._headers(), raw, body, not problem, problem))
        if problem:
            self._send_json(401, {"error": problem})
            return
        if "application/json" not in (self.headers.get("Content-Type") or ""):
            self._send_json(415, {"error": "expected application/json"})
            return
        if (not isinstance(body, dict) or not isinstance(body.get("recipient"), str)
                or not body["recipient"].isdigit() or not isinstance(body.get("text"), str)
                or not isinstance(body.get("id"), str) or not (body.get("sender") is None
                                                                or isinstance(body.get("sender"), str))):
            self._send_json(400, {"error": "bad body"})
            return
        mode = self.fake.mode
        if mode == "hang":
            self._hang()
            return
        if mode == "4xx":
            self._send_json(422, {"error": "this number is not served"})
            return
        if mode == "5xx":
            self._send_json(503, {"error": "upstream provider unavailable"})
            return
        with self.fake.lock:
            message_id = f"relay-{self.fake._next_id}"
            self.fake._next_id += 1
            self.fake.sent.append(RelayedSms(message_id, body["recipient"], body["text"], body["sender"], body["id"]))
        self._send_json(200, {"message_id": message_id})

    def _send_json(self, status, payload):
        self._send(status, json.dumps(payload).encode(), "application/json")
