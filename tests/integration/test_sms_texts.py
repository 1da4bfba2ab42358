"""The SMS text per locale (test mode, where the server logs each SMS): the body's `locale`, Accept-Language, the
default locale, operator templates, the WebOTP line and the Android hash, and the size report of check-config."""
import re

from mobizon_support import run_cli

PHONE = "+77472367503"
RU = re.compile(r"^Ваш код подтверждения Memoir: (\d{6})\n\nКод действителен 5 минут\.$")
KK = re.compile(r"^Memoir растау кодыңыз: (\d{6})\n\nКод 5 минут ішінде жарамды\.$")
EN = re.compile(r"^Your Memoir verification code: (\d{6})\n\nThe code is valid for 5 minutes\.$")
SEND = "/api/v1/sms-auth/send-code"
RESEND = "/api/v1/sms-auth/resend-code"


def last_text(server):
    messages = server.sent_messages()
    assert messages, "no SMS was logged"
    return messages[-1][1].rstrip("\n")


def test_without_any_choice_the_sms_is_the_seeds_russian_text(server):
    assert server.send_code(PHONE).status == 200
    assert RU.match(last_text(server)), last_text(server)


def test_the_locale_field_chooses_the_language_and_resend_follows_its_own_field(make_server):
    server = make_server(RESEND_COOLDOWN_SECONDS="0")
    r = server.post(SEND, {"phone_number": PHONE, "locale": "kk-KZ"})
    assert r.status == 200, r
    text = last_text(server)
    assert KK.match(text), text
    r = server.post(RESEND, {"phone_number": PHONE, "locale": "en"})
    assert r.status == 200, r
    assert EN.match(last_text(server)), last_text(server)
    # The same code in both languages: resend sends the live code again.
    assert KK.match(text).group(1) == EN.match(last_text(server)).group(1)
    assert server.verify_code(PHONE, KK.match(text).group(1)).status == 200


def test_accept_language_is_used_by_quality_when_the_body_has_no_locale(server):
    r = server.send_code(PHONE, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5,kk;q=0.8"})
    assert r.status == 200, r
    assert KK.match(last_text(server)), last_text(server)
    # The body's field wins over the header.
    r = server.post(SEND, {"phone_number": "+77012345678", "locale": "en"}, headers={"Accept-Language": "kk"})
    assert r.status == 200, r
    assert EN.match(last_text(server)), last_text(server)


def test_an_unknown_locale_falls_back_to_the_configured_default(make_server):
    server = make_server(SMS_DEFAULT_LOCALE="en")
    assert server.post(SEND, {"phone_number": PHONE, "locale": "de"}).status == 200
    assert EN.match(last_text(server)), last_text(server)
    assert server.send_code("+77012345678", headers={"Accept-Language": "fr, *;q=0.1"}).status == 200
    assert EN.match(last_text(server)), last_text(server)


def test_a_locale_that_is_not_a_short_language_tag_is_a_400(server):
    for bad in (5, True, ["kk"], {"x": 1}, "kk_KZ", "kazakh-language-please", "k"):
        r = server.post(SEND, {"phone_number": PHONE, "locale": bad})
        assert r.status == 400, (bad, r)
        assert r.json()["success"] is False
        assert r.json()["error"] == "invalid_request"
        assert "locale" in r.json()["detail"]
    assert server.sent_messages() == []
    # null is the same as absent.
    assert server.post(SEND, {"phone_number": PHONE, "locale": None}).status == 200


def test_operator_templates_replace_each_locales_text(make_server):
    server = make_server(SMS_TEMPLATE_KK="Код: {code} ({minutes})", SMS_TEMPLATE_EN="Code {code}, {minutes}")
    assert server.post(SEND, {"phone_number": PHONE, "locale": "kk"}).status == 200
    assert re.fullmatch(r"Код: \d{6} \(5 минут\)", last_text(server)), last_text(server)
    assert server.post(SEND, {"phone_number": "+77012345678", "locale": "en"}).status == 200
    assert re.fullmatch(r"Code \d{6}, 5 minutes", last_text(server)), last_text(server)


def test_webotp_line_ends_the_text_and_the_android_hash_precedes_it(make_server):
    server = make_server(SMS_WEBOTP_DOMAIN="memoir.kz", SMS_ANDROID_APP_HASH="FA+9qCX9VSu")
    assert server.post(SEND, {"phone_number": PHONE, "locale": "en"}).status == 200
    lines = last_text(server).split("\n")
    code = EN.match("\n".join(lines[:-2])).group(1)
    assert lines[-2] == "FA+9qCX9VSu"
    assert lines[-1] == f"@memoir.kz #{code}"
    assert server.verify_code(PHONE, code).status == 200


def test_check_config_reports_each_locales_size_and_warns_past_one_segment(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", "SMS_WEBOTP_DOMAIN": "memoir.kz"}, tmp_path)
    assert r.returncode == 0, r.stderr
    lines = {line.split(":")[0]: line for line in r.stdout.splitlines() if line.startswith("sms text ")}
    assert set(lines) == {"sms text ru", "sms text kk", "sms text en"}, r.stdout
    assert "GSM-7" in lines["sms text en"] and "1 segment" in lines["sms text en"]
    assert "warning" not in lines["sms text en"]
    # The original backend's Russian text is 63 UCS-2 units; the WebOTP line makes it 82, two segments.
    assert "82 characters, UCS-2" in lines["sms text ru"] and "2 segments" in lines["sms text ru"]
    assert "warning: more than one segment" in lines["sms text ru"]


def test_bad_text_settings_are_named_by_check_config(tmp_path):
    r = run_cli(["check-config"], {"SMS_TEST_MODE": "true", "SMS_DEFAULT_LOCALE": "de",
                                   "SMS_ANDROID_APP_HASH": "not-a-hash", "SMS_WEBOTP_DOMAIN": "https://memoir.kz"},
                tmp_path)
    assert r.returncode == 2
    for variable in ("SMS_DEFAULT_LOCALE", "SMS_ANDROID_APP_HASH", "SMS_WEBOTP_DOMAIN"):
        assert variable in r.stderr, r.stderr


def test_the_server_logs_the_text_sizes_at_start_up(server):
    log = server.log()
    assert re.search(r"config: sms text kk: \d+ characters, UCS-2 \(\d+ units\), 1 segment", log), log[-2000:]
