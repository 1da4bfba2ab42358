"""The fake Mobizon itself behaves as the documentation says, so that tests against it mean something."""
import json
import ssl
import urllib.parse
import urllib.request

from mobizon_support import CANARY_KEY, fake, make_fake, pki  # noqa: F401


def call(fake, pki, path, query=None, form=None):
    context = ssl.create_default_context(cafile=pki.ca_cert)
    url = f"https://localhost:{fake.port}{path}"
    if query is not None:
        url += "?" + urllib.parse.urlencode(query)
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_routes_case_insensitively_and_takes_get_with_query_parameters(fake, pki):
    answer = call(fake, pki, "/service/User/GetOwnBalance", {"output": "json", "api": "v1", "apiKey": CANARY_KEY})
    assert answer == {"code": 0, "data": {"balance": "4043.0656", "currency": "KZT"}, "message": ""}


def test_takes_post_with_a_form_body_and_answers_string_ids(fake, pki):
    answer = call(fake, pki, "/service/Message/SendSmsMessage", {"apiKey": CANARY_KEY},
                  {"recipient": "77472367503", "text": "hello world"})
    assert answer["code"] == 0
    assert isinstance(answer["data"]["messageId"], str) and isinstance(answer["data"]["campaignId"], str)
    assert answer["data"]["status"] == 2
    status = call(fake, pki, "/service/message/getSMSStatus", {"apiKey": CANARY_KEY},
                  {"ids[0]": answer["data"]["messageId"], "ids[1]": "404"})
    assert [item["id"] for item in status["data"]] == [answer["data"]["messageId"]]  # unknown ids left out
    assert status["data"][0]["status"] == "NEW"


def test_refuses_a_missing_or_unknown_key_with_code_8(fake, pki):
    assert call(fake, pki, "/service/user/getownbalance", {}) == {"code": 8, "data": [], "message": "failed.api.auth"}
    assert call(fake, pki, "/service/user/getownbalance", {"apiKey": "x" * 40})["code"] == 8


def test_unknown_module_method_output_and_bad_fields_get_their_codes(fake, pki):
    key = {"apiKey": CANARY_KEY}
    assert call(fake, pki, "/service/mess/sendsmsmessage", key)["code"] == 4
    assert call(fake, pki, "/service/message/send", key)["code"] == 5
    assert call(fake, pki, "/service/user/getownbalance", {**key, "output": "yaml"})["code"] == 6
    assert call(fake, pki, "/service/message/sendsmsmessage", key, {"recipient": "+7 747", "text": "x"})["code"] == 1
    assert call(fake, pki, "/service/message/getsmsstatus", key, {})["code"] == 2
    ids = {f"ids[{i}]": str(i) for i in range(101)}
    assert call(fake, pki, "/service/message/getsmsstatus", key, ids)["code"] == 12
