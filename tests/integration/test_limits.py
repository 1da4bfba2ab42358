"""Abuse and SMS-fraud limits (issue 6; README, Abuse and SMS-fraud limits), black-box.

Each send limit is driven one past its budget: the refusal is a 429 with an integer Retry-After and the JSON error
shape, is counted by limit name in /metrics, is logged with the masked number, and the test-mode sender saw exactly
the allowed number of messages. Then the client address (X-Forwarded-For), the verification side, the order of the
checks, concurrency, a simulated pumping run, and two instances sharing one database.
"""
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import mask

PHONE = "+77472367503"
HOUR, DAY = 3600, 86400


def number(prefix_index, line=7503):
    """A valid KZ mobile number; each prefix_index is another number range (the number without its last 4 digits)."""
    return f"+7747{prefix_index:03d}{line:04d}"


def in_range(line, prefix="+7747236"):
    return f"{prefix}{line:04d}"


def assert_429(r, error="rate_limited"):
    assert r.status == 429, r
    body = r.json()
    assert body["success"] is False and body["error"] == error, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert r.header("content-type") == "application/json"
    retry_after = r.header("retry-after")
    assert retry_after is not None and re.fullmatch(r"[1-9][0-9]*", retry_after), retry_after
    assert body["retry_after"] == int(retry_after)
    return int(retry_after)


def metric(server, name, **labels):
    """The value of one sample of /metrics, or None when the sample is absent."""
    text = server.get("/metrics").body
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    wanted = f"{name}{{{label_text}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split(" ")[1])
    return None


def sent_to(server, phone):
    return [text for recipient, text in server.sent_messages() if recipient == mask(phone)]


def code_for(server, phone):
    """The code of the newest SMS to `phone` (other numbers' SMS may be logged in between)."""
    messages = sent_to(server, phone)
    assert messages, f"no SMS to {phone} was logged"
    return re.search(r"(\d{6})", messages[-1]).group(1)


def wrong_code(right):
    return "000000" if right != "000000" else "111111"


# ---- one test per send limit: the allowed sends pass, the next one is refused and sends nothing ----

SEND_LIMITS = [
    # limit, configuration, the numbers sent to (the last one is one past the limit), its window in seconds
    ("cooldown", {"RESEND_COOLDOWN_SECONDS": 40}, [PHONE] * 2, 40),
    ("per_number_hour", {"RESEND_COOLDOWN_SECONDS": 0, "SMS_PER_NUMBER_PER_HOUR": 3}, [PHONE] * 4, HOUR),
    ("per_number_day", {"RESEND_COOLDOWN_SECONDS": 0, "SMS_PER_NUMBER_PER_DAY": 2}, [PHONE] * 3, DAY),
    ("per_ip_hour", {"SMS_PER_IP_PER_HOUR": 3}, [number(i) for i in range(4)], HOUR),
    ("per_prefix_hour", {"SMS_PER_PREFIX_PER_HOUR": 3}, [in_range(i) for i in range(4)], HOUR),
    ("conversion_prefix", {"FRAUD_MIN_SAMPLES": 4, "FRAUD_MIN_CONVERSION": 0.5, "FRAUD_WINDOW_SECONDS": 7200},
     [in_range(i) for i in range(5)], 7200),
    ("unverified_budget", {"SMS_UNVERIFIED_PER_HOUR": 3}, [number(i) for i in range(4)], HOUR),
    # The derived unverified-SMS budget (a quarter of the cap) would refuse first: off, to reach the cap itself.
    ("global_hour", {"SMS_GLOBAL_PER_HOUR": 5, "SMS_UNVERIFIED_PER_HOUR": 0}, [number(i) for i in range(6)], HOUR),
    ("global_day", {"SMS_GLOBAL_PER_DAY": 4}, [number(i) for i in range(5)], DAY),
]


