"""Every error row of docs/api.md that the core covers: the status, the JSON error shape, and that nothing is sent."""
import socket
import time

import pytest

PHONE = "77472367503"
SEND = "/api/v1/sms-auth/send-code"
VERIFY = "/api/v1/sms-auth/verify-code"


def assert_error(r, status, error):
    assert r.status == status, r
    body = r.json()
    assert body["success"] is False
    assert body["error"] == error
    assert isinstance(body["detail"], str) and body["detail"]
    assert r.header("content-type") == "application/json"
    return body


@pytest.mark.parametrize("raw", [
    "", "{", '{"phone_number": "7747', '{"phone_number": "77472367503"} trailing', '[]', '"77472367503"', "null",
    '{"phone_number": "a", "phone_number": "77472367503"}', "\ufeff{}".encode("utf-8"), b'{"phone_number": "\xff"}',
    "[" * 10000, '{"phone_number": 77472367503}', '{"phone_number": null}', '{"phone_number": ["77472367503"]}',
    '{"phone": "77472367503"}', '{"phone_number": true}',
])
def test_malformed_send_bodies_are_400_and_send_nothing(server, raw):
    r = server.post(SEND, raw)
    assert_error(r, 400, "invalid_request")
    assert server.sent_messages() == []


@pytest.mark.parametrize("code", [1e300, 123456, 123456.0, -0, 10**20, "12345", "1234567", "12345a", " 12345", None, ["123456"]])
def test_codes_that_are_not_six_digit_strings_are_400(server, code):
    server.send_code(PHONE)
    r = server.post(VERIFY, {"phone_number": PHONE, "code": code})
    assert_error(r, 400, "invalid_request")
    # and they cost no attempt
    assert server.verify_code(PHONE, "000000" if server.last_code() != "000000" else "111111").json()["attempts_left"] == 4


def test_huge_number_literal_is_400(server):
    assert_error(server.post(VERIFY, '{"phone_number": "77472367503", "code": 1e309}'), 400, "invalid_request")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp"])
def test_other_media_types_are_415(server, content_type):
    r = server.post(SEND, '{"phone_number": "77472367503"}', headers={"Content-Type": content_type})
    assert_error(r, 415, "unsupported_media_type")
    assert server.sent_messages() == []


def test_missing_content_type_is_415(server):
    r = server.request("POST", SEND, body='{"phone_number": "77472367503"}', headers={"Content-Type": ""})
    assert_error(r, 415, "unsupported_media_type")


def test_body_one_byte_over_16_kib_is_413_and_the_server_still_answers(server):
    filler = "x" * (16 * 1024 - len('{"phone_number": "77472367503", "pad": ""}') + 1)
    body = '{"phone_number": "77472367503", "pad": "%s"}' % filler
    assert len(body) == 16 * 1024 + 1
    assert_error(server.post(SEND, body), 413, "payload_too_large")
    assert server.get("/healthz").status == 200
    assert server.sent_messages() == []
    # exactly at the limit is fine
    assert server.post(SEND, body[:-3] + '"}').status in (200, 400)


def test_chunked_body_over_the_limit_is_413(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST " + SEND.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 8192
        try:
            for _ in range(4):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply


@pytest.mark.parametrize("phone", [
    "+7 912 345 67 89",       # Russia shares +7: refused while only KZ is allowed
    "+7 727 258 00 00",       # Almaty landline
    "+7 751 123 45 67",       # VoIP range
    "+1 650 253 0000",        # another country
    "12345", "+7 747 CALL NOW", "77472367503 ext. 12", "+77472367503;ext=1", "7" * 40,
    "\uff17\uff17\uff14\uff17\uff12\uff13\uff16\uff17\uff15\uff10\uff13",  # full-width digits
    "\u200f+77472367503", "+7747\n2367503", "+7747\x002367503", "",
])
def test_bad_phone_numbers_are_422_and_send_nothing(server, phone):
    body = assert_error(server.send_code(phone), 422, "invalid_phone_number")
    assert server.sent_messages() == []
    assert "\n" not in body["detail"]


def test_phone_with_a_line_break_stays_out_of_the_log_lines(server):
    server.send_code("+7747\nFAKE auth.verify ok phone=+77472367503")
    assert not any(line.startswith("FAKE") for line in server.log().splitlines())


def test_wrong_code_is_401_with_attempts_left_and_never_logs_out(server):
    server.send_code(PHONE)
    code = server.last_code()
    wrong = "000000" if code != "000000" else "111111"
    body = assert_error(server.verify_code(PHONE, wrong), 401, "invalid_code")
    assert body["attempts_left"] == 4
    assert server.verify_code(PHONE, code).status == 200


def test_no_pending_code_and_used_code_are_401_invalid_code(server):
    assert_error(server.verify_code(PHONE, "123456"), 401, "invalid_code")
    login = server.login(PHONE)
    assert login["success"]
    assert_error(server.verify_code(PHONE, server.last_code()), 401, "invalid_code")


def test_code_of_one_number_does_not_work_for_another(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    server.send_code("+77472367503")
    code_a = server.last_code()
    server.send_code("+77012345678")
    code_b = server.last_code()
    if code_a != code_b:
        assert_error(server.verify_code("+77012345678", code_a), 401, "invalid_code")
    assert server.verify_code("+77472367503", code_a).status == 200


def test_only_the_newest_code_works(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    server.send_code(PHONE)
    old = server.last_code()
    server.send_code(PHONE)
    new = server.last_code()
    if old != new:
        assert_error(server.verify_code(PHONE, old), 401, "invalid_code")
    assert server.verify_code(PHONE, new).status == 200


def test_expired_code_is_401_code_expired_and_never_works_again(make_server):
    server = make_server(OTP_TTL_SECONDS=2)
    server.send_code(PHONE)
    code = server.last_code()
    time.sleep(3)
    assert_error(server.verify_code(PHONE, code), 401, "code_expired")
    assert server.verify_code(PHONE, code).status == 401


def test_five_wrong_codes_then_429_even_for_the_right_code(server):
    server.send_code(PHONE)
    code = server.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in [4, 3, 2, 1, 0]:
        assert assert_error(server.verify_code(PHONE, wrong), 401, "invalid_code")["attempts_left"] == left
    r = server.verify_code(PHONE, code)
    assert_error(r, 429, "too_many_attempts")
    assert int(r.header("retry-after")) >= 1


def test_send_inside_the_cooldown_is_429_with_retry_after_and_sends_nothing(server):
    assert server.send_code(PHONE).status == 200
    r = server.send_code(PHONE)
    body = assert_error(r, 429, "rate_limited")
    assert 55 <= int(r.header("retry-after")) <= 60
    assert body["retry_after"] == int(r.header("retry-after"))
    assert len(server.sent_messages()) == 1
    assert server.resend_code(PHONE).status == 429
    assert len(server.sent_messages()) == 1


def test_unknown_path_is_404_and_wrong_method_is_405(server):
    assert_error(server.get("/api/v1/nothing"), 404, "not_found")
    r = server.get(SEND)
    assert_error(r, 405, "method_not_allowed")
    assert r.header("allow") == "POST"


def test_send_code_answers_the_same_for_known_and_unknown_numbers(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    server.login(PHONE)  # now known
    known = server.send_code(PHONE).json()
    unknown = server.send_code("+77012345678").json()
    assert known == unknown
