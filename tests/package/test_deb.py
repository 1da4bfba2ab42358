"""`make deb`'s package, built by CPack from the current build: its files and control data, then installed into a
temporary root (dpkg-deb -x) and run from there: --help, check-config with the example environment, and serve."""
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

BUILD_DIR = pathlib.Path(os.environ.get("SMS_AUTH_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] /
                                        "build/debug"))


def run(*args, **kwargs):
    kwargs.setdefault("timeout", 300)
    return subprocess.run(list(args), capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("deb")
    built = run("cpack", "-G", "DEB", "--config", str(BUILD_DIR / "CPackConfig.cmake"), "-B", str(out), cwd=out)
    assert built.returncode == 0, built.stdout + built.stderr
    debs = list(out.glob("*.deb"))
    assert len(debs) == 1, built.stdout
    return debs[0]


@pytest.fixture(scope="module")
def installed(package, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    extracted = run("dpkg-deb", "-x", str(package), str(root))
    assert extracted.returncode == 0, extracted.stderr
    return root


def test_the_package_holds_the_binary_the_unit_and_the_example_environment(package):
    listing = run("dpkg-deb", "-c", str(package)).stdout
    assert re.search(r"^-rwxr-xr-x .* \./usr/bin/sms-auth$", listing, flags=re.M), listing
    assert "./usr/lib/systemd/system/sms-auth.service" in listing
    assert re.search(r"^-rw------- .* \./etc/sms-auth/sms-auth\.env$", listing, flags=re.M), listing
    assert "./usr/share/doc/sms-auth/operations.md" in listing


def test_the_example_environment_is_a_conffile_and_dependencies_are_computed(package, tmp_path):
    control = tmp_path / "control"
    assert run("dpkg-deb", "-e", str(package), str(control)).returncode == 0
    assert (control / "conffiles").read_text().split() == ["/etc/sms-auth/sms-auth.env"]
    fields = run("dpkg-deb", "-f", str(package), "Package", "Depends").stdout
    assert "Package: sms-auth" in fields
    assert re.search(r"Depends: .*libssl3", fields), fields
    assert re.search(r"Depends: .*libsqlite3-0", fields), fields
    assert re.search(r"Depends: .*libprometheus-cpp-core1\.0", fields), fields  # metrics' registry and exposition


def test_the_installed_binary_runs_from_the_temporary_root(installed):
    helped = run(str(installed / "usr/bin/sms-auth"), "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("serve", "migrate", "check-config", "backup"):
        assert command in helped.stdout


def environment_of(installed, workdir):
    """The packaged example environment, pointed at a database under `workdir`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ASAN_OPTIONS": "detect_leaks=0"}
    for line in (installed / "etc/sms-auth/sms-auth.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    env["DATABASE_URL"] = f"sqlite:{workdir}/sms-auth.db"
    return env


def test_check_config_accepts_the_packaged_example_environment(installed, tmp_path):
    env = environment_of(installed, tmp_path)
    assert env["SMS_TEST_MODE"] == "true"
    checked = run(str(installed / "usr/bin/sms-auth"), "check-config", env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "configuration ok" in checked.stdout
    broken = run(str(installed / "usr/bin/sms-auth"), "check-config", env={**env, "PORT": "eighty"}, cwd=tmp_path)
    assert broken.returncode == 2 and "PORT" in broken.stderr


def test_the_installed_binary_serves_with_the_packaged_environment(installed, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**environment_of(installed, tmp_path), "PORT": str(port), "WORKER_THREADS": "1"}
    with open(tmp_path / "server.log", "wb") as log:
        server = subprocess.Popen([str(installed / "usr/bin/sms-auth"), "serve"], env=env, cwd=tmp_path,
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            ready = None
            while time.time() < deadline and ready is None:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    ready = urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).read()
                except OSError:
                    time.sleep(0.1)
            assert ready is not None and json.loads(ready) == {"status": "ready"}
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_the_installed_unit_passes_systemd_analyze_verify_against_the_installed_binary(installed):
    shutil.copytree("/usr/lib/systemd/system", installed / "usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    checked = run("systemd-analyze", "verify", f"--root={installed}", "/usr/lib/systemd/system/sms-auth.service")
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr
