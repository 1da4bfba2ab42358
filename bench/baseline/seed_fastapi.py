"""Baseline for load tests: the original FastAPI SMS login backend (test mode), re-created from the original backend's docs.

Same endpoints and JSON as the original; codes kept in SQLite (WAL), JWT with PyJWT, its test-mode log lines.
It exists only to be measured side by side with sms-auth on the same machine (bench/load/run.sh); it is not a product.
"""
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid

import jwt
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

DB_PATH = os.environ.get("BASELINE_DB", "/tmp/seed-baseline.db")
SECRET = os.environ.get("JWT_SECRET", "baseline-secret-baseline-secret-0123")
FIXED_CODE = os.environ.get("SMS_TEST_FIXED_CODE")
log = logging.getLogger("seed")
logging.basicConfig(level=logging.INFO)
local = threading.local()


def db():
    if not hasattr(local, "conn"):
        conn = sqlite3.connect(DB_PATH, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("CREATE TABLE IF NOT EXISTS codes (phone TEXT PRIMARY KEY, code TEXT, expires REAL)")
        conn.execute("CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, phone TEXT UNIQUE)")
        local.conn = conn
    return local.conn


app = FastAPI()


class PhoneRequest(BaseModel):
    phone_number: str


class VerifyRequest(BaseModel):
    phone_number: str
    code: str


def normalize(phone):
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    return digits


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/api/v1/sms-auth/send-code")
def send_code(request: PhoneRequest):
    phone = normalize(request.phone_number)
    code = FIXED_CODE or f"{secrets.randbelow(10**6):06d}"
    db().execute("INSERT OR REPLACE INTO codes VALUES (?, ?, ?)", (phone, code, time.time() + 300))
    log.info("[MOBIZON] TEST MODE - SMS not sent")
    log.info("[MOBIZON] Message: Ваш код подтверждения Memoir: %s\n\nКод действителен 5 минут.", code)
    return {"success": True, "message": "Verification code sent", "sms_id": "test-mode-id", "expires_in": 300}


@app.post("/api/v1/sms-auth/verify-code")
def verify_code(request: VerifyRequest):
    phone = normalize(request.phone_number)
    conn = db()
    row = conn.execute("SELECT code, expires FROM codes WHERE phone = ?", (phone,)).fetchone()
    if not row or row[1] < time.time() or not secrets.compare_digest(row[0], request.code):
        return JSONResponse({"detail": "Invalid code"}, status_code=401)
    conn.execute("DELETE FROM codes WHERE phone = ?", (phone,))
    user = conn.execute("SELECT id FROM users WHERE phone = ?", (phone,)).fetchone()
    user_id = user[0] if user else str(uuid.uuid4())
    if not user:
        conn.execute("INSERT INTO users VALUES (?, ?)", (user_id, phone))
    now = int(time.time())
    access = jwt.encode({"sub": user_id, "phone_number": "+" + phone, "iat": now, "exp": now + 1800}, SECRET,
                        algorithm="HS256")
    return {"success": True, "message": "Phone number verified", "access_token": access,
            "refresh_token": secrets.token_urlsafe(32), "token_type": "bearer"}
