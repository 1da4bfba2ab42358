"""`sms-auth backup PATH`: an online SQLite copy taken while logins run is consistent and serves logins; it never
overwrites a file; PostgreSQL is pointed to pg_dump."""
import sqlite3
import threading

from mobizon_support import run_cli

FIXED_CODE = "246810"
LOAD_ENV = dict(SMS_TEST_FIXED_CODE=FIXED_CODE, SMS_PER_IP_PER_HOUR=100000, VERIFY_PER_IP_PER_HOUR=100000,
                SMS_PER_PREFIX_PER_HOUR=100000, SMS_GLOBAL_PER_HOUR=100000, SMS_GLOBAL_PER_DAY=100000,
                FRAUD_MIN_CONVERSION=0)


class LoginLoad:
    """Threads logging new numbers in until stopped; every answer must be a 200."""

    def __init__(self, server, threads=3):
        self.server = server
        self.logins = 0
        self.failures = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, worker):
        n = 0
        while not self.stopping.is_set():
            phone = f"+7701{worker}{n:06d}"
            n += 1
            sent = self.server.send_code(phone)
            verified = self.server.verify_code(phone, FIXED_CODE) if sent.status == 200 else sent
            with self.lock:
                if verified.status != 200:
                    self.failures.append(verified)
                self.logins += verified.status == 200
                if self.logins >= 10:
                    self.enough.set()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        assert self.enough.wait(timeout=300), self.failures[:3]
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)


def test_a_backup_taken_during_a_login_load_is_consistent_and_serves_logins(make_server, tmp_path):
    server = make_server(**LOAD_ENV)
    before = server.login("+77472367503")
    copy = tmp_path / "backup" / "copy.db"
    copy.parent.mkdir()
    with LoginLoad(server) as load:
        backed_up = run_cli(["backup", str(copy)], {"DATABASE_URL": server.env["DATABASE_URL"], "SMS_TEST_MODE": "true"}, tmp_path,
                            timeout=300)
        during = load.logins
    assert backed_up.returncode == 0, backed_up.stderr
    assert f"backup written to {copy}" in backed_up.stdout and "integrity ok" in backed_up.stdout
    assert load.failures == [], load.failures[:3]
    assert load.logins >= during >= 10
    assert not (copy.parent / "copy.db.partial").exists()

    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        users = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        assert users >= 11  # the login before the backup and the load's first ten at least
        # One snapshot: every session has its user (a torn copy could hold one without the other).
        orphans = db.execute("SELECT COUNT(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users)").fetchone()
        assert orphans == (0,)

    restored = make_server("restored", DATABASE_URL=f"sqlite:{copy}", **LOAD_ENV)
    me = restored.get("/api/v1/auth/me", {"Authorization": f"Bearer {before['access_token']}"})
    assert me.status == 200, me
    assert me.json()["phone_number"] == "+77472367503"
    assert restored.post("/api/v1/auth/refresh", {"refresh_token": before["refresh_token"]}).status == 200
    assert restored.login("+77479998877")["user"]["created"] is True


def test_backup_never_overwrites_a_file(make_server, tmp_path):
    server = make_server()
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    refused = run_cli(["backup", str(existing)], {"DATABASE_URL": server.env["DATABASE_URL"], "SMS_TEST_MODE": "true"}, tmp_path)
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert existing.read_bytes() == b"keep me"


def test_backup_of_a_missing_database_fails_with_one_line(tmp_path):
    failed = run_cli(["backup", str(tmp_path / "copy.db")], {"DATABASE_URL": f"sqlite:{tmp_path}/none.db", "SMS_TEST_MODE": "true"}, tmp_path)
    assert failed.returncode == 1
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert not (tmp_path / "copy.db").exists()


def test_backup_of_postgresql_says_to_use_pg_dump(tmp_path):
    refused = run_cli(["backup", str(tmp_path / "copy.db")],
                      {"DATABASE_URL": "postgresql://sms_auth:secret@127.0.0.1:1/sms_auth", "SMS_TEST_MODE": "true"}, tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "pg_dump" in refused.stderr
    assert "secret" not in refused.stderr
