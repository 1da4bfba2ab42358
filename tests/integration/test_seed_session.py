"""The original backend's curl session end to end: send-code, verify-code, resend-code, with its responses."""
import base64
import json
import time

from conftest import mask

PHONE = "77472367503"
E164 = "+77472367503"
SEED_TEXT = "Ваш код подтверждения Memoir: {code}\n\nКод действителен 5 минут."


def jwt_part(token, index):
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_send_code_answers_like_the_original_backend_and_logs_its_lines(server):
    r = server.send_code(PHONE)
    assert r.status == 200, r
    body = r.json()
    assert body["success"] is True
    assert body["message"] == "Verification code sent"
    assert body["sms_id"] == "test-mode-id"
    assert body["expires_in"] == 300
    assert body["resend_after"] == 60
    assert r.header("content-type") == "application/json"
    [(to, text)] = server.sent_messages()
    assert to == mask(E164)
    code = server.last_code()
    assert text == SEED_TEXT.format(code=code)
    assert "[MOBIZON] TEST MODE - SMS not sent" in server.log()


def test_verify_code_returns_tokens_and_the_user(server):
    server.send_code(PHONE)
    r = server.verify_code(PHONE, server.last_code())
    assert r.status == 200, r
    body = r.json()
    assert body["success"] is True
    assert body["message"] == "Phone number verified"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert body["user"]["phone_number"] == E164
    assert body["user"]["created"] is True
    assert len(body["refresh_token"]) >= 43 and "." not in body["refresh_token"]
    header, claims = jwt_part(body["access_token"], 0), jwt_part(body["access_token"], 1)
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert claims["sub"] == body["user"]["id"]
    assert claims["phone_number"] == E164
    assert claims["iss"] == "sms-auth" and claims["aud"] == "memoir"
    assert claims["exp"] - claims["iat"] == 1800
    assert claims["sid"] and claims["jti"]
    assert r.header("cache-control") == "no-store"


def test_second_login_after_cooldown_is_the_same_user(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    first = server.login(PHONE)
    second = server.login("8 (747) 236-75-03")
    assert second["user"]["id"] == first["user"]["id"]
    assert second["user"]["created"] is False


def test_resend_code_resends_the_live_code_with_the_original_message(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=1)
    assert server.send_code(PHONE).status == 200
    first_code = server.last_code()
    time.sleep(1.1)
    r = server.resend_code(PHONE)
    assert r.status == 200, r
    body = r.json()
    assert body["success"] is True
    assert body["message"] == "Verification code resent"
    assert 0 < body["expires_in"] <= 300
    assert body["resend_after"] == 1
    assert len(server.sent_messages()) == 2
    assert server.last_code() == first_code  # the same code: a late first SMS never holds a stale code
    assert server.verify_code(PHONE, first_code).status == 200


def test_resend_code_without_a_live_code_makes_a_new_one(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    r = server.resend_code(PHONE)
    assert r.status == 200, r
    assert r.json()["message"] == "Verification code resent"
    assert server.verify_code(PHONE, server.last_code()).status == 200


def test_resend_keeps_the_attempt_budget_of_the_live_code(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    server.send_code(PHONE)
    code = server.last_code()
    wrong = "000000" if code != "000000" else "111111"
    assert server.verify_code(PHONE, wrong).json()["attempts_left"] == 4
    server.resend_code(PHONE)
    assert server.last_code() == code
    assert server.verify_code(PHONE, wrong).json()["attempts_left"] == 3


def test_every_input_form_of_one_number_reaches_the_same_code(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    for form in ["77472367503", "+7 747 236 7503", "87472367503", "8 (747) 236-75-03", "+7-747-236-75-03"]:
        server.send_code(form)
        assert server.sent_messages()[-1][0] == mask(E164)
    assert server.verify_code("+77472367503", server.last_code()).status == 200


def test_fixed_test_code_and_test_phone_numbers(make_server):
    server = make_server(SMS_TEST_FIXED_CODE="123456", TEST_PHONE_NUMBERS="+77000000001:111111",
                         ALLOWED_COUNTRIES="KZ")
    server.send_code(PHONE)
    assert server.last_code() == "123456"
    assert server.verify_code(PHONE, "123456").status == 200
    # A test number: fixed code, no SMS at all.
    before = len(server.sent_messages())
    r = server.send_code("+77000000001")
    assert r.status == 200, r
    assert len(server.sent_messages()) == before
    assert server.verify_code("+77000000001", "111111").status == 200
