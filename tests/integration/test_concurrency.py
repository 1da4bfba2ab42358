"""Atomic attempt counting and consumption (docs/api.md: a code is checked and consumed atomically)."""
from concurrent.futures import ThreadPoolExecutor

PHONE = "+77472367503"


def test_eight_parallel_verifies_of_the_right_code_give_exactly_one_200(make_server):
    server = make_server(WORKER_THREADS=4)
    server.send_code(PHONE)
    code = server.last_code()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: server.verify_code(PHONE, code).status, range(8)))
    assert statuses.count(200) == 1, statuses
    assert all(s == 401 for s in statuses if s != 200), statuses


def test_fifty_parallel_wrong_codes_let_at_most_five_reach_a_check(make_server):
    server = make_server(WORKER_THREADS=4)
    server.send_code(PHONE)
    code = server.last_code()
    wrong = "000000" if code != "000000" else "111111"
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda _: server.verify_code(PHONE, wrong), range(50)))
    statuses = [r.status for r in responses]
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(401) + statuses.count(429) == 50, statuses
    assert server.verify_code(PHONE, code).status == 429  # the code is dead


def test_parallel_sends_to_one_number_send_exactly_one_sms(make_server):
    server = make_server(WORKER_THREADS=4)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: server.send_code(PHONE).status, range(20)))
    assert statuses.count(200) == 1, statuses
    assert statuses.count(429) == 19, statuses
    assert len(server.sent_messages()) == 1
