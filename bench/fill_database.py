"""Fills an sms-auth database the way a busy month leaves it, for load tests that ask how cost grows with data.

Writes users, a million sessions (one live refresh token each), a day of limit events (the rows every send and
verify leaves in rate_events, with their per-minute totals) and the day's consumed codes: into SQLite straight through python's sqlite3, into
PostgreSQL through psql's COPY. The schema comes from the binary itself (`sms-auth migrate`), so the rows always match
the current migrations.

Usage: python3 bench/fill_database.py DB [--sessions 1000000] [--logins-per-day 100000]
                                         [--sms-auth build/release/sms-auth]
DB is a new SQLite file, or the URL of an empty PostgreSQL database (postgresql://…).
Then: LOAD_SQLITE_TEMPLATE=DB make load, or (PostgreSQL, the database's name) LOAD_POSTGRES_TEMPLATE=NAME with
LOAD_POSTGRES_URL on the same cluster (bench/README.md).
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


def rows_of_a_month(args, rng, now_ms):
    """(table, columns, rows) for each table, in an order that satisfies the foreign keys."""
    user_count = max(1, args.sessions // args.sessions_per_user)
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(user_count)]
    numbers = set()
    while len(numbers) < user_count:
        numbers.add(random_number(rng))
    month_ago = now_ms - 30 * DAY_MS
    yield ("users", ("id", "phone_number", "created_at", "last_login_at"),
           ((uid, number, month_ago, now_ms - rng.randrange(30 * DAY_MS)) for uid, number in zip(user_ids, numbers)))

    sessions = []
    for i in range(args.sessions):
        created = now_ms - rng.randrange(30 * DAY_MS)
        revoked = created + 3600_000 if i % 10 == 0 else None  # one in ten logged out
        sessions.append((str(uuid.UUID(int=rng.getrandbits(128), version=4)), user_ids[i % user_count], created,
                         created + 60 * DAY_MS, created, revoked, "logout" if revoked else None))
    yield ("sessions", ("id", "user_id", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_reason"),
           sessions)
    yield ("refresh_tokens", ("token_hash", "session_id", "issued_at", "expires_at"),
           ((rng.randbytes(32), row[0], row[2], row[2] + 30 * DAY_MS) for row in sessions))

    # A day of traffic: each login left what a send leaves (address, number, prefix, global, country tally), what a
    # successful verify leaves (address attempts, verified range and country), and its consumed code (codes are kept
    # a day, so that a late verify reads "expired": a number's latest one).
    logins = []
    for _ in range(args.logins_per_day):
        logins.append((now_ms - rng.randrange(DAY_MS), random_number(rng), random_address(rng),
                       uuid.UUID(int=rng.getrandbits(128), version=4).hex))
    latest_code = {number: (at, reservation) for at, number, _, reservation in sorted(logins)}
    yield ("otp_codes", ("phone_number", "challenge_id", "seed", "code_hash", "created_at", "expires_at", "attempts",
                         "max_attempts", "consumed_at"),
           ((number, reservation, rng.randbytes(16), rng.randbytes(32), at, at + 300_000, 1, 5, at + 30_000)
            for number, (at, reservation) in latest_code.items()))

    def events():
        for at, number, address, reservation in logins:
            prefix = number[:-4]
            for bucket in (f"sms:ip:{address}", f"sms:number:{number}", f"sms:prefix:{prefix}", "sms:global",
                           "sms:country:KZ"):
                yield bucket, at, reservation
            for bucket in (f"verify:ip:{address}", f"verified:prefix:{prefix}", "verified:country:KZ"):
                yield bucket, at + 30_000, None

    yield ("rate_events", ("bucket", "at_ms", "reservation"), events())


TABLES = ("users", "sessions", "refresh_tokens", "otp_codes", "rate_events", "rate_totals")


def fill_sqlite(args, rng, now_ms):
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    for table, columns, rows in rows_of_a_month(args, rng, now_ms):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for batch in batched(rows):
            db.executemany(sql, batch)
    db.execute("INSERT INTO rate_totals (bucket, slot, events) SELECT bucket, at_ms / 60000, COUNT(*) FROM rate_events"
               " GROUP BY 1, 2")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
    db.close()
    return counts, f"{os.path.getsize(args.db) / 2**20:.0f} MiB"


def csv_field(value):
    if value is None:
        return ""  # NULL in COPY's csv format
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's hex input form
    return str(value)  # uuids, numbers, buckets and phone numbers hold no comma, quote or newline


def psql(url, *argv, stdin=None):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, *argv], input=stdin, text=True,
                         capture_output=True, check=False)
    if out.returncode != 0:
        sys.exit(f"fill_database: psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def fill_postgres(args, rng, now_ms):
    if psql(args.db, "-c", "SELECT COUNT(*) FROM users") != "0":
        sys.exit(f"fill_database: the database of {args.db.split('@')[-1]} already holds users; give an empty one")
    for table, columns, rows in rows_of_a_month(args, rng, now_ms):
        text = "".join(",".join(csv_field(v) for v in row) + "\n" for row in rows)
        psql(args.db, "-c", f"\\copy {table} ({', '.join(columns)}) FROM pstdin WITH (FORMAT csv)", stdin=text)
    psql(args.db, "-c", "INSERT INTO rate_totals (bucket, slot, shard, events) SELECT bucket, at_ms / 60000, 0, "
                        "COUNT(*) FROM rate_events GROUP BY 1, 2")
    psql(args.db, "-c", "VACUUM ANALYZE")
    counts = {table: int(psql(args.db, "-c", f"SELECT COUNT(*) FROM {table}")) for table in TABLES}
    size = psql(args.db, "-c", "SELECT pg_size_pretty(pg_database_size(current_database()))")
    return counts, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--sessions-per-user", type=int, default=2)
    parser.add_argument("--logins-per-day", type=int, default=100_000)
    parser.add_argument("--sms-auth", default="build/release/sms-auth")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    postgres = args.db.startswith(("postgresql://", "postgres://"))
    if not postgres and os.path.exists(args.db):
        sys.exit(f"fill_database: {args.db} exists; give a new path")

    database_url = args.db if postgres else f"sqlite:{args.db}"
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database_url, "SMS_TEST_MODE": "true"}
    subprocess.run([args.sms_auth, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)

    rng = random.Random(args.seed)
    now_ms = int(time.time() * 1000)
    counts, size = (fill_postgres if postgres else fill_sqlite)(args, rng, now_ms)
    where = args.db.split("@")[-1] if postgres else args.db  # no password in the output
    print(f"fill_database: {where}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()) + f"; {size}")


if __name__ == "__main__":
    main()
