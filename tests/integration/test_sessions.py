"""Sessions after login (docs/api.md, Sessions): refresh rotation with reuse detection and grace, idle and
absolute expiry, logout, logout-all, /me, and durability of a rotation across kill -9."""
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import mask
from sessions_api import assert_error, assert_invalid_token, jwt_part, logout, me, refresh

PHONE = "+77472367503"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_refresh_answers_the_oauth_shape_with_no_store_and_a_working_pair(server):
    login = server.login(PHONE)
    r = refresh(server, login["refresh_token"])
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1800
    assert len(body["refresh_token"]) >= 43 and body["refresh_token"] != login["refresh_token"]
    assert r.header("cache-control") == "no-store"
    assert jwt_part(body["access_token"], 1)["sid"] == jwt_part(login["access_token"], 1)["sid"]
    assert me(server, body["access_token"]).status == 200


def test_rotation_chain_then_replay_of_r0_outside_the_grace_ends_the_family(make_server):
    server = make_server(REFRESH_REUSE_GRACE_SECONDS=1)
    r0 = server.login(PHONE)["refresh_token"]
    r1 = refresh(server, r0).json()["refresh_token"]
    second = refresh(server, r1)
    assert second.status == 200, second
    r2, access2 = second.json()["refresh_token"], second.json()["access_token"]
    time.sleep(1.3)  # past the grace of R0's rotation

    assert_error(refresh(server, r0), 401, "invalid_grant")
    assert_error(refresh(server, r2), 401, "invalid_grant")  # the newest token died with its family
    assert_error(refresh(server, r1), 401, "invalid_grant")
    assert_invalid_token(me(server, access2))  # and so did the access tokens of the session
    assert f"auth.refresh reuse_detected phone={mask(PHONE)}" in server.log()


def test_replay_inside_the_grace_gets_a_working_pair_of_the_same_family(server):
    login = server.login(PHONE)
    r0 = login["refresh_token"]
    first = refresh(server, r0).json()
    replay = refresh(server, r0)  # a second tab, or a retry after a lost response
    assert replay.status == 200, replay
    again = replay.json()
    sid = jwt_part(login["access_token"], 1)["sid"]
    assert jwt_part(again["access_token"], 1)["sid"] == sid
    assert again["refresh_token"] != first["refresh_token"]
    assert refresh(server, first["refresh_token"]).status == 200
    assert refresh(server, again["refresh_token"]).status == 200


def live_chains(server, refresh_tokens):
    """How many of these refresh tokens still refresh (each one that does is a live chain of the session)."""
    return sum(refresh(server, token).status == 200 for token in refresh_tokens)


def test_replaying_r0_inside_the_grace_gives_one_extra_chain_at_most_and_a_further_replay_ends_the_family(server):
    login = server.login(PHONE)
    r0 = login["refresh_token"]
    child = refresh(server, r0).json()
    sibling = refresh(server, r0)  # a retry after a lost response: one sibling, in the same session
    assert sibling.status == 200, sibling
    sibling = sibling.json()
    assert me(server, sibling["access_token"]).status == 200

    # A thief replaying R0 again, however often, inside the grace, gets no third chain: the family ends.
    replays = [refresh(server, r0) for _ in range(4)]
    for replay in replays:
        assert_error(replay, 401, "invalid_grant")
    assert live_chains(server, [child["refresh_token"], sibling["refresh_token"]]) == 0
    for access in [login["access_token"], child["access_token"], sibling["access_token"]]:
        assert_invalid_token(me(server, access))
    assert f"auth.refresh reuse_detected phone={mask(PHONE)}" in server.log()


def test_parallel_replays_of_one_token_leave_at_most_two_chains_and_end_the_family(make_server):
    server = make_server(WORKER_THREADS=4)
    login = server.login(PHONE)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: refresh(server, login["refresh_token"]), range(8)))
    winners = [r for r in responses if r.status == 200]
    assert 1 <= len(winners) <= 2, responses  # the rotation and at most one sibling
    for r in responses:
        if r.status != 200:
            assert_error(r, 401, "invalid_grant")
    sid = jwt_part(login["access_token"], 1)["sid"]
    assert {jwt_part(r.json()["access_token"], 1)["sid"] for r in winners} == {sid}
    # Eight presentations of one token are more than two tabs: the family ended, no chain is left.
    assert live_chains(server, [r.json()["refresh_token"] for r in winners]) == 0
    with sqlite3.connect(server.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
        assert db.execute("SELECT revoked_reason FROM sessions").fetchone()[0] == "reuse_detected"


def test_concurrent_replays_without_a_grace_leave_no_live_branch(make_server):
    server = make_server(WORKER_THREADS=4, REFRESH_REUSE_GRACE_SECONDS=0)
    login = server.login(PHONE)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: refresh(server, login["refresh_token"]), range(8)))
    winners = [r for r in responses if r.status == 200]
    assert len(winners) == 1, responses
    assert all(r.status == 401 for r in responses if r.status != 200)
    assert_error(refresh(server, winners[0].json()["refresh_token"]), 401, "invalid_grant")


def test_idle_lifetime_is_enforced_and_each_rotation_renews_it(make_server):
    server = make_server(REFRESH_TOKEN_IDLE_SECONDS=2, REFRESH_TOKEN_TTL_SECONDS=3600)
    token = server.login(PHONE)["refresh_token"]
    for _ in range(3):  # 3 s of activity in all, never 2 s idle
        time.sleep(1)
        r = refresh(server, token)
        assert r.status == 200, r
        token = r.json()["refresh_token"]
    time.sleep(2.5)
    assert_error(refresh(server, token), 401, "invalid_grant")


