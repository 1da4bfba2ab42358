"""Delivery tracking: every SMS sent is recorded, its status is polled (getSMSStatus) and updated by Mobizon's signed
webhook; the admin endpoints show the balance and a number's messages."""
import time

import pytest

from mobizon_support import (ADMIN_TOKEN, WEBHOOK_SECRET, fake, gateway_time, make_fake, mobizon_server,  # noqa: F401
                             pki, webhook_event)

PHONE = "+77472367503"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WEBHOOK = "/api/v1/webhooks/mobizon"


def messages(server, phone=PHONE):
    r = server.get(f"/api/v1/admin/sms/messages?phone={phone.replace('+', '%2B')}", headers=ADMIN)
    assert r.status == 200, r
    return r.json()["messages"]


def final_count(server, status):
    for line in server.get("/metrics").body.splitlines():
        if line.startswith(f'sms_auth_sms_delivery_final_total{{status="{status}"}} '):
            return int(line.split()[-1])
    return 0


@pytest.fixture
def tracked(fake, mobizon_server):
    """A server with admin and webhook on, and one SMS sent to PHONE: (server, its sms_id)."""
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN, MOBIZON_WEBHOOK_SECRET=WEBHOOK_SECRET)
    r = server.send_code(PHONE)
    assert r.status == 200, r
    return server, r.json()["sms_id"]


def test_a_sent_sms_is_recorded_with_its_status(tracked):
    server, sms_id = tracked
    listed = messages(server)
    assert len(listed) == 1
    assert listed[0]["sms_id"] == sms_id
    assert listed[0]["status"] == "SENT" and listed[0]["final"] is False
    assert listed[0]["sent_at"].endswith("Z")


def test_a_signed_delivery_report_updates_the_status_and_counts_it(tracked):
    server, sms_id = tracked
    r = server.post(WEBHOOK, webhook_event(sms_id, "DELIVRD"))
    assert r.status == 200, r
    assert r.json() == {"success": True}
    listed = messages(server)[0]
    assert listed["status"] == "DELIVRD" and listed["final"] is True
    assert listed["gateway_updated_at"] == "2026-01-15 11:42:08"
    assert final_count(server, "DELIVRD") == 1
    # Mobizon retries an event it thinks was lost: same event id, next attempt. Applied once, counted once.
    again = server.post(WEBHOOK, webhook_event(sms_id, "DELIVRD", attempt=2))
    assert again.status == 200 and again.json()["ignored"] == "event already applied"
    assert final_count(server, "DELIVRD") == 1


@pytest.mark.parametrize("how", ["wrong secret", "tampered sign", "no sign", "sign of another event"])
def test_a_report_without_a_valid_signature_is_401_and_changes_nothing(tracked, how):
    server, sms_id = tracked
    event = {
        "wrong secret": lambda: webhook_event(sms_id, "UNDELIV", secret="not-the-secret"),
        "tampered sign": lambda: webhook_event(sms_id, "UNDELIV", sign="0" * 40),
        "no sign": lambda: {k: v for k, v in webhook_event(sms_id, "UNDELIV").items() if k != "sign"},
        "sign of another event": lambda: {**webhook_event(sms_id, "UNDELIV", event_id="27"),
                                          "sign": webhook_event(sms_id, "UNDELIV", event_id="28")["sign"]},
    }[how]()
    r = server.post(WEBHOOK, event)
    assert r.status == 401, r
    assert r.json()["error"] == "invalid_signature"
    assert messages(server)[0]["status"] == "SENT"
    assert final_count(server, "UNDELIV") == 0


def test_a_replayed_signature_cannot_rewrite_a_message(tracked):
    # `sign` does not cover `data`: a captured event replayed with other data must not change anything.
    server, sms_id = tracked
    assert server.post(WEBHOOK, webhook_event(sms_id, "DELIVRD", event_id="40")).status == 200
    forged = webhook_event(sms_id, "DELIVRD", event_id="40")
    forged["data"]["status"] = "UNDELIV"
    assert server.post(WEBHOOK, forged).json()["ignored"] == "event already applied"
    # A final status is never replaced, even by a new, validly signed event.
    assert server.post(WEBHOOK, webhook_event(sms_id, "EXPIRED", event_id="41")).status == 200
    assert messages(server)[0]["status"] == "DELIVRD"


def test_a_captured_event_replayed_after_the_replay_window_with_other_data_changes_nothing(tracked):
    server, sms_id = tracked
    captured = webhook_event(sms_id, "DELIVRD", event_id="80", created=gateway_time(-11 * 60))
    r = server.post(WEBHOOK, captured)
    assert r.status == 200 and r.json()["ignored"] == "event too old or from the future"
    assert messages(server)[0]["status"] == "SENT"
    assert "set MOBIZON_WEBHOOK_UTC_OFFSET_MINUTES" in server.log()


def test_an_event_created_in_the_future_is_ignored(tracked):
    server, sms_id = tracked
    r = server.post(WEBHOOK, webhook_event(sms_id, "UNDELIV", event_id="81", created=gateway_time(10 * 60)))
    assert r.status == 200 and r.json()["ignored"] == "event too old or from the future"
    assert messages(server)[0]["status"] == "SENT"


def test_an_event_for_an_unknown_message_cannot_be_replayed_onto_a_real_one(tracked):
    # The envelope of a report about some other message is signed; only `data` would change.
    server, sms_id = tracked
    captured = webhook_event("999999", "UNDELIV", event_id="82")
    assert server.post(WEBHOOK, captured).json()["ignored"] == "unknown message"
    replayed = {**captured, "data": {**captured["data"], "messageId": int(sms_id)}}
    r = server.post(WEBHOOK, replayed)
    assert r.status == 200 and r.json()["ignored"] == "event already applied"
    assert messages(server)[0]["status"] == "SENT"


