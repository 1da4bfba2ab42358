"""Sending through Mobizon: the real server binary against a fake Mobizon over verified HTTPS. One request per SMS
with the right fields, every row of the error table, deadlines, certificate checks, and the key kept secret."""
import re
import signal
import threading
import time
import urllib.parse

import pytest

from conftest import mask
from mobizon_support import (CANARY_KEY, SENDER, Answer, fake, make_fake, mobizon_server, pki,  # noqa: F401
                             run_cli, mobizon_env)

PHONE = "+77472367503"
DIGITS = "77472367503"


def code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_send_code_posts_one_request_with_number_and_text_in_the_body_and_the_key_only_in_the_url(fake,
                                                                                                mobizon_server):
    server = mobizon_server(fake)
    r = server.send_code("8 (747) 236-75-03")
    assert r.status == 200, r
    calls = fake.calls("message/sendsmsmessage")
    assert len(calls) == 1
    call = calls[0]
    assert call.http_method == "POST"
    assert call.path == "/service/message/sendsmsmessage"
    assert call.query == {"output": "json", "api": "v1", "apiKey": CANARY_KEY}
    assert call.form["recipient"] == DIGITS
    assert call.form["from"] == SENDER
    assert call.form["text"].startswith("Ваш код подтверждения Memoir: ")
    assert call.form["text"].endswith("\n\nКод действителен 5 минут.")
    assert DIGITS not in call.raw_target and "text" not in call.query
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert r.json()["sms_id"] == fake.sent[0].message_id  # Mobizon's messageId
    # The code that went out is the one that logs in.
    login = server.verify_code(PHONE, code_in(call.form["text"]))
    assert login.status == 200, login


def test_kept_alive_connection_is_reused_across_sends(fake, mobizon_server):
    server = mobizon_server(fake)
    assert server.send_code("+77472367503").status == 200
    assert server.send_code("+77012345678").status == 200
    sends = fake.calls("message/sendsmsmessage")
    assert len(sends) == 2
    assert sends[0].connection == sends[1].connection


def test_a_kept_alive_connection_the_server_closed_is_replaced_without_a_duplicate_sms(fake, mobizon_server):
    fake.idle_timeout = 0.3
    server = mobizon_server(fake)
    assert server.send_code("+77472367503").status == 200
    time.sleep(1.0)  # the fake closes the idle connection; the server's pool still holds it
    r = server.send_code("+77012345678")
    assert r.status == 200, r
    sends = fake.calls("message/sendsmsmessage")
    assert len(sends) == 2 and len(fake.sent) == 2
    assert sends[0].connection != sends[1].connection


def test_code_1_is_502_sms_rejected_leaves_no_live_code_and_costs_no_budget(fake, mobizon_server):
    server = mobizon_server(fake, SMS_PER_NUMBER_PER_HOUR=1, RESEND_COOLDOWN_SECONDS=0)
    fake.inject = [Answer(1, {"recipient": "Неверный номер 77472367503"}, "Одно или несколько полей заполнены неверно")]
    r = server.send_code(PHONE)
    assert r.status == 502, r
    assert r.json()["error"] == "sms_rejected"
    assert len(fake.calls("message/sendsmsmessage")) == 1  # a refusal is not retried
    refused_code = code_in(fake.calls("message/sendsmsmessage")[0].form["text"])
    # The code of the refused SMS does not work...
    assert server.verify_code(PHONE, refused_code).status == 401
    # ...and the refused SMS did not use the number's budget of 1 per hour.
    again = server.send_code(PHONE)
    assert again.status == 200, again
    log = server.log()
    assert "reason=code_1" in log and "fields: recipient" in log
    assert DIGITS not in log  # Mobizon's message quoted the number: the log has it masked
    assert mask(PHONE) in log


@pytest.mark.parametrize("code,cause", [
    (8, "MOBIZON_API_KEY was refused"),
    (9, "IP whitelist"),
    (14, "account is blocked or deleted"),
])
def test_key_whitelist_and_blocked_account_are_503_with_an_error_naming_cause_and_fix(fake, mobizon_server, code,
                                                                                       cause):
    fake.always = Answer(code, [], "failed.api.auth" if code == 8 else "")
    server = mobizon_server(fake)
    fake.requests.clear()  # forget the start-up balance check
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert int(r.header("Retry-After")) > 0
    assert len(fake.calls("message/sendsmsmessage")) == 1  # not retried: it would fail the same way
    error_lines = [line for line in server.log().splitlines() if " error " in line and "mobizon.send failed" in line]
    assert error_lines and cause in error_lines[-1], server.log()
    assert "key" not in r.body.lower() and "whitelist" not in r.body.lower()  # clients get no operator detail


def test_a_key_mobizon_does_not_know_is_code_8_from_the_fake_itself(fake, mobizon_server, make_server, pki):
    other_key = "b" * 39 + "1"
    server = make_server(**mobizon_env(fake, pki, MOBIZON_API_KEY=other_key))
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert "code 8" in server.log()
    server.stop()
    assert other_key not in server.log()


