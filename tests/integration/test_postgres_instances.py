"""Two sms-auth instances on one PostgreSQL: every promise holds across them (a code verified once, limits shared,
refresh reuse and logout seen by both). One throwaway cluster for the module; each test gets a database of its own."""
import itertools
import re
import threading

import pytest

from conftest import mask
from postgres_support import PASSWORD, PostgresCluster
from sessions_api import assert_invalid_token, logout, me, refresh

PHONE = "+77472367503"
_databases = itertools.count()


@pytest.fixture(scope="module")
def cluster():
    pg = PostgresCluster(name="instances")
    try:
        pg.init().start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def database_url(cluster):
    name = f"instances_{next(_databases)}"
    cluster.psql(f"CREATE DATABASE {name}", database="postgres")
    return cluster.url(database=name)


@pytest.fixture
def pair(make_server, database_url):
    """Instances A and B on the same database; neither log may show the database password."""
    def start(**env):
        settings = {"DATABASE_URL": database_url, "WORKER_THREADS": 2, "DATABASE_POOL_SIZE": 2, **env}
        servers = [make_server(name, **settings) for name in ("a", "b")]
        started.extend(servers)
        return servers
    started = []
    yield start
    for server in started:
        assert PASSWORD not in server.log()


def test_a_code_sent_through_a_verifies_once_on_b(pair):
    a, b = pair()
    assert a.send_code(PHONE).status == 200
    code = a.last_code()
    r = b.verify_code(PHONE, code)
    assert r.status == 200, r
    assert r.json()["user"]["phone_number"] == PHONE
    assert a.verify_code(PHONE, code).status != 200
    assert b.verify_code(PHONE, code).status != 200


def test_eight_parallel_verifies_split_across_a_and_b_give_exactly_one_200(pair):
    a, b = pair(WORKER_THREADS=4)
    assert a.send_code(PHONE).status == 200
    code = a.last_code()
    statuses = []
    barrier = threading.Barrier(8)

    def attempt(server):
        barrier.wait()
        statuses.append(server.verify_code(PHONE, code).status)

    threads = [threading.Thread(target=attempt, args=(a if i % 2 else b,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses).count(200) == 1, statuses
    assert all(status in (200, 401) for status in statuses), statuses  # the others: the code is used


def test_a_per_number_cap_filled_half_on_a_and_half_on_b_holds_exactly(pair):
    a, b = pair(SMS_PER_NUMBER_PER_HOUR=4, RESEND_COOLDOWN_SECONDS=0)
    statuses = []
    barrier = threading.Barrier(8)

    def send(server):
        barrier.wait()
        statuses.append(server.send_code(PHONE).status)

    threads = [threading.Thread(target=send, args=(a if i % 2 else b,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * 4 + [429] * 4, statuses
    assert len(a.sent_messages()) + len(b.sent_messages()) == 4
    assert a.send_code(PHONE).status == 429 and b.send_code(PHONE).status == 429
    assert "limit=per_number_hour" in a.log() + b.log()


def test_pumping_split_across_a_and_b_spends_one_unverified_budget(pair):
    a, b = pair(WORKER_THREADS=4, SMS_UNVERIFIED_PER_HOUR=5, RESEND_COOLDOWN_SECONDS=0)
    returning = "+77015551000"
    a.login(returning)
    statuses = []
    barrier = threading.Barrier(16)

    def send(server, i):
        barrier.wait()
        statuses.append(server.send_code(f"+7747{i:03d}7503").status)  # 16 ranges, nobody verifies

    threads = [threading.Thread(target=send, args=(a if i % 2 else b, i)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [200] * 5 + [429] * 11, statuses
    pumped = [to for to, _ in a.sent_messages() + b.sent_messages() if to.startswith("+7747")]
    assert len(pumped) == 5
    assert "limit=unverified_budget" in a.log() + b.log()
    # Verified through A, a returning user on B.
    assert b.send_code(returning).status == 200


def test_a_family_rotated_on_b_and_replayed_on_a_is_revoked_everywhere(pair):
    a, b = pair(REFRESH_REUSE_GRACE_SECONDS=0)
    tokens = a.login(PHONE)
    rotated = refresh(b, tokens["refresh_token"])
    assert rotated.status == 200, rotated
    newer = rotated.json()
    replay = refresh(a, tokens["refresh_token"])
    assert replay.status == 401, replay
    # The whole family is over, on both instances: the newer refresh token and the access tokens of the family.
    assert refresh(b, newer["refresh_token"]).status == 401
    assert refresh(a, newer["refresh_token"]).status == 401
    assert_invalid_token(me(a, newer["access_token"]))
    assert_invalid_token(me(b, tokens["access_token"]))
    assert re.search(r"auth\.refresh reuse_detected", a.log()), a.log()


def test_a_logout_on_a_ends_the_access_token_on_b(pair):
    a, b = pair()
    tokens = b.login(PHONE)
    assert me(b, tokens["access_token"]).status == 200
    assert logout(a, tokens["access_token"]).status == 200
    assert_invalid_token(me(b, tokens["access_token"]))
    assert refresh(b, tokens["refresh_token"]).status == 401
    assert f"phone={mask(PHONE)}" in a.log() + b.log()
