"""Operations: JSON log lines with fields, a request id per request (a trusted proxy's or a new one) in the response
and in every line of that request, the access log and its switch, and /metrics (prometheus-cpp's exposition, checked
by Debian's promtool; build info; METRICS_LISTEN's own listener)."""
import http.client
import json
import re
from concurrent.futures import ThreadPoolExecutor
import shutil
import subprocess

import pytest

from conftest import free_port
from mobizon_support import run_cli

PHONE = "+77472367503"
FIXED_CODE = "246810"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def json_records(server):
    return [json.loads(line) for line in server.log().splitlines() if line.strip()]


def lines_of(records, request_id):
    return [r for r in records if r.get("request_id") == request_id]


def test_json_log_lines_are_objects_whose_fields_are_fields(make_server):
    server = make_server(LOG_FORMAT="json", SMS_TEST_FIXED_CODE=FIXED_CODE)
    assert server.send_code(PHONE).status == 200
    assert server.verify_code(PHONE, "000000").status == 401
    server.stop()
    records = json_records(server)  # every line parses
    for record in records:
        assert {"ts", "level", "event"} <= record.keys(), record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["ts"]), record
    sent = next(r for r in records if r["event"] == "auth.send")
    assert sent["phone"] == "+7747***7503" and sent["client"] == "127.0.0.1" and "msg" not in sent
    failed = next(r for r in records if r["event"] == "auth.verify")
    assert failed["result"] == "failed" and failed["reason"] == "wrong_code" and failed["attempts_left"] == 4
    access = [r for r in records if r["event"] == "http.access"]
    send_access = next(r for r in access if r["route"] == "/api/v1/sms-auth/send-code")
    assert send_access["method"] == "POST" and send_access["status"] == 200
    assert isinstance(send_access["duration_ms"], (int, float)) and send_access["duration_ms"] >= 0
    assert isinstance(send_access["bytes"], int) and send_access["bytes"] > 0
    assert send_access["client"] == "127.0.0.1"
    assert re.fullmatch(r"[0-9a-f]{32}", send_access["request_id"])


def test_a_new_request_id_is_echoed_and_is_in_every_line_of_its_request(make_server):
    server = make_server(LOG_FORMAT="json", SMS_TEST_FIXED_CODE=FIXED_CODE)
    first = server.send_code(PHONE)
    second = server.get("/healthz")
    request_id = first.header("x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), first.headers
    assert second.header("x-request-id") not in (None, request_id)
    server.stop()
    mine = lines_of(json_records(server), request_id)
    # The domain's line, the test-mode sender's two lines and the access line: all of this request, all tagged.
    assert [r["event"] for r in mine] == ["sms.test_mode", "sms.test_mode", "auth.send", "http.access"], mine


def test_a_trusted_proxys_request_id_is_kept_in_the_response_and_the_log_lines(make_server):
    server = make_server(LOG_FORMAT="json", SMS_TEST_FIXED_CODE=FIXED_CODE, TRUSTED_PROXIES="127.0.0.1")
    r = server.send_code(PHONE, headers={"X-Request-Id": "edge-4f1c.2:a_b", "X-Forwarded-For": "203.0.113.7"})
    assert r.status == 200
    assert r.header("x-request-id") == "edge-4f1c.2:a_b"
    unsafe = server.get("/healthz", headers={"X-Request-Id": "bad id\"with=quotes"})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.header("x-request-id"))
    too_long = server.get("/healthz", headers={"X-Request-Id": "a" * 65})
    assert re.fullmatch(r"[0-9a-f]{32}", too_long.header("x-request-id"))
    server.stop()
    mine = lines_of(json_records(server), "edge-4f1c.2:a_b")
    assert {r["event"] for r in mine} == {"sms.test_mode", "auth.send", "http.access"}
    assert all(r.get("client", "203.0.113.7") == "203.0.113.7" for r in mine), mine


def test_an_untrusted_clients_request_id_is_replaced(make_server):
    server = make_server(LOG_FORMAT="json")  # no TRUSTED_PROXIES: the test client is just a client
    r = server.send_code(PHONE, headers={"X-Request-Id": "client-chosen-id"})
    assert r.status == 200
    assert r.header("x-request-id") != "client-chosen-id"
    assert re.fullmatch(r"[0-9a-f]{32}", r.header("x-request-id"))
    server.stop()
    assert "client-chosen-id" not in server.log()


def test_text_lines_carry_the_request_id_too(make_server):
    server = make_server(SMS_TEST_FIXED_CODE=FIXED_CODE)
    request_id = server.send_code(PHONE).header("x-request-id")
    log = server.log()
    assert re.search(rf"auth\.send phone=\+7747\*\*\*7503 ip=127\.0\.0\.1 .*request_id={request_id}\n", log), log
    assert re.search(r"http\.access method=POST route=/api/v1/sms-auth/send-code status=200 duration_ms=\d+\.\d{3} "
                     rf"ip=127\.0\.0\.1 bytes=\d+ request_id={request_id}\n", log), log


