"""Ed25519 access tokens and the JWKS document, checked independently: the signature with the openssl command line
against a public key rebuilt from the JWK, the kid as an RFC 7638 thumbprint computed here."""
import hashlib
import json
import os
import stat
import subprocess

from conftest import BINARY
from sessions_api import b64url, b64url_decode, cli, hs_sign, jwt_part, me, refresh

PHONE = "+77472367503"
# DER SubjectPublicKeyInfo of an Ed25519 key, up to the 32 raw key bytes (RFC 8410).
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def generate_key(path):
    """`sms-auth keys generate --out PATH`: needs no configuration."""
    r = subprocess.run([BINARY, "keys", "generate", "--out", str(path)], cwd=path.parent,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def jwk_public_pem(jwk, path):
    der = ED25519_SPKI_PREFIX + b64url_decode(jwk["x"])
    subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-out", str(path)], input=der, check=True,
                   capture_output=True)
    return path


def openssl_verifies(token, public_pem, workdir):
    signing_input, signature = token.rsplit(".", 1)
    (workdir / "signing_input").write_bytes(signing_input.encode())
    (workdir / "sig").write_bytes(b64url_decode(signature))
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public_pem), "-rawin", "-in",
                        str(workdir / "signing_input"), "-sigfile", str(workdir / "sig")], capture_output=True,
                       text=True)
    return r.returncode == 0 and "Signature Verified Successfully" in r.stdout


def thumbprint(jwk):
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"),
                           sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def eddsa_server(make_server, tmp_path, name="eddsa", **env):
    key_path = tmp_path / f"{name}.pem"
    generate_key(key_path)
    return make_server(name=name, JWT_SECRET=None, JWT_PRIVATE_KEY_FILE=str(key_path), **env), key_path