def test_absolute_lifetime_ends_the_session_however_active_it_is(make_server):
    server = make_server(REFRESH_TOKEN_TTL_SECONDS=4, REFRESH_TOKEN_IDLE_SECONDS=3600)
    started = time.monotonic()
    token = server.login(PHONE)["refresh_token"]
    time.sleep(1.5)
    token = refresh(server, token).json()["refresh_token"]
    assert time.monotonic() - started < 3.5  # still inside the lifetime, or the next assertion proves nothing
    r = refresh(server, token)
    assert r.status == 200, r
    time.sleep(max(0.0, 4.8 - (time.monotonic() - started)))
    assert_error(refresh(server, r.json()["refresh_token"]), 401, "invalid_grant")


def test_logout_ends_the_family_and_its_access_tokens(server):
    login = server.login(PHONE)
    assert me(server, login["access_token"]).status == 200
    r = logout(server, login["access_token"])
    assert r.status == 200, r
    assert r.json()["success"] is True and r.json()["sessions_ended"] == 1
    assert r.header("cache-control") == "no-store"
    assert_error(refresh(server, login["refresh_token"]), 401, "invalid_grant")
    assert_invalid_token(me(server, login["access_token"]))
    assert_invalid_token(logout(server, login["access_token"]))
    assert f"auth.logout phone={mask(PHONE)}" in server.log()


def test_logout_all_ends_every_session_of_the_user_and_no_one_elses(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    phone_login = server.login(PHONE)
    web_login = server.login(PHONE)
    other = server.login("+77012345678")
    r = logout(server, web_login["access_token"], {"all": True})
    assert r.status == 200, r
    assert r.json()["sessions_ended"] == 2
    assert_error(refresh(server, phone_login["refresh_token"]), 401, "invalid_grant")
    assert_error(refresh(server, web_login["refresh_token"]), 401, "invalid_grant")
    assert_invalid_token(me(server, phone_login["access_token"]))
    assert refresh(server, other["refresh_token"]).status == 200


def test_logout_with_all_false_ends_only_this_session(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    first = server.login(PHONE)
    second = server.login(PHONE)
    assert logout(server, first["access_token"], {"all": False}).json()["sessions_ended"] == 1
    assert refresh(server, second["refresh_token"]).status == 200


def test_me_returns_the_account_in_the_specified_shape(server):
    login = server.login(PHONE)
    r = me(server, login["access_token"])
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"id", "phone_number", "created_at", "last_login_at"}
    assert body["id"] == login["user"]["id"]
    assert body["phone_number"] == PHONE
    assert RFC3339.match(body["created_at"]) and RFC3339.match(body["last_login_at"])
    assert body["created_at"] <= body["last_login_at"]
    assert r.header("cache-control") == "no-store"


def test_bad_refresh_and_logout_requests_get_the_spec_errors(server):
    login = server.login(PHONE)
    assert_error(server.post("/api/v1/auth/refresh", {}), 400, "invalid_request")
    assert_error(server.post("/api/v1/auth/refresh", {"refresh_token": 12}), 400, "invalid_request")
    assert_error(server.post("/api/v1/auth/refresh", "refresh_token=x", {"Content-Type": "text/plain"}), 415,
                 "unsupported_media_type")
    assert_error(refresh(server, "x" * 43), 401, "invalid_grant")
    assert_error(refresh(server, "x" * 100000), 413, "payload_too_large")
    assert_error(logout(server, login["access_token"], {"all": "yes"}), 400, "invalid_request")
    assert_error(logout(server, login["access_token"], "{"), 400, "invalid_request")
    assert_invalid_token(server.post("/api/v1/auth/logout"))
    assert_error(server.get("/api/v1/auth/refresh"), 405, "method_not_allowed")
    assert refresh(server, login["refresh_token"]).status == 200  # none of the above touched the session


def test_refresh_after_kill9_and_restart_works_and_the_rotation_stayed_on_disk(make_server):
    server = make_server(REFRESH_REUSE_GRACE_SECONDS=0)
    login = server.login(PHONE)
    r1 = refresh(server, login["refresh_token"])
    assert r1.status == 200
    assert server.kill9() == -9
    server.start()
    assert me(server, r1.json()["access_token"]).status == 200
    r2 = refresh(server, r1.json()["refresh_token"])
    assert r2.status == 200, r2
    assert server.kill9() == -9
    server.start()
    assert refresh(server, r2.json()["refresh_token"]).status == 200
    # R0 was rotated before the first kill: replaying it is reuse, which the restart did not forget.
    assert_error(refresh(server, login["refresh_token"]), 401, "invalid_grant")


def test_session_events_never_log_a_token(server):
    login = server.login(PHONE)
    pair = refresh(server, login["refresh_token"]).json()
    me(server, pair["access_token"])
    logout(server, pair["access_token"])
    refresh(server, pair["refresh_token"])
    server.stop()
    log = server.log()
    for secret in [login["refresh_token"], pair["refresh_token"], pair["access_token"],
                   pair["access_token"].split(".")[2]]:
        assert secret not in log
    assert PHONE not in log
    for event in ["auth.refresh ok", "auth.logout", "auth.refresh failed reason=session_revoked"]:
        assert event in log, event