@pytest.mark.parametrize("limit,env,phones,window", SEND_LIMITS, ids=[case[0] for case in SEND_LIMITS])
def test_one_send_past_each_limit_is_429_and_sends_nothing(make_server, limit, env, phones, window):
    server = make_server(**env)
    *allowed, past = phones
    for phone in allowed:
        r = server.send_code(phone)
        assert r.status == 200, r
    retry_after = assert_429(server.send_code(past))
    # Exact sliding windows: the budget reopens when the first counted send leaves the window.
    assert window - 30 <= retry_after <= window
    assert len(server.sent_messages()) == len(allowed)
    assert metric(server, "sms_auth_rate_limited_total", limit=limit) == 1
    assert f"auth.rate_limited action=send phone={mask(past)} ip=127.0.0.1 limit={limit} " in server.log()
    assert past not in server.log()  # numbers are logged masked only
    # resend-code passes the same limits.
    assert_429(server.resend_code(past))
    assert len(server.sent_messages()) == len(allowed)


def test_a_reached_global_cap_logs_one_error_per_window_and_shows_in_metrics(make_server):
    server = make_server(SMS_GLOBAL_PER_HOUR=3)
    statuses = [server.send_code(number(i)).status for i in range(8)]
    assert statuses == [200] * 3 + [429] * 5
    assert len(server.sent_messages()) == 3
    log = server.log()
    assert len(re.findall(r"error.*limits\.cap_reached limit=global_hour", log)) == 1, log
    assert metric(server, "sms_auth_limit_alerts_total", limit="global_hour") == 1
    assert metric(server, "sms_auth_rate_limited_total", limit="global_hour") == 5
    last_hit = metric(server, "sms_auth_limit_last_hit_timestamp_seconds", limit="global_hour")
    assert last_hit is not None and abs(last_hit - time.time()) < 120


# ---- number type and country: refused before any limit, with a 422 that says why ----

@pytest.mark.parametrize("phone,reason", [
    ("+7 751 123 45 67", "VoIP"),
    ("+7 727 258 00 00", "landline"),
    ("+7 912 345 67 89", "RU"),
])
def test_numbers_that_are_not_kz_mobiles_are_422_with_the_reason_and_cost_no_budget(make_server, phone, reason):
    server = make_server(SMS_PER_IP_PER_HOUR=1, SMS_GLOBAL_PER_HOUR=1)
    for _ in range(3):
        r = server.send_code(phone)
        assert r.status == 422 and r.json()["error"] == "invalid_phone_number", r
        assert reason in r.json()["detail"]
    assert server.sent_messages() == []
    assert server.send_code(PHONE).status == 200  # the refused requests used none of the budgets


# ---- the client address ----

def test_forged_x_forwarded_for_from_an_untrusted_peer_changes_nothing(make_server):
    server = make_server(SMS_PER_IP_PER_HOUR=2, VERIFY_PER_IP_PER_HOUR=2)
    assert server.send_code(number(1), {"X-Forwarded-For": "203.0.113.1"}).status == 200
    assert server.send_code(number(2), {"X-Forwarded-For": "203.0.113.2"}).status == 200
    assert_429(server.send_code(number(3), {"X-Forwarded-For": "203.0.113.3"}))
    assert len(server.sent_messages()) == 2
    assert "limit=per_ip_hour" in server.log() and "ip=127.0.0.1 limit=per_ip_hour" in server.log()

    wrong = wrong_code(code_for(server, number(1)))
    assert server.verify_code(number(1), wrong, {"X-Forwarded-For": "198.51.100.1"}).status == 401
    assert server.verify_code(number(1), wrong, {"X-Forwarded-For": "198.51.100.2"}).status == 401
    assert_429(server.verify_code(number(1), wrong, {"X-Forwarded-For": "198.51.100.3"}), "too_many_attempts")


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(make_server):
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", SMS_PER_IP_PER_HOUR=2)
    a = {"X-Forwarded-For": "203.0.113.1"}
    assert server.send_code(number(1), a).status == 200
    assert server.send_code(number(2), a).status == 200
    assert_429(server.send_code(number(3), a))
    # A client that prepends a fake address still arrives as itself: the proxy appended its real address.
    assert_429(server.send_code(number(3), {"X-Forwarded-For": "198.51.100.77, 203.0.113.1"}))
    # Another client behind the same proxy has its own budget.
    assert server.send_code(number(3), {"X-Forwarded-For": "203.0.113.2"}).status == 200
    assert len(server.sent_messages()) == 3
    assert "ip=203.0.113.1 limit=per_ip_hour" in server.log()