def test_the_gateway_clocks_offset_is_configurable(fake, mobizon_server):
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN, MOBIZON_WEBHOOK_SECRET=WEBHOOK_SECRET,
                            MOBIZON_WEBHOOK_UTC_OFFSET_MINUTES=300)
    sms_id = server.send_code(PHONE).json()["sms_id"]
    r = server.post(WEBHOOK, webhook_event(sms_id, "DELIVRD", event_id="83",
                                           created=gateway_time(utc_offset_minutes=300)))
    assert r.status == 200 and r.json() == {"success": True}, r
    assert messages(server)[0]["status"] == "DELIVRD"


def test_a_report_for_a_message_we_did_not_send_is_acknowledged_and_ignored(tracked):
    server, _ = tracked
    r = server.post(WEBHOOK, webhook_event("999999", "DELIVRD", event_id="50"))
    assert r.status == 200
    assert r.json()["ignored"] == "unknown message"
    assert final_count(server, "DELIVRD") == 0


def test_the_webhook_reads_json_whatever_the_content_type(tracked):
    import json
    server, sms_id = tracked
    r = server.post(WEBHOOK, json.dumps(webhook_event(sms_id, "REJECTD", event_id="60")),
                    headers={"Content-Type": "text/plain"})
    assert r.status == 200, r
    assert messages(server)[0]["status"] == "REJECTD"


def test_the_webhook_is_off_without_a_secret(fake, mobizon_server):
    server = mobizon_server(fake)
    r = server.post(WEBHOOK, webhook_event("6300284", "DELIVRD"))
    assert r.status == 404


def test_statuses_are_polled_in_the_background_until_final(fake, mobizon_server):
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN, SMS_STATUS_POLL_SECONDS=1)
    sms_id = server.send_code(PHONE).json()["sms_id"]
    polls = fake.wait_for_calls("message/getsmsstatus", 1)
    assert polls[0].form == {"ids[0]": sms_id}  # ids in the body, at most 100 per call
    fake.statuses[sms_id] = "ACCEPTD"
    deadline = time.time() + 20
    while messages(server)[0]["status"] != "ACCEPTD" and time.time() < deadline:
        time.sleep(0.2)
    assert messages(server)[0]["final"] is False
    fake.statuses[sms_id] = "UNDELIV"
    while messages(server)[0]["status"] != "UNDELIV" and time.time() < deadline:
        time.sleep(0.2)
    assert messages(server)[0]["final"] is True
    assert final_count(server, "UNDELIV") == 1
    # A final message is not asked about again.
    asked = len(fake.calls("message/getsmsstatus"))
    time.sleep(2.5)
    later = fake.calls("message/getsmsstatus")[asked:]
    assert all(sms_id not in call.form.values() for call in later)


def test_an_unknown_status_word_is_kept_and_not_final(fake, mobizon_server):
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN, SMS_STATUS_POLL_SECONDS=1)
    sms_id = server.send_code(PHONE).json()["sms_id"]
    fake.statuses[sms_id] = "EXPIRD"  # a third-party SDK's spelling, not Mobizon's
    deadline = time.time() + 20
    while messages(server)[0]["status"] != "EXPIRD" and time.time() < deadline:
        time.sleep(0.2)
    assert messages(server)[0]["final"] is False


def test_admin_balance_needs_the_bearer_token(fake, mobizon_server):
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN)
    r = server.get("/api/v1/admin/sms/balance", headers=ADMIN)
    assert r.status == 200, r
    assert r.json() == {"balance": "4043.0656", "currency": "KZT"}
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN_TOKEN}"},
                    {"Authorization": f"Bearer {ADMIN_TOKEN}x"}]:
        refused = server.get("/api/v1/admin/sms/balance", headers=headers)
        assert refused.status == 401, (headers, refused)
        assert refused.json()["error"] == "invalid_token"
        assert refused.header("WWW-Authenticate").startswith("Bearer")


def test_admin_endpoints_are_off_without_an_admin_token(fake, mobizon_server):
    server = mobizon_server(fake)
    assert server.get("/api/v1/admin/sms/balance", headers=ADMIN).status == 404
    assert server.get(f"/api/v1/admin/sms/messages?phone=77472367503", headers=ADMIN).status == 404


def test_admin_balance_when_mobizon_refuses_is_503(fake, mobizon_server):
    from mobizon_support import Answer
    server = mobizon_server(fake, ADMIN_TOKEN=ADMIN_TOKEN)
    fake.always = Answer(9, None, "")
    r = server.get("/api/v1/admin/sms/balance", headers=ADMIN)
    assert r.status == 503 and r.json()["error"] == "sms_unavailable"


def test_admin_messages_checks_the_phone(tracked):
    server, _ = tracked
    assert server.get("/api/v1/admin/sms/messages", headers=ADMIN).status == 400
    assert server.get("/api/v1/admin/sms/messages?phone=12", headers=ADMIN).status == 422
    # Any spelling of the number finds it.
    r = server.get("/api/v1/admin/sms/messages?phone=8+(747)+236-75-03", headers=ADMIN)
    assert r.status == 200 and len(r.json()["messages"]) == 1
    assert r.json()["phone_number"] == PHONE


def test_admin_balance_in_test_mode_is_503(make_server):
    server = make_server(ADMIN_TOKEN=ADMIN_TOKEN)
    r = server.get("/api/v1/admin/sms/balance", headers=ADMIN)
    assert r.status == 503 and "test mode" in r.json()["detail"]