def test_code_13_names_the_site_the_key_belongs_to(fake, mobizon_server):
    fake.always = Answer(13, "api.mobizon.ua", "Используйте другой сервер")
    server = mobizon_server(fake)
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert "set MOBIZON_API_URL=https://api.mobizon.ua/service" in server.log()


@pytest.mark.parametrize("code", [30, 999])
def test_rate_limit_and_service_error_are_retried_with_backoff(fake, mobizon_server, code):
    server = mobizon_server(fake)
    fake.inject = [Answer(code, None, "")]
    r = server.send_code(PHONE)
    assert r.status == 200, r
    assert len(fake.calls("message/sendsmsmessage")) == 2
    assert len(fake.sent) == 1
    assert f"mobizon.retry method=message/sendsmsmessage attempt=1 reason=code_{code}" in server.log()


@pytest.mark.parametrize("code,retry_after", [(30, 60), (999, 30)])
def test_a_lasting_rate_limit_or_service_error_ends_in_503_with_retry_after(fake, mobizon_server, code, retry_after):
    server = mobizon_server(fake, MOBIZON_TIMEOUT_MS=8000, SMS_PER_NUMBER_PER_HOUR=1, RESEND_COOLDOWN_SECONDS=0)
    fake.always = Answer(code, None, "")
    fake.requests.clear()
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert r.header("Retry-After") == str(retry_after)
    assert 2 <= len(fake.calls("message/sendsmsmessage")) <= 4  # bounded
    # The failed send left no live code and used none of the number's budget of 1 per hour.
    failed_code = code_in(fake.calls("message/sendsmsmessage")[0].form["text"])
    assert server.verify_code(PHONE, failed_code).status == 401
    fake.always = None
    assert server.send_code(PHONE).status == 200


def test_the_timeout_is_honoured_when_mobizon_hangs(fake, mobizon_server):
    server = mobizon_server(fake, MOBIZON_TIMEOUT_MS=1500)
    fake.mode = "hang"
    started = time.monotonic()
    r = server.send_code(PHONE)
    elapsed = time.monotonic() - started
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert elapsed >= 1.4  # it waited for the deadline, not less
    assert elapsed < 30    # and not forever
    assert "did not answer within MOBIZON_TIMEOUT_MS=1500 ms" in server.log()
    # A hung gateway does not hold up shutdown past the deadline.
    assert server.stop() == 0


def test_a_connection_dropped_after_the_request_is_not_retried_and_503(fake, mobizon_server):
    server = mobizon_server(fake)
    fake.mode = "drop"
    fake.requests.clear()
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert len(fake.calls("message/sendsmsmessage")) == 1  # Mobizon may have sent it: once is all
    assert "reason=network" in server.log()


@pytest.mark.parametrize("cert,reason", [("untrusted", "unable to get local issuer certificate"),
                                         ("wrong_host", "hostname mismatch")])
def test_an_unverifiable_certificate_refuses_to_send_and_the_key_never_leaves(make_fake, mobizon_server, cert,
                                                                              reason):
    fake = make_fake(cert=cert)
    server = mobizon_server(fake)
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert fake.handshake_failures >= 1  # it did connect...
    assert fake.requests == []           # ...but sent nothing over a connection it could not verify
    log = server.log()
    assert "did not verify" in log and reason in log.lower(), log
    assert "refuses to send the API key" in log


def test_a_message_held_for_moderation_warns_and_counts(fake, mobizon_server):
    fake.moderation = True
    server = mobizon_server(fake)
    assert server.send_code(PHONE).status == 200
    log = server.log()
    assert "held_for_moderation" in log and "1-10 minutes" in log
    assert "sms_auth_sms_held_for_moderation_total 1" in server.get("/metrics").body


def test_start_up_checks_the_balance_and_warns_when_low(fake, mobizon_server):
    server = mobizon_server(fake, SMS_BALANCE_WARN_BELOW=5000)
    fake.wait_for_calls("user/getownbalance", 1)
    deadline = time.time() + 10
    while "sms.balance" not in server.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "sms.balance low: 4043.0656 KZT is below SMS_BALANCE_WARN_BELOW=5000" in server.log()
    gauge = re.search(r'^sms_auth_sms_balance\{currency="KZT"\} (\S+)$', server.get("/metrics").body, re.M)
    assert gauge and abs(float(gauge.group(1)) - 4043.0656) < 1e-6


def test_a_bad_key_shows_in_the_log_at_start_up(fake, mobizon_server):
    fake.always = Answer(8, [], "failed.api.auth")
    server = mobizon_server(fake)
    fake.wait_for_calls("user/getownbalance", 1)
    deadline = time.time() + 10
    while "mobizon.balance failed" not in server.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "mobizon.balance failed reason=code_8" in server.log()


