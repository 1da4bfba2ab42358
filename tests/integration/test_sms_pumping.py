"""SMS pumping spread over many number ranges (issue 15), black-box: one SMS to each of 120 ranges never trips the
per-range conversion watch, so the unverified-SMS budget (SMS_UNVERIFIED_PER_HOUR) stops it, while returning users
and new users in ranges that convert keep logging in. Refunded sends do not spend the budget, possibly sent ones do;
two instances on one database share it (the PostgreSQL pair is in test_postgres_instances.py)."""
import re
import threading

from conftest import mask
from mobizon_support import Answer, fake, make_fake, mobizon_server, pki  # noqa: F401
from test_limits import HOUR, assert_429, code_for, metric, number, sent_to

REAL_RANGES = ["+7701555", "+7701556", "+7701557"]
# Everything but the budget out of the way: the attack comes from one address, real users share it too.
OPEN = {"SMS_PER_IP_PER_HOUR": 100000, "SMS_PER_PREFIX_PER_HOUR": 100000, "SMS_GLOBAL_PER_HOUR": 100000,
        "SMS_GLOBAL_PER_DAY": 100000, "RESEND_COOLDOWN_SECONDS": 0}


def real_user(i):
    """Twelve real users, four in each of three ranges."""
    return f"{REAL_RANGES[i % 3]}{1000 + i:04d}"


def log_in(server, phone):
    sent = server.send_code(phone)
    if sent.status != 200:
        return False
    return server.verify_code(phone, code_for(server, phone)).status == 200


def attack_sms(server):
    """SMS the test-mode sender logged to the attacked ranges (+7747000… to +7747119…)."""
    return [recipient for recipient, _ in server.sent_messages() if recipient.startswith("+7747")]


def test_pumping_across_120_ranges_spends_the_budget_only_and_returning_users_log_in(make_server):
    server = make_server(SMS_UNVERIFIED_PER_HOUR=20, **OPEN)
    users = [real_user(i) for i in range(12)]
    assert all(log_in(server, phone) for phone in users)

    attack_statuses, returning = [], []
    for i in range(120):
        attack_statuses.append(server.send_code(number(i)))  # one SMS to each of 120 ranges; nobody verifies
        if i % 10 == 9:
            returning.append(log_in(server, users[i // 10]))

    spent = len(attack_sms(server))
    assert spent <= 25, spent
    assert spent == 20  # sequential: exactly the budget
    assert returning == [True] * 12
    refused = [r for r in attack_statuses if r.status != 200]
    assert len(refused) == 100
    for r in refused:
        assert HOUR - 300 <= assert_429(r) <= HOUR
        assert "new numbers" in r.json()["detail"]

    # New users in a range whose conversion is healthy (8 sent, 8 verified) still log in.
    for line in range(3):
        assert log_in(server, f"{REAL_RANGES[0]}{2000 + line:04d}")
    # A new number in a range nobody verified in does not.
    newcomer = "+77472000001"
    assert_429(server.send_code(newcomer))
    assert sent_to(server, newcomer) == []

    log = server.log()
    assert metric(server, "sms_auth_rate_limited_total", limit="unverified_budget") == 101
    assert metric(server, "sms_auth_limit_alerts_total", limit="unverified_budget") == 1
    assert len(re.findall(r"error.*fraud\.unverified_budget alert window_s=3600", log)) == 1, log
    assert "fraud.unverified_budget prefix=+7747200 region=KZ" in log  # the range, not the number
    assert newcomer not in log
    assert f"phone={mask(newcomer)} ip=127.0.0.1 limit=unverified_budget" in log

    # One verification brings the count under the budget again: open to all.
    # (Every attacked number masks alike, +7747***7503: the newest such SMS is the last attack send that passed.)
    victim = number(max(i for i, r in enumerate(attack_statuses) if r.status == 200))
    assert server.verify_code(victim, code_for(server, victim)).status == 200
    assert server.send_code(newcomer).status == 200
    assert_429(server.send_code("+77472010001"))


def test_the_budget_is_checked_after_the_range_and_before_the_global_cap(make_server):
    server = make_server(SMS_UNVERIFIED_PER_HOUR=2, SMS_GLOBAL_PER_HOUR=5, SMS_PER_PREFIX_PER_HOUR=2,
                         RESEND_COOLDOWN_SECONDS=0)
    assert log_in(server, real_user(0)) and log_in(server, real_user(1))  # 2 of 5 global, none unverified
    assert server.send_code(number(1)).status == 200
    assert server.send_code(number(1, 1)).status == 200  # 4 of 5; 2 unverified: the budget is spent

    def refused_by(phone):
        assert_429(server.send_code(phone))
        return re.findall(r"limit=(\w+)", server.log())[-1]

    assert refused_by(number(1, 2)) == "per_prefix_hour"  # the range's velocity comes first
    assert refused_by(number(2)) == "unverified_budget"
    assert server.send_code(real_user(0)).status == 200  # returning: 5 of 5
    assert refused_by(real_user(1)) == "global_hour"  # the cap holds for everyone


def test_two_instances_on_one_sqlite_file_share_the_budget(make_server, tmp_path):
    shared = {"DATABASE_URL": f"sqlite:{tmp_path / 'shared.db'}", "SMS_UNVERIFIED_PER_HOUR": 4, **OPEN}
    a = make_server(name="a", **shared)
    b = make_server(name="b", **shared)
    assert log_in(a, real_user(0))
    results = {}

    def pump(server, start):
        results[start] = [server.send_code(number(i)).status for i in range(start, start + 20)]

    threads = [threading.Thread(target=pump, args=(server, start)) for server, start in ((a, 0), (b, 100))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = results[0] + results[100]
    assert statuses.count(200) == 4, results
    assert len(attack_sms(a)) + len(attack_sms(b)) == 4
    # Who verified through one instance is a returning user on the other.
    assert b.send_code(real_user(0)).status == 200
    assert_429(b.send_code(number(50)))  # and an unknown number in an unproven range is refused there too
    assert "limit=unverified_budget" in b.log()


def test_a_refunded_send_does_not_spend_the_budget_and_a_possibly_sent_one_does(fake, mobizon_server):
    server = mobizon_server(fake, SMS_UNVERIFIED_PER_HOUR=1, RESEND_COOLDOWN_SECONDS=0)
    fake.inject = [Answer(1, {"recipient": "Неверный номер"}, "Одно или несколько полей заполнены неверно")]
    assert server.send_code(number(1)).status == 502  # refused by the gateway: surely not sent, refunded
    fake.mode = "drop"
    assert server.send_code(number(2)).status == 503  # the answer was lost: it may arrive, it counts
    fake.mode = "normal"
    r = server.send_code(number(3))
    assert_429(r)
    assert "limit=unverified_budget" in server.log()
    assert len(fake.calls("message/sendsmsmessage")) == 2
