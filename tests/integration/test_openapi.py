"""GET /openapi.json against the real server: an independent validator (@apidevtools/swagger-parser) accepts the
served document, and each documented operation's main cases, performed for real, answer a documented status with a
body that matches its documented schema (python3-jsonschema) and the documented headers."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import BINARY
from mobizon_support import (ADMIN_TOKEN, WEBHOOK_SECRET, Answer, fake, make_fake, mobizon_server, pki,  # noqa: F401
                             run_cli, webhook_event)

VALIDATOR = Path(__file__).resolve().parents[1] / "openapi"
FIXED_CODE = "123456"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class Contract:
    """The served document, and a check of one real response against the operation it documents."""

    def __init__(self, document):
        self.document = document
        self.performed = set()

    def resolve(self, node):
        while "$ref" in node:
            target = self.document
            for part in reference_parts(node["$ref"]):
                target = target[part]
            node = target
        return node

    def operations(self):
        return {(method.upper(), path) for path, item in self.document["paths"].items()
                for method in item if method in HTTP_METHODS}

    def check(self, response, method, path):
        self.performed.add((method, path))
        operation = self.document["paths"][path][method.lower()]
        documented = operation["responses"]
        assert str(response.status) in documented, \
            f"{method} {path} answered {response.status}, which is not documented ({sorted(documented)}): {response}"
        spec = self.resolve(documented[str(response.status)])
        for header in spec.get("headers", {}):
            assert response.header(header) is not None, f"{method} {path} {response.status} lacks {header}"
        content = spec.get("content")
        if not content:
            return response
        content_type = (response.header("content-type") or "").split(";")[0].strip()
        media = content.get(content_type) or content.get("*/*")
        assert media is not None, f"{method} {path} {response.status} is {content_type}, documented {sorted(content)}"
        if content_type == "application/json":
            validator = jsonschema.Draft202012Validator(
                media["schema"], resolver=jsonschema.RefResolver("", self.document),
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
            assert not errors, f"{method} {path} {response.status}: {errors[0].message} in {response.body}"
        return response


def reference_parts(ref):
    assert ref.startswith("#/"), ref
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


@pytest.fixture
def signing_key(tmp_path):
    key = tmp_path / "signing.pem"
    made = subprocess.run([BINARY, "keys", "generate", "--out", str(key)], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert made.returncode == 0, made.stderr
    return key


@pytest.fixture
def login_server(make_server, signing_key):
    return make_server(SMS_TEST_FIXED_CODE=FIXED_CODE, JWT_SECRET=None, JWT_PRIVATE_KEY_FILE=signing_key,
                       REFRESH_REUSE_GRACE_SECONDS=0, FAILED_VERIFY_PER_NUMBER_PER_HOUR=3,
                       ADMIN_TOKEN=ADMIN_TOKEN, MOBIZON_WEBHOOK_SECRET=WEBHOOK_SECRET)


def served_contract(server):
    r = server.get("/openapi.json")
    assert r.status == 200, r
    contract = Contract(r.json())
    contract.check(r, "GET", "/openapi.json")
    return contract


def test_an_independent_validator_accepts_the_served_document(login_server, tmp_path):
    node = shutil.which("node")
    assert node, "node is missing: run scripts/install-deps.sh test"
    assert (VALIDATOR / "node_modules/@apidevtools/swagger-parser").is_dir(), \
        "the validator is not installed: run scripts/install-deps.sh test"
    document = tmp_path / "served-openapi.json"
    document.write_text(login_server.get("/openapi.json").body)
    checked = subprocess.run([node, str(VALIDATOR / "validate.mjs"), str(document)], capture_output=True, text=True,
                             timeout=120, cwd=VALIDATOR)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The validator is not a rubber stamp: a dangling reference is refused.
    broken = json.loads(document.read_text())
    broken["paths"]["/healthz"]["get"]["responses"]["200"] = {"$ref": "#/components/responses/Missing"}
    document.write_text(json.dumps(broken))
    refused = subprocess.run([node, str(VALIDATOR / "validate.mjs"), str(document)], capture_output=True, text=True,
                             timeout=120, cwd=VALIDATOR)
    assert refused.returncode == 1, refused.stdout


def test_the_served_document_drops_admin_and_webhook_paths_when_they_are_off(server):
    paths = served_contract(server).document["paths"]
    assert "/api/v1/sms-auth/send-code" in paths
    assert not [path for path in paths if path.startswith(("/api/v1/admin/", "/api/v1/webhooks/"))]


def test_login_session_and_operations_answer_as_documented(login_server, make_server, tmp_path):
    s, c = login_server, served_contract(login_server)
    send, resend, verify = "/api/v1/sms-auth/send-code", "/api/v1/sms-auth/resend-code", "/api/v1/sms-auth/verify-code"
    phone = "+77472367503"

    # Login.
    assert c.check(s.send_code(phone), "POST", send).status == 200
    assert c.check(s.resend_code(phone), "POST", resend).status == 429  # inside the cooldown
    assert c.check(s.send_code("12345"), "POST", send).status == 422
    assert c.check(s.post(send, {"phone": phone}), "POST", send).status == 400
    assert c.check(s.post(send, '{"phone_number": "1", "phone_number": "2"}'), "POST", send).status == 400
    assert c.check(s.post(send, "phone_number=1", {"Content-Type": "text/plain"}), "POST", send).status == 415
    assert c.check(s.post(send, {"phone_number": "7" * 20000}), "POST", send).status == 413
    assert c.check(s.post(resend, {}), "POST", resend).status == 400
    wrong = c.check(s.verify_code(phone, "000000"), "POST", verify)
    assert wrong.status == 401 and "attempts_left" in wrong.json()
    login = c.check(s.verify_code(phone, FIXED_CODE), "POST", verify)
    assert login.status == 200
    assert c.check(s.verify_code(phone, FIXED_CODE), "POST", verify).status == 401  # already used
    assert c.check(s.verify_code("not a phone", FIXED_CODE), "POST", verify).status == 422
    assert c.check(s.post(verify, {"phone_number": phone}), "POST", verify).status == 400
    locked = "+77011234567"
    assert s.send_code(locked).status == 200
    answers = [c.check(s.verify_code(locked, "999999"), "POST", verify).status for _ in range(4)]
    assert answers[-1] == 429, answers

    # Sessions.
    tokens = login.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert c.check(s.get("/api/v1/auth/me", bearer), "GET", "/api/v1/auth/me").status == 200
    assert c.check(s.get("/api/v1/auth/me"), "GET", "/api/v1/auth/me").status == 401
    refreshed = c.check(s.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}),
                        "POST", "/api/v1/auth/refresh")
    assert refreshed.status == 200
    reused = s.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert c.check(reused, "POST", "/api/v1/auth/refresh").status == 401  # reuse ends the family
    assert c.check(s.post("/api/v1/auth/refresh", {}), "POST", "/api/v1/auth/refresh").status == 400
    assert c.check(s.post("/api/v1/auth/logout", headers=bearer), "POST", "/api/v1/auth/logout").status == 401
    assert s.send_code("+77019876543").status == 200
    fresh = s.verify_code("+77019876543", FIXED_CODE).json()
    fresh_bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert c.check(s.post("/api/v1/auth/logout", {"all": "yes"}, fresh_bearer), "POST",
                   "/api/v1/auth/logout").status == 400
    assert c.check(s.post("/api/v1/auth/logout", {"all": True}, fresh_bearer), "POST",
                   "/api/v1/auth/logout").status == 200

    # A blocked account cannot log in (a server without the cooldown, to ask for a second code at once).
    b = make_server("blocking", SMS_TEST_FIXED_CODE=FIXED_CODE, RESEND_COOLDOWN_SECONDS=0)
    assert b.login("+77019876543")["success"] is True
    blocked = run_cli(["users", "block", "+77019876543"], {"DATABASE_URL": b.env["DATABASE_URL"], "SMS_TEST_MODE": "true"},
                      tmp_path)
    assert blocked.returncode == 0, blocked.stderr
    assert b.send_code("+77019876543").status == 200
    assert c.check(b.verify_code("+77019876543", FIXED_CODE), "POST", verify).status == 403

    # Keys, health, metrics, the document, the page.
    jwks = c.check(s.get("/.well-known/jwks.json"), "GET", "/.well-known/jwks.json")
    assert len(jwks.json()["keys"]) == 1
    for path in ("/healthz", "/readyz", "/metrics"):
        assert c.check(s.get(path), "GET", path).status == 200
    page = c.check(s.get("/"), "GET", "/")
    assert page.status == 200
    assert c.check(s.get("/", {"If-None-Match": page.header("etag")}), "GET", "/").status == 304
    assert c.check(s.get("/assets/app.js"), "GET", "/assets/{name}").status == 200
    assert c.check(s.get("/assets/no-such-file.js"), "GET", "/assets/{name}").status == 404

    # Admin (test mode has no gateway: the balance is 503) and the webhook.
    balance = "/api/v1/admin/sms/balance"
    assert c.check(s.get(balance, ADMIN), "GET", balance).status == 503
    assert c.check(s.get(balance, {"Authorization": "Bearer wrong"}), "GET", balance).status == 401
    messages = "/api/v1/admin/sms/messages"
    assert c.check(s.get(messages + "?phone=%2B77472367503", ADMIN), "GET", messages).status == 200
    assert c.check(s.get(messages, ADMIN), "GET", messages).status == 400
    assert c.check(s.get(messages + "?phone=123", ADMIN), "GET", messages).status == 422
    webhook = "/api/v1/webhooks/mobizon"
    assert c.check(s.post(webhook, webhook_event("999", "DELIVRD")), "POST", webhook).status == 200
    assert c.check(s.post(webhook, webhook_event("999", "DELIVRD", sign="0" * 40)), "POST", webhook).status == 401

    assert c.operations() - c.performed == set(), "documented operations this test never performed"


def test_sending_through_mobizon_answers_as_documented(fake, mobizon_server):
    s = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN, MOBIZON_WEBHOOK_SECRET=WEBHOOK_SECRET)
    c = served_contract(s)
    send, balance, messages = "/api/v1/sms-auth/send-code", "/api/v1/admin/sms/balance", "/api/v1/admin/sms/messages"
    sent = c.check(s.send_code("+77472367503"), "POST", send)
    assert sent.status == 200 and sent.json()["sms_id"] != "test-mode-id"
    assert c.check(s.get(balance, ADMIN), "GET", balance).status == 200
    listed = c.check(s.get(messages + "?phone=%2B77472367503", ADMIN), "GET", messages)
    assert len(listed.json()["messages"]) == 1
    report = c.check(s.post("/api/v1/webhooks/mobizon", webhook_event(sent.json()["sms_id"], "DELIVRD")), "POST",
                     "/api/v1/webhooks/mobizon")
    assert report.json() == {"success": True}
    fake.inject = [Answer(1, {"recipient": "Неверный номер"}, "Одно или несколько полей заполнены неверно")]
    assert c.check(s.send_code("+77011112233"), "POST", send).status == 502
    fake.always = Answer(8, [], "failed.api.auth")
    assert c.check(s.send_code("+77014445566"), "POST", send).status == 503
    assert c.check(s.get(balance, ADMIN), "GET", balance).status == 503
    fake.always = None


def test_a_response_outside_the_contract_is_caught(login_server):
    c = served_contract(login_server)
    r = login_server.get("/healthz")
    r.body = json.dumps({"status": "sleeping"})
    with pytest.raises(AssertionError):
        c.check(r, "GET", "/healthz")
    r.status = 418
    with pytest.raises(AssertionError):
        c.check(r, "GET", "/healthz")
