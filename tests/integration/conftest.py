"""Fixtures for black-box tests: the real sms-auth binary on 127.0.0.1 with a temporary SQLite file, spoken to over HTTP."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

BINARY = os.environ.get("SMS_AUTH_BIN", str(Path(__file__).resolve().parents[2] / "build/debug/sms-auth"))
TEST_JWT_SECRET = "integration-tests-jwt-secret-7f3a9c1e5b2d4f6a8c0e"
START_TIMEOUT_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    """One sms-auth process. Started in a working directory of its own so that no .env of the checkout leaks in."""

    def __init__(self, workdir: Path, env: dict, command_prefix=()):
        self.command_prefix = list(command_prefix)  # e.g. ["prlimit", "--nofile=64:64", "--"]
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.db_path = workdir / "sms-auth.db"
        self.log_path = workdir / "server.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATABASE_URL": f"sqlite:{self.db_path}",
            "SMS_TEST_MODE": "true",
            "JWT_SECRET": TEST_JWT_SECRET,
            "WORKER_THREADS": "2",
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
        }
        self.env.update({k: str(v) for k, v in env.items() if v is not None})
        for k, v in env.items():
            if v is None:
                self.env.pop(k, None)
        self.process = None
        self._log_file = None

    # ---- lifecycle ----
    def start(self):
        self._log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen([*self.command_prefix, BINARY, "serve"], cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=self._log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sms-auth exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.get("/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sms-auth did not answer /healthz in {START_TIMEOUT_S}s:\n{self.log()}")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the process by its PID and returns its exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log_file.close()
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    # ---- HTTP ----
    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            hdrs = {"Content-Type": "application/json"} if body is not None else {}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, body=None, headers=None):
        return self.request("POST", path, body=body, headers=headers)

    # ---- the login flow ----
    def send_code(self, phone, headers=None):
        return self.post("/api/v1/sms-auth/send-code", {"phone_number": phone}, headers)

    def resend_code(self, phone, headers=None):
        return self.post("/api/v1/sms-auth/resend-code", {"phone_number": phone}, headers)

    def verify_code(self, phone, code, headers=None):
        return self.post("/api/v1/sms-auth/verify-code", {"phone_number": phone, "code": code}, headers)

    def sent_messages(self):
        """(masked recipient, full text) of every SMS the test-mode sender logged, in order."""
        pattern = re.compile(r"\[MOBIZON\] TEST MODE - SMS not sent \(to (\S+)\)\n.*?\[MOBIZON\] Message: (.*?)(?=\n\d{4}-\d\d-\d\dT|\Z)",
                             re.S)
        return [(m.group(1), m.group(2)) for m in pattern.finditer(self.log())]

    def last_code(self):
        messages = self.sent_messages()
        assert messages, "no SMS was logged"
        return re.search(r"(\d{6})", messages[-1][1]).group(1)

    def login(self, phone):
        assert self.send_code(phone).status == 200
        r = self.verify_code(phone, self.last_code())
        assert r.status == 200, r
        return r.json()


@pytest.fixture
def make_server(tmp_path):
    """Factory: make_server(**env) starts a server; all are stopped at the end of the test."""
    servers = []

    def factory(name="server", command_prefix=(), **env):
        server = Server(tmp_path / f"{name}-{len(servers)}", env, command_prefix)
        servers.append(server)
        return server.start()

    yield factory
    for server in servers:
        server.stop()
        assert "ERROR: AddressSanitizer" not in server.log(), server.log()
        assert "runtime error:" not in server.log(), server.log()
        assert "WARNING: ThreadSanitizer" not in server.log(), server.log()


@pytest.fixture
def server(make_server):
    return make_server()


def mask(e164):
    return e164[:5] + "***" + e164[-4:]
