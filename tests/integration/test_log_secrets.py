"""Logs name auth events with masked numbers and never hold a code (outside test-mode SMS lines), a token or a secret."""
import json
import re

import pytest

from conftest import TEST_JWT_SECRET

TEST_NUMBER = "+77000000001"
TEST_CODE = "482913"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_run_without_logged_sms_leaves_no_code_token_or_secret_in_the_log(make_server, log_format):
    # TEST_PHONE_NUMBERS sends nothing and logs no SMS: the closest to production that needs no gateway.
    server = make_server(TEST_PHONE_NUMBERS=f"{TEST_NUMBER}:{TEST_CODE}", RESEND_COOLDOWN_SECONDS=0,
                         LOG_FORMAT=log_format)
    assert server.send_code(TEST_NUMBER).status == 200
    assert server.verify_code(TEST_NUMBER, "000000").status == 401
    r = server.verify_code(TEST_NUMBER, TEST_CODE)
    assert r.status == 200
    tokens = r.json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert server.get("/api/v1/auth/me", headers=auth).status == 200
    assert server.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status == 200
    assert server.get("/api/v1/auth/me", headers={"Authorization": "Bearer not.a.token"}).status == 401
    assert server.send_code(TEST_NUMBER).status == 200
    server.stop()
    log = server.log()
    for secret in [TEST_CODE, tokens["access_token"], tokens["refresh_token"], TEST_JWT_SECRET,
                   tokens["access_token"].split(".")[2]]:
        assert secret not in log
    assert TEST_NUMBER not in log  # numbers appear masked only
    assert "+7700***0001" in log
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines() if line.strip()]
        values = [str(value) for record in records for value in record.values()]
        assert not any(TEST_CODE in value or tokens["refresh_token"] in value for value in values)
        assert {"auth.send", "auth.verify", "auth.refresh", "auth.token", "http.access"} <= {r["event"] for r in records}


def test_every_auth_event_is_logged_with_the_masked_number(make_server):
    server = make_server(OTP_MAX_ATTEMPTS=1)
    phone = "+77472367503"
    server.send_code(phone)
    code = server.last_code()
    server.send_code(phone)  # rate limited (cooldown)
    wrong = "000000" if code != "000000" else "111111"
    server.verify_code(phone, wrong)  # failed, and the code is now dead
    server.verify_code(phone, code)   # locked
    log = server.log()
    for event in ["auth.send phone=+7747***7503", "auth.rate_limited action=send phone=+7747***7503",
                  "auth.verify failed phone=+7747***7503", "auth.verify locked phone=+7747***7503"]:
        assert event in log, event
    # In test mode the code appears only in the original backend's "[MOBIZON] Message:" line.
    lines_with_code = [line for line in log.splitlines() if code in line]
    assert all("[MOBIZON] Message:" in line for line in lines_with_code), lines_with_code
    assert phone not in log


def test_json_log_format_is_one_object_per_line(make_server):
    server = make_server(LOG_FORMAT="json")
    server.send_code("+77472367503")
    server.stop()
    lines = [line for line in server.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["event"] == "auth.send" and r["phone"] == "+7747***7503" for r in records)
    # Test mode: the SMS text (with its code) is the one place a code may appear.
    assert any(r["event"] == "sms.test_mode" and re.search(r"Memoir: \d{6}", r.get("msg", "")) for r in records)
