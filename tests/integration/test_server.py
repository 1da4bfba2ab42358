"""The HTTP server itself: keep-alive, limits, timeouts, bad HTTP, graceful stop, start-up refusals."""
import http.client
import os
import socket
import subprocess
import time

from conftest import BINARY


def test_keep_alive_serves_several_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        assert r.status == 200
        r.read()
    conn.close()


def test_readyz_says_ready_when_the_database_is_migrated(server):
    r = server.get("/readyz")
    assert r.status == 200, r
    assert r.json() == {"status": "ready"}


def test_metrics_are_prometheus_text(server):
    server.send_code("77472367503")
    r = server.get("/metrics")
    assert r.status == 200
    assert r.header("content-type").startswith("text/plain")
    assert 'sms_auth_codes_sent_total{outcome="sent"} 1' in r.body
    assert "sms_auth_http_requests_total" in r.body


def test_headers_over_the_limit_are_431(server):
    r = server.request("GET", "/healthz", headers={"X-Big": "a" * 9000})
    assert r.status == 431
    assert r.json()["error"] == "headers_too_large"


def test_garbage_instead_of_http_gets_400_and_the_server_lives_on(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400"), reply
    assert server.get("/healthz").status == 200


def test_a_client_dribbling_its_request_is_cut_off_and_others_are_served(server):
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    slow.sendall(b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\n")
    started = time.time()
    assert server.get("/healthz").status == 200
    assert time.time() - started < 1
    slow.settimeout(25)
    try:
        while True:
            slow.sendall(b"X-Drip: 1\r\n")
            time.sleep(1)
            if time.time() - started > 22:
                break
    except OSError:
        pass  # closed by the server
    closed_after = time.time() - started
    slow.close()
    assert closed_after < 20, f"dribbling client still connected after {closed_after:.1f}s"


def test_sigterm_stops_gracefully_with_exit_code_0(server):
    assert server.stop() == 0
    assert "sms-auth stopped" in server.log()


def run_cli(args, env, cwd):
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run([BINARY, *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_check_config_names_each_bad_variable_and_exits_2(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", "PORT": "eighty", "OTP_MAX_ATTEMPTS": "0"}, tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert any(line.startswith("sms-auth: PORT: ") for line in lines), r.stderr
    assert any(line.startswith("sms-auth: OTP_MAX_ATTEMPTS: ") for line in lines), r.stderr


def test_check_config_accepts_test_mode_and_exits_0(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true"}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "configuration ok" in r.stdout
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("SMS_TEST_MODE=true\nPORT=eighty\n")
    assert run_cli(["check-config"], {}, tmp_path).returncode == 2
    assert run_cli(["check-config"], {"PORT": "8123"}, tmp_path).returncode == 0


def test_serve_refuses_production_without_a_gateway_in_one_line(tmp_path):
    r = run_cli(["serve"], {"SMS_TEST_MODE": "false"}, tmp_path)
    assert r.returncode == 2
    assert "MOBIZON_API_KEY" in r.stderr


def test_serve_refuses_a_short_jwt_secret_naming_it(tmp_path):
    r = run_cli(["serve"], {"SMS_TEST_MODE": "true", "JWT_SECRET": "short"}, tmp_path)
    assert r.returncode == 2
    assert "JWT_SECRET" in r.stderr and "short" not in r.stderr.replace("JWT_SECRET", "")


def test_unknown_subcommand_is_exit_2_and_help_is_exit_0(tmp_path):
    assert run_cli(["frobnicate"], {}, tmp_path).returncode == 2
    r = run_cli(["--help"], {}, tmp_path)
    assert r.returncode == 0 and "serve" in r.stdout


def test_migrate_creates_the_schema(tmp_path):
    r = run_cli(["migrate"], {"SMS_TEST_MODE": "true", "DATABASE_URL": f"sqlite:{tmp_path}/m.db"}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "schema at version" in r.stdout