def test_ipv6_clients_of_one_slash_64_share_one_budget(make_server):
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", SMS_PER_IP_PER_HOUR=2)
    assert server.send_code(number(1), {"X-Forwarded-For": "2001:db8:1:2::1"}).status == 200
    assert server.send_code(number(2), {"X-Forwarded-For": "2001:db8:1:2::2"}).status == 200
    assert_429(server.send_code(number(3), {"X-Forwarded-For": "2001:db8:1:2:ffff::3"}))
    assert server.send_code(number(3), {"X-Forwarded-For": "2001:db8:1:3::1"}).status == 200
    assert len(server.sent_messages()) == 3


# ---- the verification side ----

def test_verify_attempts_per_address_are_limited(make_server):
    server = make_server(VERIFY_PER_IP_PER_HOUR=3, RESEND_COOLDOWN_SECONDS=0)
    server.send_code(PHONE)
    code = code_for(server, PHONE)
    for _ in range(3):
        assert server.verify_code(PHONE, wrong_code(code)).status == 401
    retry_after = assert_429(server.verify_code(PHONE, code), "too_many_attempts")
    assert HOUR - 30 <= retry_after <= HOUR
    assert metric(server, "sms_auth_rate_limited_total", limit="verify_per_ip_hour") == 1
    assert f"auth.verify locked phone={mask(PHONE)} ip=127.0.0.1 limit=verify_per_ip_hour" in server.log()


def test_wrong_codes_across_resent_codes_lock_the_address_for_the_number_on_verify_and_send(make_server):
    server = make_server(FAILED_VERIFY_PER_NUMBER_PER_ADDRESS_PER_HOUR=4, RESEND_COOLDOWN_SECONDS=0)
    for attempts in [2, 2]:  # spread over two codes
        assert server.send_code(PHONE).status == 200
        code = code_for(server, PHONE)
        for _ in range(attempts):
            assert server.verify_code(PHONE, wrong_code(code)).status == 401
    # The fifth try is refused whatever the code, with the time left in the window.
    retry_after = assert_429(server.verify_code(PHONE, code), "too_many_attempts")
    assert HOUR - 30 <= retry_after <= HOUR
    # An address locked for a number gets no new code for it either.
    assert_429(server.send_code(PHONE), "too_many_attempts")
    assert len(sent_to(server, PHONE)) == 2
    assert metric(server, "sms_auth_rate_limited_total", limit="failed_verify_per_number_address_hour") == 2
    # Other numbers are not affected (and other addresses are not: tests/integration/test_failure_lock.py).
    assert server.login(number(5))["success"] is True


def test_a_successful_login_clears_the_clients_own_failures(make_server):
    server = make_server(FAILED_VERIFY_PER_NUMBER_PER_HOUR=3, FAILED_VERIFY_PER_NUMBER_PER_ADDRESS_PER_HOUR=3,
                         RESEND_COOLDOWN_SECONDS=0)
    for _ in range(2):
        assert server.send_code(PHONE).status == 200
        code = code_for(server, PHONE)
        assert server.verify_code(PHONE, wrong_code(code)).status == 401
        assert server.verify_code(PHONE, wrong_code(code)).status == 401
        # Without the reset, the second round's failures (2 + 2) would pass the limit of 3 and lock this login out.
        assert server.verify_code(PHONE, code).status == 200


