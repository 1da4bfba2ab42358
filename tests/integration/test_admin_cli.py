"""`sms-auth users` and `sessions` against a running server's database: blocking ends sessions and stops login and
refresh; revocation ends sessions at once; --help and the exit codes 0 / 1 / 2."""
import pytest

from sessions_api import assert_error, assert_invalid_token, cli, jwt_part, me, refresh

PHONE = "+77472367503"


def test_blocked_user_can_neither_refresh_nor_log_in_until_unblocked(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    login = server.login(PHONE)
    r = cli(server, "users", "block", "8 (747) 236-75-03")
    assert r.returncode == 0, r.stderr
    assert "blocked +77472367503" in r.stdout and "sessions ended: 1" in r.stdout

    assert_error(refresh(server, login["refresh_token"]), 401, "invalid_grant")
    assert_invalid_token(me(server, login["access_token"]))
    assert server.send_code(PHONE).status == 200  # send-code never tells whether a number has an account
    assert_error(server.verify_code(PHONE, server.last_code()), 403, "access_denied")

    assert "already blocked" in cli(server, "users", "block", PHONE).stdout
    listed = cli(server, "users", "list", "--blocked")
    assert listed.returncode == 0 and PHONE in listed.stdout

    r = cli(server, "users", "unblock", login["user"]["id"])
    assert r.returncode == 0 and "unblocked" in r.stdout, r
    assert_error(refresh(server, login["refresh_token"]), 401, "invalid_grant")  # ended sessions stay ended
    again = server.login(PHONE)
    assert me(server, again["access_token"]).status == 200


def test_users_list_and_show_print_the_accounts_and_open_sessions(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    first = server.login(PHONE)
    server.login("+77012345678")
    r = cli(server, "users", "list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ID", "PHONE", "CREATED", "LAST_LOGIN", "STATUS"]
    assert [line.split()[1] for line in lines[1:]] == [PHONE, "+77012345678"]
    assert cli(server, "users", "list", "--limit", "1").stdout.count("\n") == 2

    r = cli(server, "users", "show", PHONE)
    assert r.returncode == 0, r.stderr
    assert first["user"]["id"] in r.stdout and "status:        active" in r.stdout
    assert jwt_part(first["access_token"], 1)["sid"] in r.stdout


def test_sessions_list_and_revoke_end_sessions_at_once(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS=0)
    a = server.login(PHONE)
    b = server.login(PHONE)
    sid_a = jwt_part(a["access_token"], 1)["sid"]
    sid_b = jwt_part(b["access_token"], 1)["sid"]
    listed = cli(server, "sessions", "list", PHONE)
    assert listed.returncode == 0 and sid_a in listed.stdout and sid_b in listed.stdout, listed

    r = cli(server, "sessions", "revoke", PHONE, "--session", sid_a)
    assert r.returncode == 0, r.stderr
    assert_error(refresh(server, a["refresh_token"]), 401, "invalid_grant")
    assert_invalid_token(me(server, a["access_token"]))
    assert me(server, b["access_token"]).status == 200
    assert sid_a not in cli(server, "sessions", "list", PHONE).stdout
    assert "revoked (admin)" in cli(server, "sessions", "list", PHONE, "--all").stdout

    r = cli(server, "sessions", "revoke", a["user"]["id"])
    assert r.returncode == 0 and "ended 1 session(s)" in r.stdout, r
    assert_error(refresh(server, b["refresh_token"]), 401, "invalid_grant")
    r = cli(server, "sessions", "revoke", PHONE, "--session", sid_b)
    assert r.returncode == 1 and "no open session" in r.stderr, r


@pytest.mark.parametrize("args", [["users", "--help"], ["users", "list", "--help"], ["users", "show", "--help"],
                                  ["users", "block", "--help"], ["users", "unblock", "--help"],
                                  ["sessions", "--help"], ["sessions", "list", "--help"],
                                  ["sessions", "revoke", "--help"], ["keys", "--help"],
                                  ["keys", "generate", "--help"], ["keys", "public", "--help"]])
def test_help_exits_0(server, args):
    r = cli(server, *args)
    assert r.returncode == 0 and "Usage" in r.stdout, r


def test_usage_errors_exit_2_and_runtime_failures_exit_1_with_one_line(server):
    for args in [["users"], ["users", "block"], ["sessions", "revoke"], ["users", "block", "not-a-number"],
                 ["users", "list", "--limit", "0"], ["keys"]]:
        r = cli(server, *args)
        assert r.returncode == 2, (args, r)
    r = cli(server, "users", "show", "+77019999999")
    assert r.returncode == 1, r
    assert r.stderr.strip().count("\n") == 0 and "no user with phone number +77019999999" in r.stderr
    r = cli(server, "users", "show", "00000000-0000-4000-8000-000000000000")
    assert r.returncode == 1 and "no user with id" in r.stderr, r
