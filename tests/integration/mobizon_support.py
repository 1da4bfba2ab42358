"""Fixtures for the tests against the fake Mobizon: a throw-away PKI made with the openssl CLI, the fake server, and
sms-auth servers configured to send through it with a canary API key that must never show up in any output."""
import datetime
import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BINARY, TEST_JWT_SECRET

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))
from fake_mobizon import Answer, FakeMobizon  # noqa: E402
from fake_relay import FakeRelay  # noqa: E402

# 40 characters of [a-z0-9], like a real key, and easy to grep for.
CANARY_KEY = "canary" + "0" * 4 + secrets.token_hex(15)
assert len(CANARY_KEY) == 40
WEBHOOK_SECRET = "webhook-secret-" + secrets.token_hex(8)
ADMIN_TOKEN = "admin-" + secrets.token_hex(24)
SENDER = "Memoir"
RELAY_SECRET = "relay-secret-" + secrets.token_hex(16)


class Pki:
    """A test CA, certificates it signs (for localhost, and for a wrong host), and an unrelated rogue CA's."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.ca_key, self.ca_cert = self._ca("sms-auth test CA", "ca")
        self.rogue_key, self.rogue_cert = self._ca("rogue CA", "rogue")
        self.localhost = self._leaf("localhost", "DNS:localhost,IP:127.0.0.1", self.ca_key, self.ca_cert)
        self.wrong_host = self._leaf("wrong-host", "DNS:wrong-host.example", self.ca_key, self.ca_cert)
        self.untrusted = self._leaf("untrusted", "DNS:localhost,IP:127.0.0.1", self.rogue_key, self.rogue_cert)

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True, timeout=60)

    def _ca(self, name, stem):
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", f"{stem}.key", "-out", f"{stem}.pem", "-days", "2", "-subj", f"/CN={name}",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return str(self.dir / f"{stem}.key"), str(self.dir / f"{stem}.pem")

    def _leaf(self, stem, san, ca_key, ca_cert):
        (self.dir / f"{stem}.ext").write_text(
            f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
            "extendedKeyUsage=serverAuth\n")
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", f"{stem}.key", "-out", f"{stem}.csr", "-subj", f"/CN={stem}")
        self._openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
                      "-out", f"{stem}.pem", "-days", "2", "-extfile", f"{stem}.ext")
        return str(self.dir / f"{stem}.pem"), str(self.dir / f"{stem}.key")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def make_fake(pki):
    """make_fake(cert="localhost"|"wrong_host"|"untrusted") starts a fake Mobizon; all are stopped at the end."""
    fakes = []

    def factory(cert="localhost", **knobs):
        certfile, keyfile = getattr(pki, cert)
        fake = FakeMobizon(certfile, keyfile, api_keys=[CANARY_KEY])
        for name, value in knobs.items():
            setattr(fake, name, value)
        fakes.append(fake.start())
        return fake

    yield factory
    for fake in fakes:
        fake.stop()


@pytest.fixture
def fake(make_fake):
    return make_fake()


def mobizon_env(fake, pki, **extra):
    env = {
        "SMS_TEST_MODE": "false",
        "MOBIZON_API_KEY": CANARY_KEY,
        "MOBIZON_API_URL": fake.url(),
        "MOBIZON_CA_FILE": pki.ca_cert,
        "MOBIZON_TIMEOUT_MS": "4000",
        "SMS_SENDER": SENDER,
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def mobizon_server(make_server, pki):
    """mobizon_server(fake, **env): an sms-auth server sending through `fake`. At the end every server is stopped
    and its whole log is searched for the API key."""
    started = []

    def factory(fake, **env):
        balance_checks = len(fake.calls("user/getownbalance"))
        server = make_server(**mobizon_env(fake, pki, **env))
        started.append(server)
        # The server asks for the balance right after start-up: let that call pass before a test steers the fake.
        fake.wait_for_calls("user/getownbalance", balance_checks + 1)
        return server

    yield factory
    for server in started:
        assert server.stop() in (0, None)
        assert CANARY_KEY not in server.log(), "the API key leaked into the server log"


@pytest.fixture
def make_relay(pki):
    """make_relay(cert="localhost", secret=RELAY_SECRET) starts a fake HTTPS relay; all are stopped at the end."""
    relays = []

    def factory(cert="localhost", secret=RELAY_SECRET):
        certfile, keyfile = getattr(pki, cert)
        relay = FakeRelay(certfile, keyfile, secret)
        relays.append(relay.start())
        return relay

    yield factory
    for relay in relays:
        relay.stop()


def relay_env(relay, pki, **extra):
    env = {
        "SMS_HTTP_URL": relay.url(),
        "SMS_HTTP_SECRET": RELAY_SECRET,
        "SMS_HTTP_CA_FILE": pki.ca_cert,
        "SMS_HTTP_TIMEOUT_MS": "2000",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args, env, cwd, timeout=60):
    # A deployment's .env has a JWT secret too; the commands read the whole configuration.
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ASAN_OPTIONS": "detect_leaks=1",
                "JWT_SECRET": TEST_JWT_SECRET, **env}
    return subprocess.run([BINARY, *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def gateway_time(seconds_from_now=0, utc_offset_minutes=0):
    """A time as Mobizon writes eventCreateTs ("2026-01-15 11:42:28"), on a clock utc_offset_minutes ahead of UTC."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=seconds_from_now, minutes=utc_offset_minutes)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def webhook_event(message_id, status, event_id="26", attempt=1, secret=WEBHOOK_SECRET, sign=None, created=None):
    """A delivery report as Mobizon posts it (integers as integers, like the docs' example), signed with `secret`,
    created now unless `created` (gateway_time) says otherwise."""
    created = created if created is not None else gateway_time()
    event = {
        "eventId": int(event_id) if str(event_id).isdigit() else event_id,
        "eventType": "sms-delivery-report",
        "eventCreateTs": created,
        "webhookId": 1,
        "attempt": attempt,
        "data": {"campaignId": 245455096, "messageId": int(message_id), "segNum": 1,
                 "statusUpdateTs": "2026-01-15 11:42:08", "status": status, "to": "77472367503"},
    }
    event["sign"] = sign if sign is not None else hashlib.sha1(
        f"{event_id}|{attempt}|{created}|{secret}".encode()).hexdigest()
    return event


__all__ = ["Answer", "ADMIN_TOKEN", "CANARY_KEY", "RELAY_SECRET", "SENDER", "WEBHOOK_SECRET", "fake", "make_fake",
           "make_relay", "mobizon_env", "mobizon_server", "pki", "relay_env", "run_cli", "webhook_event", "gateway_time"]
