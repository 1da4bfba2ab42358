"""Settings that would hand the service to anyone: test mode on an address other machines reach, the fixed test
code in the page, and secrets a person typed. check-config refuses them, naming the variable and the fix."""
import pytest

from mobizon_support import run_cli

LOOPBACK_FIXED = {"SMS_TEST_MODE": "true", "SMS_TEST_FIXED_CODE": "123456"}


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3"])
@pytest.mark.parametrize("fixed_code", [None, "123456"])
def test_test_mode_on_a_reachable_host_is_refused_unless_said_explicitly(tmp_path, host, fixed_code):
    env = {"SMS_TEST_MODE": "true", "HOST": host}
    if fixed_code:
        env["SMS_TEST_FIXED_CODE"] = fixed_code
    r = run_cli(["check-config"], env, tmp_path)
    assert r.returncode == 2, r.stdout
    assert any(line.startswith("sms-auth: SMS_TEST_MODE: ") and "SMS_TEST_MODE_PUBLIC=true" in line
               for line in r.stderr.splitlines()), r.stderr
    r = run_cli(["check-config"], {**env, "SMS_TEST_MODE_PUBLIC": "true"}, tmp_path)
    assert r.returncode == 0, r.stderr


def test_a_public_test_server_never_shows_the_fixed_code_in_the_page(make_server):
    shown = make_server(**LOOPBACK_FIXED)
    assert 'data-fixed-code="123456"' in shown.get("/").body  # a private test server helps its developer
    public = make_server(name="public", SMS_TEST_MODE_PUBLIC="true", **LOOPBACK_FIXED)
    page = public.get("/")
    assert page.status == 200
    assert "123456" not in page.body


@pytest.mark.parametrize("name", ["JWT_SECRET", "OTP_SECRET", "ADMIN_TOKEN", "MOBIZON_WEBHOOK_SECRET"])
@pytest.mark.parametrize("secret", ["abcdefghijklmnopqrstuvwxyz123456", "a" * 32, "Passw0rdPassw0rdPassw0rdPassw0rd"])
def test_guessable_secrets_are_refused_with_how_to_make_a_good_one(tmp_path, name, secret):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", name: secret}, tmp_path)
    assert r.returncode == 2, r.stdout
    lines = [line for line in r.stderr.splitlines() if line.startswith(f"sms-auth: {name}: ")]
    assert lines and "openssl rand" in lines[0], r.stderr
    assert secret not in r.stderr


def test_a_random_secret_passes(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", "JWT_SECRET": "kR0x9v2QmZ4tB7LwN1cY8sE3uH6pJ5aG0dF2iK9oT4rW",
                                   "OTP_SECRET": "3f9c1a7e5b2d8f40c6e1a9b7d3f5e2c8a4b6d0f1"}, tmp_path)
    assert r.returncode == 0, r.stderr
