"""A fake of Mobizon's SMS HTTP API v1 over HTTPS, for black-box tests. Standard library only.

It follows Mobizon's documented behaviour (README, "What each Mobizon answer does"): routes /service/<module>/<method>
case-insensitively, takes GET and POST, reads parameters from the query and from a form body, requires apiKey (else
code 8), answers HTTP 200 with the {code, data, message} envelope and string ids. Tests steer it with a few knobs
(`inject`, `always`, `mode`, `moderation`, `statuses`) and read what it received from `requests`.
"""
import http.server
import json
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

KNOWN = {
    "message": {"sendsmsmessage", "getsmsstatus"},
    "user": {"getownbalance"},
}


@dataclass
class Request:
    """One HTTP request the fake received, decoded."""
    http_method: str
    path: str
    query: dict          # name -> value (last wins), from the URL
    form: dict           # name -> value, from an application/x-www-form-urlencoded body
    raw_target: str
    raw_body: bytes
    headers: dict
    connection: int      # which TCP connection carried it (kept-alive connections carry several)
    module: str = ""
    method: str = ""

    def param(self, name):
        return self.form.get(name, self.query.get(name))


@dataclass
class Answer:
    code: int
    data: object = None
    message: str = ""


@dataclass
class SentMessage:
    message_id: str
    recipient: str
    text: str
    sender: str


class FakeMobizon:
    def __init__(self, certfile, keyfile, api_keys=None, host="127.0.0.1"):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(certfile, keyfile)
        self.api_keys = set(api_keys) if api_keys else None  # None: any non-empty key is accepted
        self.host = host
        self.lock = threading.Lock()
        self.requests = []
        self.sent = []
        self.handshake_failures = 0
        self.inject = []       # Answers for the next calls, one each, before normal behaviour resumes
        self.always = None     # an Answer for every call
        self.mode = "normal"   # "hang": read the request, never answer; "drop": read it, close without answering
        self.moderation = False
        self.statuses = {}     # message id -> status word for getSMSStatus (default NEW)
        self.balance = ("4043.0656", "KZT")
        self.delay = 0.0          # seconds to wait before each answer (a slow gateway)
        self.http_status = None   # e.g. 503: answer every call with this status and a proxy's HTML page
        self.idle_timeout = None  # seconds after which an idle kept-alive connection is closed (as nginx does)
        self._next_id = 6300284
        self._connections = 0
        self._release = threading.Event()
        self._server = None
        self._thread = None

    # ---- lifecycle ----
    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, host="localhost"):
        return f"https://{host}:{self.port}/service"

    def start(self):
        fake = self

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):
                # The TLS handshake happens here, in the connection's thread, so that a client refusing our
                # certificate is counted and never blocks the accept loop.
                request.settimeout(10)
                # Headers and body are written separately: without this, Nagle + delayed ACK add ~40 ms per answer.
                request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    tls = fake.context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    with fake.lock:
                        fake.handshake_failures += 1
                    return
                try:
                    Handler(tls, client_address, self, fake)
                finally:
                    try:
                        tls.close()
                    except OSError:
                        pass

            def handle_error(self, request, client_address):
                pass  # a client hanging up mid-request is part of the tests

        self._server = Server((self.host, 0), lambda *a: None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # ---- what tests read ----
    def calls(self, method=None):
        with self.lock:
            return [r for r in self.requests if method is None or f"{r.module}/{r.method}" == method]

    def wait_for_calls(self, method, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.calls(method)) >= count:
                return self.calls(method)
            time.sleep(0.05)
        return self.calls(method)

    # ---- behaviour ----
    def _new_connection_id(self):
        with self.lock:
            self._connections += 1
            return self._connections

    def answer(self, request):
        """The envelope for one decoded request (module/method already lower-cased)."""
        output = request.param("output") or "json"
        if output not in ("json", "xml"):
            return Answer(6, None, "Неверный формат")
        key = request.param("apiKey")
        if not key or (self.api_keys is not None and key not in self.api_keys):
            return Answer(8, [], "failed.api.auth")
        if request.module not in KNOWN:
            return Answer(4, None, f"Модуль {request.module} не найден")
        if request.method not in KNOWN[request.module]:
            return Answer(5, None, f"Метод {request.method} не найден")
        with self.lock:
            if self.inject:
                return self.inject.pop(0)
            if self.always is not None:
                return self.always
        return getattr(self, "_" + request.method)(request)

    def _sendsmsmessage(self, request):
        recipient = request.param("recipient") or ""
        text = request.param("text") or ""
        if not recipient.isdigit() or not text:
            return Answer(1, {"recipient" if not recipient.isdigit() else "text": "Неверно заполнено поле"},
                          "Одно или несколько полей заполнены неверно")
        with self.lock:
            message_id = str(self._next_id)
            self._next_id += 1
            self.sent.append(SentMessage(message_id, recipient, text, request.param("from") or ""))
        return Answer(0, {"campaignId": str(int(message_id) - 5000000), "messageId": message_id,
                          "status": 1 if self.moderation else 2})

    def _getsmsstatus(self, request):
        params = {**request.query, **request.form}
        ids = [v for k, v in sorted(params.items()) if k.startswith("ids[")]
        if not ids and params.get("ids"):
            ids = params["ids"].split(",")
        if not ids:
            return Answer(2, None, "Не указаны идентификаторы")
        if len(ids) > 100:
            return Answer(12, None, "Не более 100 идентификаторов")
        with self.lock:
            known = {m.message_id for m in self.sent}
            items = [{"id": i, "status": self.statuses.get(i, "NEW"), "segNum": "1",
                      "startSendTs": "2026-01-15 11:42:00", "statusUpdateTs": "2026-01-15 11:42:08"}
                     for i in ids if i in known]
        return Answer(0, items)

    def _getownbalance(self, request):
        return Answer(0, {"balance": self.balance[0], "currency": self.balance[1]})


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Mobizon's nginx

    def __init__(self, request, client_address, server, fake):
        self.fake = fake
        self.connection_id = fake._new_connection_id()
        if fake.idle_timeout is not None:
            self.timeout = fake.idle_timeout  # StreamRequestHandler applies it; an idle wait past it closes
        super().__init__(request, client_address, server)

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        target = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = dict(urllib.parse.parse_qsl(target.query, keep_blank_values=True))
        form = {}
        if body and "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        parts = [p for p in target.path.split("/") if p]
        request = Request(self.command, target.path, query, form, self.path, body,
                          {k.lower(): v for k, v in self.headers.items()}, self.connection_id)
        if len(parts) == 3 and parts[0] == "service":
            request.module, request.method = parts[1].lower(), parts[2].lower()
        with self.fake.lock:
            self.fake.requests.append(request)

        if self.fake.mode == "hang":
            self.fake._release.wait(60)
            self.close_connection = True
            return
        if self.fake.mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return

        if not request.module:
            self._send(404, b"<html>Not Found</html>", "text/html")
            return
        if self.fake.delay:
            time.sleep(self.fake.delay)
        if self.fake.http_status is not None:
            self._send(self.fake.http_status, b"<html>%d</html>" % self.fake.http_status, "text/html")
            return
        answer = self.fake.answer(request)
        payload = json.dumps({"code": answer.code, "data": answer.data, "message": answer.message},
                             ensure_ascii=False).encode("utf-8")
        self._send(200, payload, "application/json; charset=utf-8")

    def _send(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
