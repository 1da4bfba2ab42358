"""The generic HTTPS gateway against a fake relay (signed requests, refusals, outages, a hang), and failover from a
fake Mobizon to it (999, a hang, a refused number), with the breaker and the gateway named in records and metrics."""
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from mobizon_support import (ADMIN_TOKEN, CANARY_KEY, RELAY_SECRET, SENDER, Answer, fake, make_fake,  # noqa: F401
                             make_relay, mobizon_env, pki, relay_env, run_cli)
from conftest import free_port
from fake_relay import check_signature

PHONE = "+77472367503"
DIGITS = "77472367503"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def http_only(make_server, relay, pki, **env):
    return make_server(SMS_TEST_MODE="false", SMS_GATEWAYS="http", SMS_SENDER=SENDER, **relay_env(relay, pki, **env))


def failover_server(make_server, fake, relay, pki, **env):
    balance_checks = len(fake.calls("user/getownbalance"))
    server = make_server(SMS_GATEWAYS="mobizon,http", ADMIN_TOKEN=ADMIN_TOKEN,
                         **mobizon_env(fake, pki, **relay_env(relay, pki, **env)))
    fake.wait_for_calls("user/getownbalance", balance_checks + 1)  # start-up's balance call, before steering
    return server


def metric(server, name, **labels):
    """The value of one labelled series, 0 when it is not there yet."""
    for line in server.get("/metrics").body.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def assert_no_secret(server):
    assert RELAY_SECRET not in server.log(), "the relay secret leaked into the log"
    assert CANARY_KEY not in server.log()


# ---- the HTTPS gateway alone ------------------------------------------------------------------------------------

def test_a_send_is_one_signed_json_post_the_relay_verifies_and_its_message_id_is_the_sms_id(make_server, make_relay,
                                                                                            pki):
    relay = make_relay()
    server = http_only(make_server, relay, pki)
    r = server.send_code("8 (747) 236-75-03")
    assert r.status == 200, r
    [request] = relay.received()
    assert request.signature_ok, request.signature_problem
    assert request.path == "/sms/send"
    assert request.headers["content-type"] == "application/json"
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", request.headers["x-sms-auth-signature"])
    assert abs(int(request.headers["x-sms-auth-signature"][2:].split(",")[0]) - time.time()) < 120
    assert set(request.body) == {"recipient", "text", "sender", "id"}
    assert request.body["recipient"] == DIGITS
    assert request.body["sender"] == SENDER
    assert re.fullmatch(r"[0-9a-f-]{36}", request.body["id"])
    assert request.body["text"].startswith("Ваш код подтверждения Memoir: ")
    assert r.json()["sms_id"] == relay.sent[0].message_id
    # The signature covers the body byte for byte: one changed byte fails the relay's check.
    header = request.headers["x-sms-auth-signature"]
    assert check_signature(RELAY_SECRET, header, request.raw_body) == ""
    assert check_signature(RELAY_SECRET, header, request.raw_body.replace(b"7747", b"7748")) == "signature mismatch"
    assert server.verify_code(PHONE, code_in(request.body["text"])).status == 200
    assert_no_secret(server)


def test_a_relay_with_another_secret_refuses_and_the_client_gets_a_503(make_server, make_relay, pki):
    relay = make_relay(secret="another-secret-" + "x" * 32)
    server = http_only(make_server, relay, pki)
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert not relay.received()[0].signature_ok
    assert "SMS_HTTP_SECRET must equal the relay's secret" in server.log()
    assert_no_secret(server)


def test_a_4xx_is_a_refused_number_502_and_a_5xx_an_outage_503(make_server, make_relay, pki):
    relay = make_relay()
    server = http_only(make_server, relay, pki)
    relay.mode = "4xx"
    r = server.send_code(PHONE)
    assert r.status == 502, r
    assert r.json()["error"] == "sms_rejected"
    relay.mode = "5xx"
    r = server.send_code("+77012345678")
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert r.header("retry-after")
    assert len(relay.received()) == 2  # one request each: no retry inside the gateway
    # A failed send leaves no code behind and costs no limit: the number can ask again at once.
    relay.mode = "ok"
    assert server.send_code("+77012345678").status == 200


