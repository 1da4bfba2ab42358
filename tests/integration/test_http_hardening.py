"""Attacks on the HTTP layer, each as a raw-socket client of the real binary: descriptor exhaustion, connection
hoarding, trickling after a 413, smuggling through Transfer-Encoding, obs-fold or a missing Host, and a client's own
X-Forwarded-For line behind a proxy that adds another."""
import json
import os
import socket
import time

import pytest

CLOSE_BOUND_S = 15  # generous: the server's own bound is about 2 s


def connect(server, timeout=10):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


def admitted_connection(server, attempts=100):
    """A kept-alive connection the server has admitted and counts (it answered a request on it). A connection the
    client just closed (the fixture's readiness probe) may still be counted for a moment, so a refused one is retried."""
    for _ in range(attempts):
        s = connect(server)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        if answer.startswith(b"HTTP/1.1 200"):
            return s
        s.close()
        time.sleep(0.1)
    pytest.fail("the server never admitted a connection")


def read_until_closed(s, limit=1 << 20):
    """Everything the server sends until it closes (or resets) the connection."""
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def exchange(server, raw):
    with connect(server) as s:
        s.sendall(raw)
        return read_until_closed(s)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def accept_log_lines(server):
    return [line for line in server.log().splitlines() if "http.accept" in line or "http.refused" in line]


# ---- descriptors and connection caps ----

@pytest.mark.parametrize("caps", [
    {},  # the defaults: MAX_CONNECTIONS sized from the descriptor limit
    {"MAX_CONNECTIONS": 100000, "MAX_CONNECTIONS_PER_CLIENT": 0},  # no cap: the accept loop meets EMFILE itself
])
def test_80_held_sockets_under_a_64_descriptor_limit_neither_spin_nor_flood_the_log(make_server, caps):
    server = make_server(command_prefix=["prlimit", "--nofile=64:64", "--"], **caps)
    before = cpu_seconds(server.process.pid)
    held = []
    try:
        for _ in range(80):
            held.append(connect(server))
        time.sleep(4)
        used = cpu_seconds(server.process.pid) - before
        lines = accept_log_lines(server)
    finally:
        for s in held:
            s.close()
    # Spinning on EMFILE burnt more than a core and wrote hundreds of thousands of lines in a few seconds.
    assert used < 2.0, f"{used:.2f} s of CPU while holding the sockets"
    assert len(lines) <= 6, lines
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if server.get("/healthz").status == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        pytest.fail("the server did not serve again after the sockets were closed")


def test_a_connection_over_the_per_client_cap_gets_a_503_json_and_is_closed(make_server):
    server = make_server(MAX_CONNECTIONS_PER_CLIENT=3)
    held = [admitted_connection(server) for _ in range(3)]
    try:
        answer = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), answer
        assert b"retry-after: 1" in head.lower()
        assert json.loads(body)["success"] is False
        assert json.loads(body)["error"] == "unavailable"
        deadline = time.time() + 10  # the warning is written right after the refusal: give the log a moment
        while "MAX_CONNECTIONS_PER_CLIENT=3" not in server.log():
            assert time.time() < deadline, server.log()
            time.sleep(0.1)
    finally:
        for s in held:
            s.close()
    # Its own connections closed, the client is served again.
    deadline = time.time() + 30
    while server.get("/healthz").status != 200:
        assert time.time() < deadline
        time.sleep(0.2)


def test_a_connection_over_max_connections_gets_a_503(make_server):
    server = make_server(MAX_CONNECTIONS=2)
    held = [admitted_connection(server) for _ in range(2)]
    try:
        assert exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 503")
    finally:
        for s in held:
            s.close()


# ---- the drain after a refused request ----

@pytest.mark.parametrize("oversized", [
    b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100000\r\n\r\n",
])
def test_trickling_a_byte_every_1_8_s_after_a_413_does_not_keep_the_connection(server, oversized):
    s = connect(server, timeout=CLOSE_BOUND_S)
    s.sendall(oversized)
    answer = read_until_closed(s)  # the server answers, then stops sending (and only drains for a while)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    closed = False
    started = time.monotonic()
    try:
        while time.monotonic() - started < CLOSE_BOUND_S * 2:
            time.sleep(1.8)
            s.sendall(b"x")  # fails once the server has closed and reset the connection
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    finally:
        s.close()
    assert closed, "the server still read the trickle long after its drain deadline"


# ---- request smuggling ----

SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("coding", [b"xchunked", b"gzip", b"chunked, gzip", b"identity"])
def test_a_transfer_encoding_other_than_chunked_is_400_and_nothing_behind_it_is_served(server, coding):
    raw = (b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: " + coding + b"\r\n\r\n" + SMUGGLED)
    answer = exchange(server, raw)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert answer.count(b"HTTP/1.1 ") == 1, answer  # the smuggled request got no answer: the connection was closed


def test_a_transfer_encoding_split_over_two_lines_is_judged_as_a_whole(server):
    raw = (b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n" + SMUGGLED)
    answer = exchange(server, raw)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert answer.count(b"HTTP/1.1 ") == 1


def test_chunked_bodies_still_work(server):
    body = json.dumps({"phone_number": "+77472367503"}).encode()
    raw = (b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
           f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    assert exchange(server, raw).startswith(b"HTTP/1.1 200")


def test_http_1_1_without_host_is_400(server):
    answer = exchange(server, b"GET /healthz HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"Host" in answer
    # HTTP/1.0 never required it.
    assert exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n").split(b" ", 2)[1] == b"200"


@pytest.mark.parametrize("folded", [
    b"Content-Length:\r\n 2\r\n",
    b"Content-Length: 2\r\nX-Note: a\r\n\tb\r\n",
])
def test_obs_fold_anywhere_in_the_header_is_400_and_closes(server, folded):
    raw = (b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + folded +
           b"\r\n{}" + SMUGGLED)
    answer = exchange(server, raw)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"obs-fold" in answer
    assert answer.count(b"HTTP/1.1 ") == 1


# ---- X-Forwarded-For over several lines ----

def send_code_raw(server, phone, forwarded_lines):
    body = json.dumps({"phone_number": phone}).encode()
    head = b"POST /api/v1/sms-auth/send-code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    for line in forwarded_lines:
        head += b"X-Forwarded-For: " + line.encode() + b"\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    answer = exchange(server, head + body)
    return int(answer.split(b" ", 2)[1])


def test_a_clients_own_x_forwarded_for_line_does_not_escape_the_per_address_limit(make_server):
    server = make_server(TRUSTED_PROXIES="127.0.0.1/32", SMS_PER_IP_PER_HOUR=2)
    # Each time the client sends a new address of its own; the proxy adds a line with the real one.
    statuses = [send_code_raw(server, f"+7701234567{i}", [f"203.0.113.{i + 1}", "198.51.100.9"]) for i in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert "ip=198.51.100.9 limit=per_ip_hour" in server.log()