def test_a_success_elsewhere_does_not_forgive_a_guessers_failures(make_server):
    # NIST SP 800-63B §5.2.2: after a success, disregard earlier failures from the same IP, and only those.
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", FAILED_VERIFY_PER_NUMBER_PER_HOUR=3,
                         RESEND_COOLDOWN_SECONDS=0)
    guesser, owner = {"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "198.51.100.1"}
    assert server.send_code(PHONE, owner).status == 200
    code = code_for(server, PHONE)
    assert server.verify_code(PHONE, wrong_code(code), guesser).status == 401
    assert server.verify_code(PHONE, wrong_code(code), guesser).status == 401
    assert server.verify_code(PHONE, code, owner).status == 200
    assert server.send_code(PHONE, owner).status == 200
    code = code_for(server, PHONE)
    assert server.verify_code(PHONE, wrong_code(code), owner).status == 401  # the third failure in the window
    assert_429(server.verify_code(PHONE, code, guesser), "too_many_attempts")


# ---- order of the checks ----

def test_the_first_limit_in_order_answers_address_then_number_then_prefix_then_global(make_server):
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", SMS_PER_IP_PER_HOUR=1, SMS_PER_PREFIX_PER_HOUR=1,
                         SMS_GLOBAL_PER_HOUR=1)

    def refused_by(phone, client):
        r = server.send_code(phone, {"X-Forwarded-For": client})
        assert_429(r)
        return re.findall(r"limit=(\w+)", server.log())[-1]

    assert server.send_code(in_range(1), {"X-Forwarded-For": "203.0.113.1"}).status == 200
    # Every budget is now spent; each request shows the first check that refuses it.
    assert refused_by(in_range(1), "203.0.113.1") == "per_ip_hour"
    assert refused_by(in_range(1), "203.0.113.2") == "cooldown"
    assert refused_by(in_range(2), "203.0.113.3") == "per_prefix_hour"
    assert refused_by(number(9), "203.0.113.4") == "global_hour"
    # Shape and number type come before every limit: a 422, not a 429.
    assert server.send_code("+7 751 123 45 67", {"X-Forwarded-For": "203.0.113.1"}).status == 422
    assert len(server.sent_messages()) == 1


# ---- concurrency and several instances ----

def test_a_hundred_parallel_sends_to_one_number_send_exactly_the_hourly_budget(make_server):
    server = make_server(WORKER_THREADS=4, RESEND_COOLDOWN_SECONDS=0, SMS_PER_NUMBER_PER_HOUR=5)
    with ThreadPoolExecutor(max_workers=100) as pool:
        responses = list(pool.map(lambda _: server.send_code(PHONE), range(100)))
    statuses = [r.status for r in responses]
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == 95, statuses
    assert len(server.sent_messages()) == 5
    assert all(r.json()["error"] == "rate_limited" and int(r.header("retry-after")) >= 1
               for r in responses if r.status == 429)


def test_two_instances_sharing_one_database_enforce_one_limit(make_server, tmp_path):
    shared = {"DATABASE_URL": f"sqlite:{tmp_path / 'shared.db'}", "SMS_GLOBAL_PER_HOUR": 5,
              "SMS_UNVERIFIED_PER_HOUR": 0}
    a = make_server(name="a", **shared)
    b = make_server(name="b", **shared)
    statuses = [(a if i % 2 == 0 else b).send_code(number(i)).status for i in range(10)]
    assert statuses == [200] * 5 + [429] * 5
    assert len(a.sent_messages()) + len(b.sent_messages()) == 5
    assert len(a.sent_messages()) >= 2 and len(b.sent_messages()) >= 2  # both did send: one cap, not two
    # Per-number limits too: a code sent by one instance holds the other back for the cooldown.
    both = {"DATABASE_URL": f"sqlite:{tmp_path / 'other.db'}"}
    c, d = make_server(name="c", **both), make_server(name="d", **both)
    assert c.send_code(PHONE).status == 200
    assert_429(d.send_code(PHONE))
    assert f"auth.rate_limited action=send phone={mask(PHONE)} ip=127.0.0.1 limit=cooldown" in d.log()
    assert d.sent_messages() == []


