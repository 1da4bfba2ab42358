#!/usr/bin/env python3
"""SMS pumping simulation: starts the sms-auth binary in test mode on 127.0.0.1 (a fresh SQLite file), replays a mix
of attack and real traffic through its HTTP API, and prints what the attack spent, how real users fared and the
refusals by limit. Bounded: it stops after --max-seconds whatever is left, and stops the server by its PID.

Traffic, in rounds (one SMS request each, interleaved in a fixed, seeded order):
  - attack: one send to each of --attack-ranges distinct number ranges (+7747000…), never verified;
  - returning: --returning-users users who logged in before the attack, logging in again (send + verify);
  - healthy: new users in the returning users' ranges (which convert), logging in;
  - newcomers: new users in ranges nobody verified in before, logging in: the real users the policy may refuse
    while the budget is spent.
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_RANGES = ["+7701555", "+7701556", "+7701557", "+7701558"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, workdir, env):
        self.port = free_port()
        self.log_path = workdir / "server.log"
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOST": "127.0.0.1", "PORT": str(self.port),
                    "DATABASE_URL": f"sqlite:{workdir / 'sms-auth.db'}", "SMS_TEST_MODE": "true",
                    "JWT_SECRET": "pumping-simulation-jwt-secret-3c9e1a7f5b2d4e6a", "WORKER_THREADS": "2",
                    "ASAN_OPTIONS": "detect_leaks=0", **{k: str(v) for k, v in env.items()}}
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen([binary, "serve"], cwd=workdir, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"sms-auth exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("sms-auth did not answer /healthz in 30 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # this PID only
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json"} if body is not None else {})
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def send(self, phone):
        return self.request("POST", "/api/v1/sms-auth/send-code", {"phone_number": phone})[0]

    def code_for(self, phone):
        masked = re.escape(phone[:5] + "***" + phone[-4:])
        found = re.findall(masked + r"\)\n.*?\[MOBIZON\] Message: \D*(\d{6})", self.log_path.read_text(), re.S)
        return found[-1] if found else None

    def login(self, phone):
        if self.send(phone) != 200:
            return False
        code = self.code_for(phone)
        status, _ = self.request("POST", "/api/v1/sms-auth/verify-code", {"phone_number": phone, "code": code})
        return status == 200

    def sms_to(self, prefix):
        masked_head = prefix[:5]
        sent = re.findall(r"TEST MODE - SMS not sent \(to (\S+)\)", self.log_path.read_text())
        return sum(1 for to in sent if to.startswith(masked_head))

    def refusals(self):
        text = self.request("GET", "/metrics")[1]
        return {m.group(1): int(float(m.group(2)))
                for m in re.finditer(r'^sms_auth_rate_limited_total\{limit="([^"]+)"\} (\S+)$', text, re.M)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / "build/debug/sms-auth"))
    parser.add_argument("--budget", type=int, default=20, help="SMS_UNVERIFIED_PER_HOUR (0: off)")
    parser.add_argument("--global-per-hour", type=int, default=1000, help="SMS_GLOBAL_PER_HOUR")
    parser.add_argument("--attack-ranges", type=int, default=120)
    parser.add_argument("--returning-users", type=int, default=12)
    parser.add_argument("--healthy-new-users", type=int, default=6)
    parser.add_argument("--newcomers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()
    if not Path(args.binary).exists():
        sys.exit(f"no binary at {args.binary}: build it first (cmake --build --preset debug)")

    env = {"SMS_UNVERIFIED_PER_HOUR": args.budget, "SMS_GLOBAL_PER_HOUR": args.global_per_hour,
           "SMS_GLOBAL_PER_DAY": max(args.global_per_hour, 10000), "SMS_PER_IP_PER_HOUR": 1000000,
           "SMS_PER_PREFIX_PER_HOUR": 1000000, "RESEND_COOLDOWN_SECONDS": 0}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="sms-auth-pumping-") as workdir:
        server = Server(args.binary, Path(workdir), env)
        try:
            users = [f"{REAL_RANGES[i % len(REAL_RANGES)]}{1000 + i:04d}" for i in range(args.returning_users)]
            before = [server.login(phone) for phone in users]

            rng = random.Random(args.seed)
            events = ([("attack", f"+7747{i:03d}7503") for i in range(args.attack_ranges)] +
                      [("returning", phone) for phone in users] +
                      [("healthy", f"{REAL_RANGES[i % len(REAL_RANGES)]}{3000 + i:04d}")
                       for i in range(args.healthy_new_users)] +
                      [("newcomer", f"+7701{600 + i:03d}1234") for i in range(args.newcomers)])
            rng.shuffle(events)
            outcome = {kind: [0, 0] for kind in ("attack", "returning", "healthy", "newcomer")}  # [ok, tried]
            timed_out = False
            for kind, phone in events:
                if time.time() - started > args.max_seconds:
                    timed_out = True
                    break
                ok = server.send(phone) == 200 if kind == "attack" else server.login(phone)
                outcome[kind][0] += ok
                outcome[kind][1] += 1
            attack_sms = server.sms_to("+7747")
            refusals = server.refusals()
        finally:
            server.stop()

    print(f"sms-auth pumping simulation: SMS_UNVERIFIED_PER_HOUR={args.budget} "
          f"SMS_GLOBAL_PER_HOUR={args.global_per_hour} seed={args.seed}")
    print(f"  before the attack: {sum(before)}/{len(before)} users logged in")
    print(f"  attack: {outcome['attack'][1]} sends to {args.attack_ranges} ranges, SMS spent: {attack_sms}")
    for kind, label in (("returning", "returning users"), ("healthy", "new users in converting ranges"),
                        ("newcomer", "new users in unproven ranges")):
        ok, tried = outcome[kind]
        print(f"  {label}: {ok}/{tried} logged in")
    print("  refusals by limit: " + (", ".join(f"{k}={v}" for k, v in sorted(refusals.items())) or "none"))
    print(f"  {time.time() - started:.1f} s" + (" (stopped at --max-seconds)" if timed_out else ""))


if __name__ == "__main__":
    main()
