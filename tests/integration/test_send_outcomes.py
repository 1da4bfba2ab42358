"""Sends that fail: an SMS that may have gone out is never sent twice automatically and its code keeps working; only a
send that surely did not go out is refunded; a number the gateway refuses cannot be used to hammer the gateway past
the number's cooldown and caps. The real binary against the fake Mobizon over verified HTTPS."""
import re

import pytest

from mobizon_support import Answer, fake, make_fake, mobizon_server, pki  # noqa: F401

PHONE = "+77472367503"
OTHER = "+77012345678"
SEND = "message/sendsmsmessage"


def code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def sent_codes(fake):
    return [code_in(call.form["text"]) for call in fake.calls(SEND)]


@pytest.mark.parametrize("mode", ["drop", "hang"])
def test_an_answer_lost_after_the_request_was_written_is_one_request_a_503_and_the_code_still_logs_in(
        fake, mobizon_server, mode):
    server = mobizon_server(fake, MOBIZON_TIMEOUT_MS=2000)
    fake.mode = mode
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert r.json()["error"] == "sms_unavailable"
    assert int(r.header("Retry-After")) >= 60  # not before the cooldown this send started lets another one through
    assert len(fake.calls(SEND)) == 1  # never sent again: the first one may be on its way (and billed)
    assert "outcome=possibly_sent" in server.log()
    fake.mode = "normal"
    fake._release.set()
    # The SMS that may have arrived carries a code that works.
    login = server.verify_code(PHONE, sent_codes(fake)[0])
    assert login.status == 200, login


def test_repeated_sends_while_the_gateway_never_answers_reach_it_once(fake, mobizon_server):
    server = mobizon_server(fake, SMS_PER_NUMBER_PER_HOUR=3, SMS_PER_NUMBER_PER_DAY=5)
    fake.mode = "drop"
    statuses = [server.send_code(PHONE).status for _ in range(40)]
    assert statuses[0] == 503
    assert set(statuses[1:]) == {429}  # the possibly sent SMS counts: the cooldown holds
    assert len(fake.calls(SEND)) == 1


@pytest.mark.parametrize("again", ["send_code", "resend_code"])
def test_after_a_possibly_sent_sms_the_next_send_repeats_the_same_code_and_counts(fake, mobizon_server, again):
    server = mobizon_server(fake, RESEND_COOLDOWN_SECONDS=0, SMS_PER_NUMBER_PER_HOUR=2)
    fake.mode = "drop"
    assert server.send_code(PHONE).status == 503
    fake.mode = "normal"
    r = getattr(server, again)(PHONE)
    assert r.status == 200, r
    first, second = sent_codes(fake)
    assert first == second  # the same code again: whichever SMS arrives, it works
    # The lost send was counted: the number's budget of 2 per hour is used up.
    assert server.send_code(PHONE).status == 429
    assert server.verify_code(PHONE, first).status == 200


def test_a_number_the_gateway_refuses_reaches_it_once_per_cooldown(fake, mobizon_server):
    server = mobizon_server(fake, SMS_PER_NUMBER_PER_HOUR=3, SMS_PER_NUMBER_PER_DAY=5)
    fake.always = Answer(1, {"recipient": "Неверный номер"}, "Одно или несколько полей заполнены неверно")
    statuses = [server.send_code(PHONE).status for _ in range(40)]
    assert statuses[0] == 502
    assert set(statuses[1:]) == {429}
    assert len(fake.calls(SEND)) == 1


def test_a_number_the_gateway_refuses_reaches_it_at_most_its_hourly_cap(fake, mobizon_server):
    server = mobizon_server(fake, RESEND_COOLDOWN_SECONDS=0, SMS_PER_NUMBER_PER_HOUR=3, SMS_PER_NUMBER_PER_DAY=5)
    fake.always = Answer(1, {"recipient": "Неверный номер"}, "Одно или несколько полей заполнены неверно")
    statuses = [server.send_code(PHONE).status for _ in range(40)]
    assert statuses[:3] == [502, 502, 502]
    assert set(statuses[3:]) == {429}
    assert len(fake.calls(SEND)) == 3


def test_a_refused_send_is_refunded_from_the_spend_caps_and_leaves_no_code(fake, mobizon_server):
    server = mobizon_server(fake, SMS_GLOBAL_PER_HOUR=1)
    fake.inject = [Answer(1, {"recipient": "Неверный номер"}, "Одно или несколько полей заполнены неверно")]
    assert server.send_code(PHONE).status == 502
    assert server.verify_code(PHONE, sent_codes(fake)[0]).status == 401
    # Nothing went out, nothing was billed: the service-wide budget of 1 per hour is still there.
    r = server.send_code(OTHER)
    assert r.status == 200, r


def test_a_send_that_never_reached_the_gateway_is_refunded_entirely(fake, mobizon_server):
    server = mobizon_server(fake, SMS_PER_NUMBER_PER_HOUR=1, RESEND_COOLDOWN_SECONDS=0)
    port = fake.port
    fake.stop()  # nothing listens any more: the connection fails before a byte of the request leaves
    r = server.send_code(PHONE)
    assert r.status == 503, r
    assert "outcome=unreached" in server.log()
    assert f":{port}" in server.log()
    # Not counted against the number: once the gateway is back, the user gets a code at once.
    assert server.send_code(PHONE).status == 503  # still down, but not 429
    assert "limit=per_number_hour" not in server.log()
