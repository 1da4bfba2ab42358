"""Access-token verification on protected endpoints (RFC 8725; docs/api.md, Sessions): every forgery gets 401
invalid_token with WWW-Authenticate: Bearer error="invalid_token"; the genuine token gets 200."""
import hashlib
import json
import time

import pytest

from conftest import TEST_JWT_SECRET
from sessions_api import assert_invalid_token, b64url, b64url_decode, hs_sign, jwt_part, logout, me

PHONE = "+77472367503"


def flip_payload_bit(token):
    header, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(payload))
    raw[len(raw) // 2] ^= 0x01
    return ".".join([header, b64url(bytes(raw)), signature])


def resigned(token, header_changes=None, claim_changes=None, digest=hashlib.sha256):
    """The token with changed header or claims, signed again with the real secret: only the change is wrong."""
    header = {**jwt_part(token, 0), **(header_changes or {})}
    payload = {**jwt_part(token, 1), **(claim_changes or {})}
    return hs_sign(header, payload, TEST_JWT_SECRET, digest)


def alg_none(token):
    header = {**jwt_part(token, 0), "alg": "none"}
    return b64url(json.dumps(header).encode()) + "." + token.split(".")[1] + "."


FORGERIES = {
    "alg_none": lambda login: alg_none(login["access_token"]),
    "alg_none_with_the_original_signature": lambda login: ".".join(
        [b64url(b'{"alg":"none","typ":"at+jwt"}')] + login["access_token"].split(".")[1:]),
    "alg_switched_to_hs512": lambda login: resigned(login["access_token"], {"alg": "HS512"}, digest=hashlib.sha512),
    "alg_switched_to_eddsa": lambda login: resigned(login["access_token"], {"alg": "EdDSA"}),
    "payload_bit_flipped": lambda login: flip_payload_bit(login["access_token"]),
    "signature_stripped": lambda login: login["access_token"].rsplit(".", 1)[0] + ".",
    "expired": lambda login: resigned(login["access_token"], claim_changes={"exp": int(time.time()) - 120,
                                                                           "iat": int(time.time()) - 1920,
                                                                           "nbf": int(time.time()) - 1920}),
    "not_yet_valid": lambda login: resigned(login["access_token"], claim_changes={"nbf": int(time.time()) + 600}),
    "wrong_audience": lambda login: resigned(login["access_token"], claim_changes={"aud": "another-app"}),
    "wrong_issuer": lambda login: resigned(login["access_token"], claim_changes={"iss": "evil"}),
    "wrong_typ": lambda login: resigned(login["access_token"], {"typ": "JWT"}),
    "signed_with_another_secret": lambda login: hs_sign(jwt_part(login["access_token"], 0),
                                                        jwt_part(login["access_token"], 1), "x" * 48),
    "refresh_token_as_bearer": lambda login: login["refresh_token"],
    "garbage": lambda login: "not-a-token",
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_access_token_is_refused_with_the_bearer_challenge(server, forgery):
    login = server.login(PHONE)
    assert me(server, login["access_token"]).status == 200  # the genuine token passes: the refusals mean something
    forged = FORGERIES[forgery](login)
    assert_invalid_token(me(server, forged))
    assert_invalid_token(logout(server, forged))
    assert me(server, login["access_token"]).status == 200  # and no forgery ended the session


@pytest.mark.parametrize("authorization", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc"])
def test_missing_or_malformed_authorization_is_refused_with_the_bearer_challenge(server, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_invalid_token(server.get("/api/v1/auth/me", headers=headers))


def test_bearer_scheme_is_case_insensitive(server):
    login = server.login(PHONE)
    r = server.get("/api/v1/auth/me", headers={"Authorization": "bearer " + login["access_token"]})
    assert r.status == 200, r