def test_a_relay_that_hangs_is_cut_by_the_deadline_and_not_asked_again(make_server, make_relay, pki):
    relay = make_relay()
    relay.mode = "hang"
    server = http_only(make_server, relay, pki, SMS_HTTP_TIMEOUT_MS="1000")
    started = time.time()
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert time.time() - started < 20
    assert len(relay.received()) == 1
    assert "outcome=possibly_sent" in server.log()


def test_the_relay_certificate_is_verified(make_server, make_relay, pki):
    relay = make_relay(cert="untrusted")
    server = http_only(make_server, relay, pki)
    assert server.send_code(PHONE).status == 503
    assert relay.received() == []
    assert "reason=tls_verify" in server.log()


def test_check_config_names_bad_relay_settings(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "false", "SMS_GATEWAYS": "http",
                                   "SMS_HTTP_URL": "http://relay.example/sms", "SMS_HTTP_SECRET": "short"}, tmp_path)
    assert r.returncode == 2
    assert "SMS_HTTP_URL" in r.stderr and "SMS_HTTP_SECRET" in r.stderr
    assert "short" not in r.stderr.replace("SMS_HTTP_SECRET", "")
    assert "MOBIZON_API_KEY" not in r.stderr  # not needed without mobizon in SMS_GATEWAYS


# ---- failover -----------------------------------------------------------------------------------------------------

def test_mobizon_answering_999_fails_over_to_the_relay_within_the_same_request_under_one_request_id(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki)
    fake.always = Answer(999, None, "Service temporarily unavailable")
    r = server.send_code(PHONE)
    assert r.status == 200, r
    assert len(fake.calls("message/sendsmsmessage")) >= 1
    assert len(relay.sent) == 1
    assert r.json()["sms_id"] == relay.sent[0].message_id
    assert server.verify_code(PHONE, code_in(relay.sent[0].text)).status == 200
    assert metric(server, "sms_auth_sms_sent_total", gateway="http") == 1
    messages = server.get(f"/api/v1/admin/sms/messages?phone=%2B{DIGITS}", headers=ADMIN).json()["messages"]
    assert [(m["sms_id"], m["gateway"]) for m in messages] == [(relay.sent[0].message_id, "http")]
    assert_no_secret(server)
    # Every gateway line of the failed-over send carries the request's id.
    log, request_id = server.log(), r.header("x-request-id")
    for event in ("mobizon.send", "sms.failover next gateway=mobizon", "relay.send ok"):
        assert re.search(rf"{re.escape(event)} .*request_id={request_id}", log), (event, log)


def test_a_mobizon_that_hangs_is_not_re_sent_through_the_relay(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki, MOBIZON_TIMEOUT_MS="1500")
    fake.mode = "hang"
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert relay.received() == [], "an SMS that may have been sent went out through a second gateway"
    assert "may have been sent, so it is not sent again through another gateway" in server.log()


def test_mobizon_answering_http_503_fails_over_to_the_relay(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki)
    fake.http_status = 503
    r = server.send_code(PHONE)
    assert r.status == 200, r
    assert len(relay.sent) == 1
    assert server.verify_code(PHONE, code_in(relay.sent[0].text)).status == 200


def test_mobizon_answering_http_504_is_possibly_sent_and_not_re_sent_through_the_relay(fake, make_relay, make_server,
                                                                                       pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki)
    fake.http_status = 504  # a proxy in front of Mobizon lost its answer: Mobizon may have sent the SMS
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert relay.received() == [], "an SMS that may have been sent went out through a second gateway"


def test_a_number_mobizon_refuses_is_not_tried_through_the_relay(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki)
    fake.always = Answer(1, {"recipient": "Неверно заполнено поле"}, "Одно или несколько полей заполнены неверно")
    r = server.send_code(PHONE)
    assert r.status == 502, r
    assert r.json()["error"] == "sms_rejected"
    assert relay.received() == []