def test_keys_generate_writes_a_0600_pem_and_never_overwrites(tmp_path):
    key_path = tmp_path / "signing.pem"
    r = generate_key(key_path)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert key_path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert r.stdout.startswith("-----BEGIN PUBLIC KEY-----")  # the public half, for a later rotation
    # openssl reads it as an Ed25519 key and derives the same public key.
    derived = subprocess.run(["openssl", "pkey", "-in", str(key_path), "-pubout"], capture_output=True, text=True,
                             check=True).stdout
    assert derived == r.stdout
    before = key_path.read_bytes()
    again = subprocess.run([BINARY, "keys", "generate", "--out", str(key_path)], capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr
    assert key_path.read_bytes() == before


def test_eddsa_tokens_verify_with_openssl_against_the_jwks_document(make_server, tmp_path):
    server, _ = eddsa_server(make_server, tmp_path)
    login = server.login(PHONE)
    r = server.get("/.well-known/jwks.json")
    assert r.status == 200, r
    assert r.header("content-type") == "application/json"
    [jwk] = r.json()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert jwk["kid"] == thumbprint(jwk)

    header = jwt_part(login["access_token"], 0)
    assert header == {"alg": "EdDSA", "typ": "at+jwt", "kid": jwk["kid"]}
    public_pem = jwk_public_pem(jwk, tmp_path / "jwk.pub.pem")
    assert openssl_verifies(login["access_token"], public_pem, tmp_path)
    rotated = refresh(server, login["refresh_token"]).json()["access_token"]
    assert openssl_verifies(rotated, public_pem, tmp_path)
    # The check can fail: one changed claim and openssl refuses.
    head, payload, signature = login["access_token"].split(".")
    claims = jwt_part(login["access_token"], 1)
    claims["sub"] = "someone-else"
    tampered = ".".join([head, b64url(json.dumps(claims).encode()), signature])
    assert not openssl_verifies(tampered, public_pem, tmp_path)
    assert me(server, login["access_token"]).status == 200


def test_hs256_forged_with_the_published_public_key_is_refused(make_server, tmp_path):
    server, key_path = eddsa_server(make_server, tmp_path)
    login = server.login(PHONE)
    public_pem = subprocess.run(["openssl", "pkey", "-in", str(key_path), "-pubout"], capture_output=True, text=True,
                                check=True).stdout
    header = {**jwt_part(login["access_token"], 0), "alg": "HS256"}
    forged = hs_sign(header, jwt_part(login["access_token"], 1), public_pem)
    r = me(server, forged)
    assert r.status == 401 and r.header("www-authenticate") == 'Bearer error="invalid_token"', r


def test_previous_key_keeps_its_tokens_valid_and_stays_published_during_rotation(make_server, tmp_path):
    server, old_key = eddsa_server(make_server, tmp_path, name="old")
    login = server.login(PHONE)
    old_kid = jwt_part(login["access_token"], 0)["kid"]
    server.stop()

    new_key = tmp_path / "new.pem"
    old_public = tmp_path / "old.pub.pem"
    old_public.write_text(cli(server, "keys", "public", str(old_key)).stdout)
    generate_key(new_key)
    server.env.update({"JWT_PRIVATE_KEY_FILE": str(new_key), "JWT_PREVIOUS_PUBLIC_KEY_FILES": str(old_public)})
    server.start()

    keys = server.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 2 and keys[1]["kid"] == old_kid  # the signing key first, the previous one after it
    assert me(server, login["access_token"]).status == 200  # a token of the previous key still works
    fresh = refresh(server, login["refresh_token"]).json()["access_token"]
    assert jwt_part(fresh, 0)["kid"] == keys[0]["kid"] != old_kid
    assert openssl_verifies(fresh, jwk_public_pem(keys[0], tmp_path / "new-jwk.pub.pem"), tmp_path)
    server.stop()

    del server.env["JWT_PREVIOUS_PUBLIC_KEY_FILES"]  # rotation over: the old key is gone
    server.start()
    assert len(server.get("/.well-known/jwks.json").json()["keys"]) == 1
    r = me(server, login["access_token"])
    assert r.status == 401 and r.header("www-authenticate") == 'Bearer error="invalid_token"'
    assert me(server, fresh).status == 200


def test_codes_survive_a_restart_with_only_a_private_key_configured(make_server, tmp_path):
    # The code HMAC key is derived from the signing key, not made up at start-up.
    server, _ = eddsa_server(make_server, tmp_path)
    assert server.send_code(PHONE).status == 200
    code = server.last_code()
    server.restart()
    assert server.verify_code(PHONE, code).status == 200


def test_hs256_publishes_an_empty_key_set(server):
    r = server.get("/.well-known/jwks.json")
    assert r.status == 200
    assert r.json() == {"keys": []}


def test_bad_key_configuration_is_refused_naming_the_variable(server, tmp_path):
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello\n")
    base = {"JWT_SECRET": ""}
    r = cli(server, "check-config", env={**base, "JWT_PRIVATE_KEY_FILE": str(not_a_key)})
    assert r.returncode == 2 and "JWT_PRIVATE_KEY_FILE" in r.stderr, r
    r = cli(server, "check-config", env={**base, "JWT_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})
    assert r.returncode == 2 and "JWT_PRIVATE_KEY_FILE" in r.stderr, r
    r = cli(server, "check-config", env={"JWT_PREVIOUS_PUBLIC_KEY_FILES": str(not_a_key)})
    assert r.returncode == 2 and "JWT_PREVIOUS_PUBLIC_KEY_FILES" in r.stderr, r
    key = tmp_path / "good.pem"
    generate_key(key)
    r = cli(server, "check-config", env={**base, "JWT_PRIVATE_KEY_FILE": str(key),
                                         "JWT_PREVIOUS_PUBLIC_KEY_FILES": str(not_a_key)})
    assert r.returncode == 2 and "JWT_PREVIOUS_PUBLIC_KEY_FILES" in r.stderr, r
    r = cli(server, "check-config", env={**base, "JWT_PRIVATE_KEY_FILE": str(key)})
    assert r.returncode == 0, r
    r = subprocess.run([BINARY, "serve"], cwd=server.workdir,
                       env={**server.env, **base, "JWT_PRIVATE_KEY_FILE": str(not_a_key), "PORT": "0"},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "JWT_PRIVATE_KEY_FILE" in r.stderr, r
