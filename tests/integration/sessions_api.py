"""Helpers for the session tests: the refresh/logout/me calls, JWT pieces, forging tokens, running the CLI."""
import base64
import hashlib
import hmac
import json
import subprocess

from conftest import BINARY

BEARER_CHALLENGE = 'Bearer error="invalid_token"'


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_part(token, index):
    return json.loads(b64url_decode(token.split(".")[index]))


def hs_sign(header: dict, payload: dict, secret: str, digest=hashlib.sha256) -> str:
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    return signing_input + "." + b64url(hmac.new(secret.encode(), signing_input.encode(), digest).digest())


def refresh(server, refresh_token):
    return server.post("/api/v1/auth/refresh", {"refresh_token": refresh_token})


def me(server, access_token):
    return server.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access_token}"})


def logout(server, access_token, body=None):
    return server.post("/api/v1/auth/logout", body, headers={"Authorization": f"Bearer {access_token}"})


def assert_error(response, status, error):
    assert response.status == status, response
    body = response.json()
    assert body["success"] is False and body["error"] == error and isinstance(body["detail"], str), body
    assert response.header("content-type") == "application/json"


def assert_invalid_token(response):
    assert_error(response, 401, "invalid_token")
    assert response.header("www-authenticate") == BEARER_CHALLENGE


def cli(server, *args, env=None):
    """Runs `sms-auth ARGS` against the server's configuration (same DATABASE_URL), from its working directory."""
    full_env = dict(server.env)
    full_env.update(env or {})
    return subprocess.run([BINARY, *args], cwd=server.workdir, env=full_env, capture_output=True, text=True,
                          timeout=60)
