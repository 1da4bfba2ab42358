"""Throwaway PostgreSQL clusters for tests: initdb into a temp dir as an unprivileged user, 127.0.0.1, a free port.

Also a runner for ctest: `python3 postgres_support.py run -- COMMAND…` starts one cluster, runs COMMAND with
SMS_AUTH_TEST_POSTGRES_URL set to it, and stops the cluster (the exit code is COMMAND's).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import socket

PG_BIN = Path(os.environ.get("SMS_AUTH_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "sms"
PASSWORD = "pg-test-password-5e1b9c"  # tests check that no log ever shows it
DATABASE = "sms_auth"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(argv):
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + [str(a) for a in argv]
    return [str(a) for a in argv]


def available():
    return (PG_BIN / "initdb").exists()


class PostgresCluster:
    """One postgres server in a directory of its own (data, socket, log); stopped by pg_ctl (it knows the PID)."""

    def __init__(self, root=None, name="pg"):
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix=f"sms-auth-{name}-"))
        self.owns_root = root is None
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = _free_port()
        self.running = False
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    # ---- lifecycle ----
    def init(self, settings=None):
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run([PG_BIN / "initdb", "-D", self.data, "-U", USER, "--pwfile", pwfile, "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        pwfile.unlink()
        self._configure(settings or {})
        return self

    def _configure(self, settings):
        base = {"listen_addresses": "'127.0.0.1'", "port": str(self.port),
                "unix_socket_directories": f"'{self.root}'", "fsync": "on", "max_connections": "100",
                "wal_level": "replica", "max_wal_senders": "5", "hot_standby": "on"}
        base.update(settings)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# sms-auth tests\n")
            for key, value in base.items():
                conf.write(f"{key} = {value}\n")

    def start(self):
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log_path, "-w", "-t", "120", "start"])
        self.running = True
        return self

    def stop(self, mode="fast"):
        if self.running:
            self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "120", "stop"], check=False)
            self.running = False

    def crash(self):
        """Immediate stop: no checkpoint, every connection cut, as a crash would."""
        self.stop("immediate")

    def destroy(self):
        self.stop("immediate")
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name=DATABASE):
        self.psql(f"CREATE DATABASE {name}", database="postgres")
        return self

    # ---- replication ----
    def make_standby(self, name="standby"):
        """A streaming standby of this cluster (pg_basebackup -R -X stream), started."""
        standby = PostgresCluster(name=name)
        self._run([PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.port, "-U", USER, "-D", standby.data,
                   "-R", "-X", "stream", "--no-sync"], env={"PGPASSWORD": PASSWORD})
        standby._configure({"port": str(standby.port), "unix_socket_directories": f"'{standby.root}'"})
        return standby.start()

    def wait_streaming(self, standbys=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if int(self.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) >= standbys:
                return
            time.sleep(0.2)
        raise RuntimeError(f"no streaming standby after {timeout}s:\n{self.log()}")

    def require_synchronous_standby(self):
        """Commits wait for the standby from now on (set only once it streams: before that every commit would hang)."""
        self.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.psql("SELECT pg_reload_conf()")
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == "1":
                return
            time.sleep(0.2)
        raise RuntimeError("the standby never became synchronous")

    def promote(self):
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-w", "-t", "120", "promote"])

    # ---- access ----
    def url(self, database=DATABASE, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def psql(self, sql, database=DATABASE):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", USER, "-d", database, "-c", sql],
                             env={**os.environ, "PGPASSWORD": PASSWORD, "PGCONNECT_TIMEOUT": "10"},
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr}")
        return out.stdout.strip()

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _run(self, argv, check=True, env=None):
        out = subprocess.run(_as_owner(argv), capture_output=True, text=True, timeout=180, cwd=self.root,
                             env={**os.environ, **(env or {})})
        if check and out.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({out.returncode}): {out.stdout}{out.stderr}\n{self.log()}")
        return out


def primary_url(primary, standby, **params):
    """A multi-host URL listing both servers; libpq picks the one that accepts writes."""
    query = "&".join(f"{k}={v}" for k, v in {"target_session_attrs": "read-write", **params}.items())
    return (f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{DATABASE}?{query}")


def main(argv):
    if len(argv) < 3 or argv[1] != "run" or "--" not in argv:
        print("usage: postgres_support.py run -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    cluster = PostgresCluster(name="ctest")
    try:
        cluster.init().start().create_database()
        env = {**os.environ, "SMS_AUTH_TEST_POSTGRES_URL": cluster.url()}
        return subprocess.run(command, env=env).returncode
    finally:
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
