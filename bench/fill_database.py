"""Fills an sms-auth SQLite database the way a busy month leaves it, for load tests that ask how cost grows with data.

Writes users, a million sessions (one live refresh token each) and a day of limit events (the rows every send and
verify leaves in rate_events, with their per-minute totals), straight through python's sqlite3. The schema comes from
the binary itself (`sms-auth migrate`), so the rows always match the current migrations.

Usage: python3 bench/fill_database.py DB [--sessions 1000000] [--logins-per-day 100000]
                                         [--sms-auth build/release/sms-auth]
Then: LOAD_SQLITE_TEMPLATE=DB make load
"""
import argparse
import os
import random
import subprocess
import sys
import time
import uuid

import sqlite3

OPERATOR_CODES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]
DAY_MS = 24 * 3600 * 1000


def random_number(rng):
    return f"+7{rng.choice(OPERATOR_CODES)}{rng.randrange(10_000_000):07d}"


def random_address(rng):
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def batched(rows, size=50_000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--sessions-per-user", type=int, default=2)
    parser.add_argument("--logins-per-day", type=int, default=100_000)
    parser.add_argument("--sms-auth", default="build/release/sms-auth")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if os.path.exists(args.db):
        sys.exit(f"fill_database: {args.db} exists; give a new path")

    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"sqlite:{args.db}", "SMS_TEST_MODE": "true"}
    subprocess.run([args.sms_auth, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)

    rng = random.Random(args.seed)
    now_ms = int(time.time() * 1000)
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")

    user_count = max(1, args.sessions // args.sessions_per_user)
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(user_count)]
    numbers = set()
    while len(numbers) < user_count:
        numbers.add(random_number(rng))
    month_ago = now_ms - 30 * DAY_MS
    for batch in batched(zip(user_ids, numbers)):
        db.executemany("INSERT INTO users (id, phone_number, created_at, last_login_at) VALUES (?, ?, ?, ?)",
                       ((uid, number, month_ago, now_ms - rng.randrange(30 * DAY_MS)) for uid, number in batch))

    def sessions():
        for i in range(args.sessions):
            created = now_ms - rng.randrange(30 * DAY_MS)
            revoked = created + 3600_000 if i % 10 == 0 else None  # one in ten logged out
            yield (str(uuid.UUID(int=rng.getrandbits(128), version=4)), user_ids[i % user_count], created,
                   created + 60 * DAY_MS, created, revoked, "logout" if revoked else None)

    for batch in batched(sessions()):
        db.executemany("INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at, revoked_at,"
                       " revoked_reason) VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
        db.executemany("INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                       ((rng.randbytes(32), row[0], row[2], row[2] + 30 * DAY_MS) for row in batch))

    # A day of traffic: each login left what a send leaves (address, number, prefix, global, country tally) and what a
    # successful verify leaves (address attempts, verified range and country).
    def events():
        for _ in range(args.logins_per_day):
            at = now_ms - rng.randrange(DAY_MS)
            number = random_number(rng)
            address = random_address(rng)
            prefix = number[:-4]
            reservation = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            for bucket in (f"sms:ip:{address}", f"sms:number:{number}", f"sms:prefix:{prefix}", "sms:global",
                           "sms:country:KZ"):
                yield bucket, at, reservation
            for bucket in (f"verify:ip:{address}", f"verified:prefix:{prefix}", "verified:country:KZ"):
                yield bucket, at + 30_000, None

    for batch in batched(events()):
        db.executemany("INSERT INTO rate_events (bucket, at_ms, reservation) VALUES (?, ?, ?)", batch)
    db.execute("INSERT INTO rate_totals (bucket, slot, events) SELECT bucket, at_ms / 60000, COUNT(*) FROM rate_events"
               " GROUP BY 1, 2")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("users", "sessions", "refresh_tokens", "rate_events", "rate_totals")}
    db.close()
    print(f"fill_database: {args.db}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()) +
          f"; {os.path.getsize(args.db) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