def test_sigterm_with_a_hung_gateway_still_exits_0(fake, mobizon_server):
    server = mobizon_server(fake, MOBIZON_TIMEOUT_MS=3000, SMS_STATUS_POLL_SECONDS=1)
    assert server.send_code(PHONE).status == 200
    fake.mode = "hang"
    fake.wait_for_calls("message/getsmsstatus", 1)  # a poll is now stuck on the hung gateway
    assert server.stop() == 0
    assert "sms-auth stopped" in server.log()


def test_sigterm_lets_a_send_in_flight_finish_with_its_200(fake, mobizon_server):
    server = mobizon_server(fake)
    fake.delay = 2.0  # the SMS gateway takes 2 s: the request is in flight when the signal comes
    result = {}
    sender = threading.Thread(target=lambda: result.update(r=server.send_code(PHONE)))
    sender.start()
    fake.wait_for_calls("message/sendsmsmessage", 1)
    server.process.send_signal(signal.SIGTERM)
    sender.join(timeout=30)
    assert result["r"].status == 200, result["r"]
    assert result["r"].json()["sms_id"]
    assert server.process.wait(timeout=30) == 0
    # and nothing new is accepted once stopping began
    with pytest.raises(OSError):
        server.get("/healthz")


# ---- command line ----

def test_balance_prints_amount_and_currency(fake, pki, tmp_path):
    r = run_cli(["balance"], mobizon_env(fake, pki), tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "4043.0656 KZT\n"
    assert CANARY_KEY not in r.stdout + r.stderr
    assert len(fake.calls("user/getownbalance")) == 1


def test_balance_works_in_test_mode_when_a_key_is_set(fake, pki, tmp_path):
    r = run_cli(["balance"], mobizon_env(fake, pki, SMS_TEST_MODE="true"), tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "4043.0656 KZT\n"


def test_balance_failure_is_one_line_and_exit_1(fake, pki, tmp_path):
    fake.always = Answer(8, [], "failed.api.auth")
    r = run_cli(["balance"], mobizon_env(fake, pki), tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sms-auth balance: ") and "MOBIZON_API_KEY" in lines[0], r.stderr
    assert CANARY_KEY not in r.stderr


def test_balance_against_an_untrusted_server_fails_without_sending_the_key(make_fake, pki, tmp_path):
    fake = make_fake(cert="untrusted")
    r = run_cli(["balance"], mobizon_env(fake, pki), tmp_path)
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "did not verify" in r.stderr
    assert fake.requests == []


def test_balance_without_a_key_is_a_configuration_error(tmp_path):
    r = run_cli(["balance"], {"SMS_TEST_MODE": "true"}, tmp_path)
    assert r.returncode == 2
    assert "MOBIZON_API_KEY" in r.stderr


def test_send_test_sends_one_sms_with_the_template(fake, pki, tmp_path):
    r = run_cli(["send-test", "+7 747 236 7503"], mobizon_env(fake, pki, DATABASE_URL=f"sqlite:{tmp_path}/db.sqlite"),
                tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sent to +7747***7503: Mobizon message id 6300284")
    sends = fake.calls("message/sendsmsmessage")
    assert len(sends) == 1
    assert sends[0].form["recipient"] == DIGITS
    assert re.fullmatch(r"Ваш код подтверждения Memoir: \d{6}\n\nКод действителен 5 минут\.", sends[0].form["text"])
    assert CANARY_KEY not in r.stdout + r.stderr


def test_send_test_refuses_in_test_mode(fake, pki, tmp_path):
    r = run_cli(["send-test", PHONE], mobizon_env(fake, pki, SMS_TEST_MODE="true"), tmp_path)
    assert r.returncode == 2
    assert "SMS_TEST_MODE" in r.stderr
    assert fake.requests == []


def test_check_config_accepts_a_production_configuration(fake, pki, tmp_path):
    r = run_cli(["check-config"], mobizon_env(fake, pki, JWT_SECRET="Q7vLr2Xk9Tz4Wm1Nb8Hc3Jd6Fs5Gp0Ay"), tmp_path)
    assert r.returncode == 0, r.stderr
    assert "sending through Mobizon" in r.stdout
    assert fake.requests == []  # checking sends nothing


def test_check_config_refuses_a_url_with_a_query(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "false", "MOBIZON_API_KEY": CANARY_KEY,
                                   "JWT_SECRET": "Q7vLr2Xk9Tz4Wm1Nb8Hc3Jd6Fs5Gp0Ay",
                                   "MOBIZON_API_URL": "https://api.mobizon.kz/service?apiKey=" + CANARY_KEY}, tmp_path)
    assert r.returncode == 2
    assert "MOBIZON_API_URL" in r.stderr
    assert CANARY_KEY not in r.stderr


def test_serve_refuses_a_ca_file_that_holds_no_certificate(fake, pki, tmp_path):
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("this is not a certificate\n")
    r = run_cli(["serve"], mobizon_env(fake, pki, MOBIZON_CA_FILE=not_pem, PORT=0,
                                       DATABASE_URL=f"sqlite:{tmp_path}/db.sqlite"), tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("sms-auth serve: MOBIZON_CA_FILE: cannot load CA certificates from"), r.stderr
    assert CANARY_KEY not in r.stderr
