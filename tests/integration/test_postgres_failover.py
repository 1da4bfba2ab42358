"""PostgreSQL going away under running instances: a crash and restart (503 with Retry-After while it is down, then
logins again without restarting sms-auth), and a failover from a crashed primary to its promoted synchronous standby
(found by the instances through a multi-host DATABASE_URL; every acknowledged login survives)."""
import subprocess
import time

import pytest

from conftest import BINARY, Server, free_port
from postgres_support import PASSWORD, PostgresCluster, primary_url
from sessions_api import refresh

RECOVERY_BUDGET_S = 120  # how long the instances may take to find the database again (generous: a loaded machine)


def number(i):
    return f"+7747236{i:04d}"


def eventually_not_503(call):
    """Calls until the answer is something other than 503 (the database is back), at most RECOVERY_BUDGET_S."""
    deadline = time.time() + RECOVERY_BUDGET_S
    while True:
        response = call()
        if response.status != 503 or time.time() > deadline:
            return response
        assert response.header("retry-after"), response
        time.sleep(0.5)


def assert_unavailable(response):
    assert response.status == 503, response
    assert response.json()["error"] == "unavailable", response
    assert int(response.header("retry-after")) >= 1


def test_an_unreachable_database_at_start_is_one_line_naming_it_without_the_password_and_exit_1(tmp_path):
    port = free_port()
    env = Server(tmp_path, {"DATABASE_URL": f"postgresql://sms:{PASSWORD}@127.0.0.1:{port}/sms_auth"}).env
    for command in ("serve", "migrate"):
        r = subprocess.run([BINARY, command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 1, (command, r)
        lines = [line for line in r.stderr.splitlines() if "DATABASE_URL" in line]
        assert len(lines) == 1, (command, r.stderr)
        assert f"DATABASE_URL=postgresql://sms:***@127.0.0.1:{port}/sms_auth" in lines[0], lines
        assert PASSWORD not in r.stderr + r.stdout


@pytest.fixture
def cluster():
    pg = PostgresCluster(name="restart")
    try:
        pg.init().start().create_database()
        yield pg
    finally:
        pg.destroy()


def test_a_crashed_and_restarted_database_gives_503s_then_logins_again_without_restarting(make_server, cluster):
    a = make_server("a", DATABASE_URL=cluster.url(), DATABASE_POOL_SIZE=2)
    b = make_server("b", DATABASE_URL=cluster.url(), DATABASE_POOL_SIZE=2)
    before = a.login(number(1))
    pids = (a.process.pid, b.process.pid)

    cluster.crash()
    for server in (a, b):
        assert_unavailable(server.send_code(number(2)))
        assert_unavailable(refresh(server, before["refresh_token"]))
        assert server.get("/readyz").status == 503
        assert server.get("/healthz").status == 200  # alive, only not ready

    cluster.start()
    for server, phone in ((a, number(3)), (b, number(4))):
        assert eventually_not_503(lambda: server.send_code(phone)).status == 200
        assert server.verify_code(phone, server.last_code()).status == 200
        assert server.get("/readyz").status == 200
    assert refresh(b, before["refresh_token"]).status == 200  # the login from before the crash survived it
    assert (a.process.pid, b.process.pid) == pids and a.process.poll() is None and b.process.poll() is None
    for server in (a, b):
        assert PASSWORD not in server.log()
        assert " 500 " not in server.log()


def test_after_failover_to_the_synchronous_standby_every_acknowledged_login_can_refresh(make_server):
    primary = PostgresCluster(name="primary")
    standby = None
    try:
        primary.init().start().create_database()
        standby = primary.make_standby()
        primary.wait_streaming()
        primary.require_synchronous_standby()
        url = primary_url(primary, standby)
        servers = [make_server(name, DATABASE_URL=url, DATABASE_POOL_SIZE=2, REFRESH_REUSE_GRACE_SECONDS=0)
                   for name in ("a", "b")]

        logins = [servers[i % 2].login(number(100 + i)) for i in range(20)]

        primary.crash()
        standby.promote()
        for i, tokens in enumerate(logins):
            server = servers[(i + 1) % 2]
            r = eventually_not_503(lambda: refresh(server, tokens["refresh_token"]))
            assert r.status == 200, (i, r)
        # New logins work too, on both, against the new primary.
        for i, server in enumerate(servers):
            assert eventually_not_503(lambda: server.send_code(number(200 + i))).status == 200
            assert server.verify_code(number(200 + i), server.last_code()).status == 200
        for server in servers:
            assert PASSWORD not in server.log()
    finally:
        if standby:
            standby.destroy()
        primary.destroy()