# ---- SMS pumping ----

def test_a_pumping_run_is_stopped_by_the_conversion_watch_while_real_logins_elsewhere_go_on(make_server):
    server = make_server(WORKER_THREADS=4, FRAUD_MIN_SAMPLES=6, FRAUD_MIN_CONVERSION=0.5,
                         SMS_PER_PREFIX_PER_HOUR=1000, SMS_PER_IP_PER_HOUR=1000, SMS_GLOBAL_PER_HOUR=1000)
    pumped_range, real_range = "+7747236", "+7701555"
    pump_statuses, login_results = [], []

    def pump():
        # Walks through one number range; nobody ever enters a code.
        for line in range(40):
            pump_statuses.append(server.send_code(in_range(line, pumped_range)))

    def real_logins():
        for line in range(12):
            phone = in_range(line, real_range)
            sent = server.send_code(phone)
            login_results.append(sent.status == 200 and
                                 server.verify_code(phone, code_for(server, phone)).status == 200)

    threads = [threading.Thread(target=pump), threading.Thread(target=real_logins)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in pump_statuses] == [200] * 6 + [429] * 34
    for r in pump_statuses[6:]:
        assert DAY - 60 <= assert_429(r) <= DAY
    pumped = [recipient for recipient, _ in server.sent_messages() if recipient.startswith(pumped_range[:5])]
    assert len(pumped) == 6
    assert login_results == [True] * 12  # 12 sends, 12 verified: the real range never trips the watch

    log = server.log()
    assert len(re.findall(r"error.*fraud\.low_conversion prefix=\+7747236 region=KZ", log)) == 1, log
    assert metric(server, "sms_auth_rate_limited_total", limit="conversion_prefix") == 34
    assert metric(server, "sms_auth_limit_alerts_total", limit="conversion_prefix") == 1
    # A real user who happens to be in the pumped range waits for the window; the others never noticed.
    assert_429(server.send_code(in_range(9999, pumped_range)))
    assert server.login(in_range(50, real_range))["success"] is True


def test_the_per_code_attempt_lock_is_a_429_counted_by_its_limit_name(make_server):
    server = make_server(OTP_MAX_ATTEMPTS=2)
    server.send_code(PHONE)
    code = code_for(server, PHONE)
    assert server.verify_code(PHONE, wrong_code(code)).status == 401
    assert server.verify_code(PHONE, wrong_code(code)).status == 401
    assert_429(server.verify_code(PHONE, code), "too_many_attempts")
    assert metric(server, "sms_auth_rate_limited_total", limit="code_attempts") == 1


def test_the_country_conversion_watch_reads_every_instances_traffic_from_the_database(make_server, tmp_path):
    shared = {"DATABASE_URL": f"sqlite:{tmp_path / 'shared.db'}"}
    a = make_server(name="a", **shared)
    a.login(number(1))
    assert a.send_code(number(2)).status == 200  # never verified
    # The watch runs when an instance starts and every minute after: a second instance sees the first one's traffic.
    b = make_server(name="b", **shared)
    deadline = time.time() + 10
    while metric(b, "sms_auth_conversion_sms_sent", country="KZ") is None and time.time() < deadline:
        time.sleep(0.1)
    assert metric(b, "sms_auth_conversion_sms_sent", country="KZ") == 2
    assert metric(b, "sms_auth_conversion_verified", country="KZ") == 1
    assert metric(b, "sms_auth_conversion_ratio", country="KZ") == 0.5
    assert metric(b, "sms_auth_conversion_blocked_prefixes") == 0