def test_the_breaker_skips_a_failing_mobizon_then_probes_it_after_the_pause(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki, SMS_GATEWAY_BREAKER_FAILURES="2",
                             SMS_GATEWAY_BREAKER_SECONDS="2", RESEND_COOLDOWN_SECONDS="0")
    fake.always = Answer(8, [], "failed.api.auth")  # a code Mobizon does not retry: one call per send
    numbers = ["+77012345671", "+77012345672", "+77012345673"]
    for number in numbers[:2]:
        assert server.send_code(number).status == 200
    asked = len(fake.calls("message/sendsmsmessage"))
    assert asked == 2
    assert metric(server, "sms_auth_sms_gateway_breaker_open", gateway="mobizon") == 1
    # Open: Mobizon is not asked at all; the relay sends.
    assert server.send_code(numbers[2]).status == 200
    assert len(fake.calls("message/sendsmsmessage")) == asked
    assert metric(server, "sms_auth_sms_gateway_attempts_total", gateway="mobizon", result="skipped") == 1
    # After the pause one probe goes to Mobizon, which works again: the breaker closes.
    fake.always = None
    deadline = time.time() + 20
    attempt = 0
    while time.time() < deadline and not fake.sent:
        time.sleep(0.5)
        attempt += 1
        assert server.send_code(f"+770123456{10 + attempt}").status == 200  # a new number each time: no limit
    assert len(fake.sent) == 1, "no probe reached Mobizon after the pause"
    assert metric(server, "sms_auth_sms_gateway_breaker_open", gateway="mobizon") == 0
    assert metric(server, "sms_auth_sms_sent_total", gateway="mobizon") == 1
    assert "sms.breaker open gateway=mobizon" in server.log()


def test_status_polling_asks_mobizon_only_about_its_own_messages(fake, make_relay, make_server, pki):
    relay = make_relay()
    server = failover_server(make_server, fake, relay, pki, SMS_STATUS_POLL_SECONDS="1")
    assert server.send_code(PHONE).status == 200           # through Mobizon
    mobizon_id = fake.sent[0].message_id
    fake.always = Answer(999, None, "Service temporarily unavailable")
    assert server.send_code("+77012345678").status == 200  # through the relay
    relay_id = relay.sent[0].message_id
    fake.always = None
    polls = fake.wait_for_calls("message/getsmsstatus", 2)
    assert polls, "no status poll"
    asked = [v for call in polls for k, v in {**call.query, **call.form}.items() if k.startswith("ids")]
    assert mobizon_id in asked
    assert relay_id not in asked


def test_the_sample_relay_of_the_docs_works_with_the_server(make_server, pki, tmp_path):
    docs = Path(__file__).resolve().parents[2] / "docs" / "sms-gateways.md"
    source = re.search(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.S).group(1)
    script = tmp_path / "relay.py"
    script.write_text(source, encoding="utf-8")
    port = free_port()
    certfile, keyfile = pki.localhost
    relay = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOST": "127.0.0.1",
                                  "PORT": str(port), "TLS_CERT": certfile, "TLS_KEY": keyfile,
                                  "SMS_HTTP_SECRET": RELAY_SECRET, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        server = make_server(SMS_TEST_MODE="false", SMS_GATEWAYS="http", SMS_HTTP_URL=f"https://localhost:{port}/sms",
                             SMS_HTTP_SECRET=RELAY_SECRET, SMS_HTTP_CA_FILE=pki.ca_cert)
        r = server.send_code(PHONE)
        assert r.status == 200, (r, server.log()[-2000:])
        assert re.fullmatch(r"[0-9a-f-]{36}", r.json()["sms_id"])
    finally:
        relay.terminate()
        output = relay.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert f"SMS to +{DIGITS} from (default): 'Ваш код подтверждения Memoir: " in output, output
