"""Wrong codes lock the guesser, not the owner (issue 13, item 4; README, Failures and success), black-box.

A stranger's wrong codes lock the stranger's address for that number; the number as a whole is locked only at a much
higher count, and then only for the addresses that failed on it: an address that never failed for the number (the
owner on another network) still gets its try, and every code keeps its own attempt cap. Client addresses come from
X-Forwarded-For behind TRUSTED_PROXIES=127.0.0.1.
"""
from test_limits import PHONE, assert_429, code_for, metric, wrong_code


def client(address):
    return {"X-Forwarded-For": address}


def fail_on_fresh_codes(server, headers, failures, per_code=5):
    """`failures` wrong codes from one address, over as many codes as that takes (each dies after `per_code`)."""
    while failures > 0:
        assert server.send_code(PHONE, headers).status == 200
        code = code_for(server, PHONE)
        for _ in range(min(per_code, failures)):
            assert server.verify_code(PHONE, wrong_code(code), headers).status == 401
            failures -= 1


def test_a_strangers_wrong_codes_lock_only_that_address_and_the_owner_logs_in_from_another(make_server):
    # The defaults: 10 wrong codes lock an address for a number; the number-wide limit is far higher.
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", RESEND_COOLDOWN_SECONDS=0)
    stranger, owner = client("203.0.113.9"), client("198.51.100.1")
    fail_on_fresh_codes(server, stranger, 10)

    # The stranger's address is locked for this number: no new code, no further try, even on a live code.
    retry_after = assert_429(server.send_code(PHONE, stranger), "too_many_attempts")
    assert 3600 - 60 <= retry_after <= 3600
    assert server.send_code(PHONE, owner).status == 200
    code = code_for(server, PHONE)
    assert_429(server.verify_code(PHONE, wrong_code(code), stranger), "too_many_attempts")
    assert metric(server, "sms_auth_rate_limited_total", limit="failed_verify_per_number_address_hour") == 2
    assert "limit=failed_verify_per_number_address_hour" in server.log()

    # The owner's code was not touched by the refused try, and the owner logs in.
    r = server.verify_code(PHONE, code, owner)
    assert r.status == 200, r


def test_twenty_wrong_codes_from_two_strangers_no_longer_lock_the_owner_out(make_server):
    # The attack of the review: 20 wrong codes (the old number lock) used to answer the owner's right code with 429.
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", RESEND_COOLDOWN_SECONDS=0, SMS_PER_NUMBER_PER_HOUR=10)
    for stranger in ["203.0.113.1", "203.0.113.2"]:
        fail_on_fresh_codes(server, client(stranger), 10)
    owner = client("198.51.100.1")
    assert server.send_code(PHONE, owner).status == 200
    r = server.verify_code(PHONE, code_for(server, PHONE), owner)
    assert r.status == 200, r


def test_a_distributed_guesser_hits_the_number_wide_limit_but_a_fresh_address_keeps_its_try(make_server):
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", RESEND_COOLDOWN_SECONDS=0, SMS_PER_NUMBER_PER_HOUR=10,
                         FAILED_VERIFY_PER_NUMBER_PER_ADDRESS_PER_HOUR=3, FAILED_VERIFY_PER_NUMBER_PER_HOUR=6)
    guessers = [client(f"203.0.113.{i}") for i in range(1, 7)]
    for index, guesser in enumerate(guessers):  # one wrong code from each of six addresses, over two codes
        if index % 3 == 0:
            assert server.send_code(PHONE, guesser).status == 200
            code = code_for(server, PHONE)
        assert server.verify_code(PHONE, wrong_code(code), guesser).status == 401

    # Each address is under its own limit of 3, but the number has 6 failures: every address that failed is refused.
    assert server.send_code(PHONE, guessers[0]).status == 200  # the number-wide limit stops tries, not the SMS budget
    code = code_for(server, PHONE)
    for guesser in guessers:
        retry_after = assert_429(server.verify_code(PHONE, code, guesser), "too_many_attempts")
        assert 3600 - 60 <= retry_after <= 3600
    assert metric(server, "sms_auth_rate_limited_total", limit="failed_verify_per_number_hour") == 6

    # A new address gets one try: its wrong code makes it an address that failed, and it is refused from then on.
    newcomer = client("192.0.2.50")
    assert server.verify_code(PHONE, wrong_code(code), newcomer).status == 401
    assert_429(server.verify_code(PHONE, code, newcomer), "too_many_attempts")

    # The owner, on an address that never failed for the number, logs in with the right code.
    owner = client("198.51.100.1")
    r = server.verify_code(PHONE, code, owner)
    assert r.status == 200, r


def test_fresh_addresses_still_get_only_the_codes_attempts(make_server):
    # What bounds a guesser with unlimited addresses: every code dies after OTP_MAX_ATTEMPTS wrong tries, wherever
    # they came from, and new codes cost the number's SMS budget.
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", FAILED_VERIFY_PER_NUMBER_PER_HOUR=2)
    assert server.send_code(PHONE, client("198.51.100.1")).status == 200
    code = code_for(server, PHONE)
    statuses = [server.verify_code(PHONE, wrong_code(code), client(f"203.0.113.{i}")).status for i in range(1, 11)]
    assert statuses == [401] * 5 + [429] * 5, statuses
    assert metric(server, "sms_auth_rate_limited_total", limit="code_attempts") == 5