def test_access_log_false_removes_the_access_lines_only(make_server):
    server = make_server(LOG_FORMAT="json", ACCESS_LOG="false", SMS_TEST_FIXED_CODE=FIXED_CODE)
    assert server.send_code(PHONE).status == 200
    assert server.get("/nowhere?x=1").status == 404
    server.stop()
    events = [r["event"] for r in json_records(server)]
    assert "http.access" not in events
    assert "auth.send" in events


def test_the_access_line_names_the_route_pattern_never_the_raw_path_or_query(make_server):
    server = make_server(LOG_FORMAT="json")
    server.get("/assets/app.js?v=secret-looking-query")
    server.get("/no/such/path?token=abc")
    server.stop()
    access = [r for r in json_records(server) if r["event"] == "http.access"]
    assert {r["route"] for r in access} >= {"/assets/*", "unmatched"}
    assert "secret-looking-query" not in server.log() and "token=abc" not in server.log()


def promtool_check(text):
    return subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not shutil.which("promtool") and not shutil.which("/usr/bin/promtool"),
                    reason="promtool (Debian's prometheus package; scripts/install-deps.sh test) is not installed")
def test_promtool_accepts_the_metrics_of_a_server_after_traffic(make_server):
    server = make_server(SMS_TEST_FIXED_CODE=FIXED_CODE, RESEND_COOLDOWN_SECONDS=0)
    assert server.send_code(PHONE).status == 200
    assert server.verify_code(PHONE, "000000").status == 401
    assert server.verify_code(PHONE, FIXED_CODE).status == 200
    server.get("/nowhere")
    server.get("/readyz")
    body = server.get("/metrics").body
    assert "sms_auth_http_requests_total" in body and "sms_auth_codes_sent_total" in body
    checked = promtool_check(body)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def metric_value(body, name):
    match = re.search(rf"^{name} (\S+)$", body, re.M)
    assert match, f"{name} is not in /metrics"
    return float(match.group(1))


def test_group_commit_counts_add_up_and_never_go_back(make_server):
    server = make_server(WORKER_THREADS=4, SMS_PER_IP_PER_HOUR=1000)
    before = server.get("/metrics").body
    with ThreadPoolExecutor(max_workers=32) as pool:  # 64 numbers in 64 ranges: no limit refuses any
        statuses = list(pool.map(lambda i: server.send_code(f"+7747{100 + i:03d}7503").status, range(64)))
    assert statuses.count(200) == 64, statuses
    after = server.get("/metrics").body
    for name in ("sms_auth_storage_commit_groups_total", "sms_auth_storage_grouped_calls_total",
                 "sms_auth_storage_commit_groups_undone_total"):
        assert metric_value(after, name) >= metric_value(before, name)
    groups = metric_value(after, "sms_auth_storage_commit_groups_total")
    calls = metric_value(after, "sms_auth_storage_grouped_calls_total")
    assert calls >= 2 * groups, "a shared transaction holds at least two calls"
    assert metric_value(after, "sms_auth_storage_commit_groups_undone_total") == 0


def test_histogram_bounds_print_as_prometheus_prints_them(server):
    server.get("/healthz")
    body = server.get("/metrics").body
    assert 'le="0.0005"' in body and 'le="2.5"' in body and 'le="+Inf"' in body
    assert "0.00050000000000000001" not in body


def test_build_info_names_the_version_and_commit(server):
    body = server.get("/metrics").body
    match = re.search(r'^sms_auth_build_info\{(.*)\} 1$', body, re.M)
    assert match, body
    labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
    assert re.fullmatch(r"\d+\.\d+\.\d+", labels["version"])
    assert re.fullmatch(r"[0-9a-f]{7,40}|unknown", labels["commit"])


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def test_metrics_listen_serves_metrics_on_its_own_port_and_the_public_one_answers_404(make_server):
    metrics_port = free_port()
    server = make_server(METRICS_LISTEN=f"127.0.0.1:{metrics_port}")
    server.send_code(PHONE)
    assert server.get("/metrics").status == 404
    status, body = get(metrics_port, "/metrics")
    assert status == 200
    assert 'sms_auth_codes_sent_total{outcome="sent"} 1' in body
    assert get(metrics_port, "/healthz")[0] == 404  # the metrics listener serves nothing else
    paths = server.get("/openapi.json").json()["paths"]
    assert "/metrics" not in paths
    if shutil.which("promtool") or shutil.which("/usr/bin/promtool"):
        checked = promtool_check(body)
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("variable,value", [
    ("METRICS_LISTEN", "9464"),
    ("METRICS_LISTEN", "localhost:9464"),
    ("METRICS_LISTEN", "127.0.0.1:70000"),
    ("ACCESS_LOG", "maybe"),
])
def test_bad_metrics_listen_or_access_log_is_a_one_line_configuration_error(tmp_path, variable, value):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", variable: value}, tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert any(line.startswith(f"sms-auth: {variable}: ") for line in r.stderr.splitlines()), r.stderr
