"""A fake of Mobizon's SMS HTTP API v1 over HTTPS, for black-box tests. Standard library only.

It follows Mobizon's documented behaviour (README, "What each Mobizon answer does"): routes /service/<module>/<method>
case-insensitively, takes GET and POST, reads parameters from the query and from a form body, requires apiKey (else
code 8), answers HTTP 200 with the {code, data, message} envelope and string ids. Tests steer it with a few knobs
(`inject`, `always`, `mode`, `moderation`, `statuses`) and read what it received from `requests`.
"""
import json
import socket
import time
import urllib.parse
from dataclasses import dataclass

from https_fake import FakeHandler, HttpsFake

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


class FakeMobizon(HttpsFake):
    url_path = "/service"

    def __init__(self, certfile, keyfile, api_keys=None, host="127.0.0.1"):
        super().__init__(certfile, keyfile, Handler, host)
        self.api_keys = set(api_keys) if api_keys else None  # None: any non-empty key is accepted
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

    # ---- what tests read ----
    def calls(self, method=None):
        return [r for r in self.received() if method is None or f"{r.module}/{r.method}" == method]

    def wait_for_calls(self, method, count, timeout=20):
        return self._wait_for(lambda: self.calls(method), count, timeout)

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


class Handler(FakeHandler):
    def __init__(self, request, client_address, server, fake):
        self.connection_id = fake._new_connection_id()
        if fake.idle_timeout is not None:
            self.timeout = fake.idle_timeout  # StreamRequestHandler applies it; an idle wait past it closes
        super().__init__(request, client_address, server, fake)

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        target = urllib.parse.urlsplit(self.path)
        body = self._read_body()
        query = dict(urllib.parse.parse_qsl(target.query, keep_blank_values=True))
        form = {}
        if body and "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        parts = [p for p in target.path.split("/") if p]
        request = Request(self.command, target.path, query, form, self.path, body, self._headers(),
                          self.connection_id)
        if len(parts) == 3 and parts[0] == "service":
            request.module, request.method = parts[1].lower(), parts[2].lower()
        self._record(request)

        if self.fake.mode == "hang":
            self._hang()
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
