"""A 200 from verify-code is durable: after kill -9 and a restart the session exists and the used code stays dead."""
import hashlib
import base64
import sqlite3

PHONE = "+77472367503"


def refresh_hash(token):
    return hashlib.sha256(token.encode()).digest()


def test_verify_then_kill9_then_restart_keeps_the_session_and_the_code_dead(make_server):
    server = make_server()
    server.send_code(PHONE)
    code = server.last_code()
    r = server.verify_code(PHONE, code)
    assert r.status == 200
    refresh_token = r.json()["refresh_token"]
    assert server.kill9() == -9

    with sqlite3.connect(server.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT session_id FROM refresh_tokens WHERE token_hash = ?",
                          (refresh_hash(refresh_token),)).fetchall()
        assert len(rows) == 1
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE id = ?", rows[0]).fetchone()[0] == 1

    server.start()
    assert server.verify_code(PHONE, code).status == 401


def test_a_pending_code_sent_without_fsync_still_survives_kill9(make_server):
    # Sends commit with synchronous=NORMAL: WAL must still keep them through a process crash.
    server = make_server()
    assert server.send_code(PHONE).status == 200
    code = server.last_code()
    assert server.kill9() == -9
    server.start()
    assert server.verify_code(PHONE, code).status == 200
    assert server.send_code(PHONE).status == 429  # and its limit events survived too (cooldown)


def test_database_holds_neither_codes_nor_tokens_in_clear(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    server.send_code(PHONE)
    pending = server.last_code()
    login = server.login("+77012345678")
    server.stop()
    raw = server.db_path.read_bytes() + (server.db_path.with_suffix(".db-wal").read_bytes()
                                         if server.db_path.with_suffix(".db-wal").exists() else b"")
    for secret in [pending.encode(), login["refresh_token"].encode(), login["access_token"].encode(),
                   hashlib.sha256((PHONE + pending).encode()).digest(), hashlib.sha256(pending.encode()).digest()]:
        assert secret not in raw
