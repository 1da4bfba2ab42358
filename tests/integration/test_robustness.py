"""Crashes and a full disk under load: 503 `unavailable` (never 500), every acknowledged login kept, the database whole."""
import os
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sessions_api import refresh

FIXED_CODE = "123456"
# Load tests log in many numbers from one address: the send limits would stop them long before the point is made.
LOAD_LIMITS = {
    "SMS_TEST_FIXED_CODE": FIXED_CODE,
    "RESEND_COOLDOWN_SECONDS": 0,
    "SMS_PER_IP_PER_HOUR": 1000000,
    "SMS_PER_PREFIX_PER_HOUR": 1000000,
    "VERIFY_PER_IP_PER_HOUR": 1000000,
    "SMS_GLOBAL_PER_HOUR": 1000000,
    "SMS_GLOBAL_PER_DAY": 1000000,
    "FRAUD_MIN_SAMPLES": 1000000,
}


def phone(index):
    return f"+7747{index:07d}"


def login_once(server, number):
    """The refresh token of a login the server acknowledged, or None; raises only for an answer that is a bug."""
    sent = server.send_code(number)
    if sent.status != 200:
        assert sent.status == 503 and sent.json()["error"] == "unavailable", sent
        return None
    verified = server.verify_code(number, FIXED_CODE)
    if verified.status != 200:
        assert verified.status == 503 and verified.json()["error"] == "unavailable", verified
        return None
    return verified.json()["refresh_token"]


def assert_database_whole(path):
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def assert_every_login_refreshes(server, acknowledged):
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda token: refresh(server, token), acknowledged.values()))
    lost = [(number, answer) for number, answer in zip(acknowledged, answers) if answer.status != 200]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged logins lost: {lost[:3]}"


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the full-disk test mounts a 3 MiB tmpfs, which needs root")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(directory):
    """Writes a file until the file system refuses with ENOSPC."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        chunk = b"\0" * 65536
        try:
            while True:
                out.write(chunk)
        except OSError:
            pass
        try:
            while True:
                out.write(b"\0")
        except OSError:
            pass
    return filler


def test_a_full_disk_answers_503_loses_no_acknowledged_login_and_recovers_when_space_is_freed(make_server, small_disk):
    database = small_disk / "sms-auth.db"
    server = make_server(DATABASE_URL=f"sqlite:{database}", **LOAD_LIMITS)
    server.db_path = database
    acknowledged = {}
    for index in range(5):
        acknowledged[phone(index)] = login_once(server, phone(index))
    assert all(acknowledged.values())

    filler = fill(small_disk)
    statuses = []
    index = 5
    # Keep logging in until the database cannot grow: a few commits may still fit in pages SQLite already holds.
    while statuses.count(503) < 20 and index < 2000:
        number = phone(index)
        index += 1
        token = login_once(server, number)
        statuses.append(200 if token else 503)
        if token:
            acknowledged[number] = token
    assert statuses.count(503) >= 20, f"the disk never filled up: {len(statuses)} logins went through"
    assert server.process.poll() is None, server.log()
    assert server.get("/healthz").status in (200, 503)

    filler.unlink()
    recovered = None
    for attempt in range(50):  # the first writes after freeing space may still meet a failed checkpoint's leftovers
        recovered = login_once(server, phone(5000 + attempt))
        if recovered:
            break
        time.sleep(0.1)
    assert recovered, "no login went through after the space was freed"
    assert_every_login_refreshes(server, acknowledged)
    server.stop()
    assert_database_whole(database)
    assert "http.internal_error" not in server.log()


def test_kill9_under_login_load_keeps_the_database_whole_and_every_acknowledged_login(make_server):
    server = make_server(WORKER_THREADS=2, **LOAD_LIMITS)
    acknowledged = {}
    lock = threading.Lock()
    next_index = iter(range(10**6))
    cycles = 4

    def load(stop):
        while not stop.is_set():
            with lock:
                number = phone(next(next_index))
            try:
                token = login_once(server, number)
            except OSError:  # the server was killed under this request, or is not up yet
                time.sleep(0.02)
                continue
            if token:
                with lock:
                    acknowledged[number] = token

    for cycle in range(cycles):
        stop = threading.Event()
        workers = [threading.Thread(target=load, args=(stop,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        goal = (cycle + 1) * 15
        deadline = time.monotonic() + 120
        while len(acknowledged) < goal and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.kill9() == -9  # while the workers are still logging in
        stop.set()
        for worker in workers:
            worker.join()
        assert len(acknowledged) >= goal, server.log()[-2000:]
        assert_database_whole(server.db_path)
        server.start()

    assert_every_login_refreshes(server, acknowledged)
