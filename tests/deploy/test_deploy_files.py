"""deploy/ checked by the tools that can check it on this machine: the systemd unit (systemd-analyze verify and
security), the compose file (docker-compose config), the nginx sample (nginx -t with a throwaway certificate), and
the Dockerfile's packages against Debian 12's archive. No Docker engine runs here, so the image is not built."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MAX_EXPOSURE = 2.5


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
def unit_root(tmp_path):
    """A root holding the unit, systemd's own units and an executable at /usr/bin/sms-auth, for --root checks."""
    (tmp_path / "usr/bin").mkdir(parents=True)
    binary = tmp_path / "usr/bin/sms-auth"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    shutil.copytree("/usr/lib/systemd/system", tmp_path / "usr/lib/systemd/system", symlinks=True)
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(DEPLOY / "sms-auth.service", tmp_path / "etc/systemd/system/sms-auth.service")
    return tmp_path


def test_the_unit_passes_systemd_analyze_verify_without_a_warning(unit_root):
    checked = run("systemd-analyze", "verify", f"--root={unit_root}", "/etc/systemd/system/sms-auth.service")
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr


def test_verify_would_catch_a_misspelt_directive(unit_root):
    unit = unit_root / "etc/systemd/system/sms-auth.service"
    unit.write_text(unit.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    checked = run("systemd-analyze", "verify", f"--root={unit_root}", "/etc/systemd/system/sms-auth.service")
    assert "Unknown key" in checked.stderr


def exposure(unit_path):
    rated = run("systemd-analyze", "security", "--offline=yes", str(unit_path))
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", rated.stdout)
    assert match, rated.stdout + rated.stderr
    return float(match.group(1))


def test_systemd_rates_the_unit_exposure_at_most_2_5():
    assert exposure(DEPLOY / "sms-auth.service") <= MAX_EXPOSURE


def test_the_rating_tells_an_unhardened_unit_apart(tmp_path):
    bare = tmp_path / "sms-auth.service"
    bare.write_text("[Service]\nExecStart=/usr/bin/sms-auth serve\n")
    assert exposure(bare) > MAX_EXPOSURE


def test_the_unit_keeps_its_state_in_a_state_directory_of_a_dynamic_user():
    unit = (DEPLOY / "sms-auth.service").read_text()
    for directive in ("DynamicUser=yes", "StateDirectory=sms-auth", "ProtectSystem=strict", "NoNewPrivileges=yes",
                      "CapabilityBoundingSet=\n", "EnvironmentFile=/etc/sms-auth/sms-auth.env",
                      "ExecStart=/usr/bin/sms-auth serve"):
        assert directive in unit, directive
    example = (DEPLOY / "sms-auth.env").read_text()
    assert "DATABASE_URL=sqlite:/var/lib/sms-auth/" in example


def compose(*args, env=None):
    return run("docker-compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", *args,
               env={**os.environ, **(env or {})})


def test_docker_compose_accepts_the_compose_file_and_runs_sms_auth_on_postgresql():
    checked = compose(env={"POSTGRES_PASSWORD": "example-password"})
    assert checked.returncode == 0, checked.stderr
    config = yaml.safe_load(checked.stdout)
    service = config["services"]["sms-auth"]
    assert service["environment"]["DATABASE_URL"].startswith("postgresql://sms_auth:example-password@postgres:5432/")
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert all(str(port).startswith("127.0.0.1:") for port in service["ports"]), "only nginx on the host is public"
    assert config["services"]["postgres"]["image"].startswith("postgres:")


def test_docker_compose_refuses_to_run_without_a_database_password():
    env = {key: value for key, value in os.environ.items() if key != "POSTGRES_PASSWORD"}
    checked = run("docker-compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", env=env)
    assert checked.returncode != 0
    assert "POSTGRES_PASSWORD" in checked.stderr


def dockerfile_packages(stage_text):
    packages = []
    for command in re.findall(r"apt-get install ([^&]*)", stage_text):
        packages += [word for word in command.replace("\\", " ").split() if not word.startswith("-")]
    return packages


def test_the_dockerfile_builds_on_debian_12_and_runs_slim_as_a_non_root_user():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert [stage.split()[0] for stage in stages] == ["debian:12", "debian:12-slim"]
    build, final = stages
    assert "COPY --from=build /src/build/release/sms-auth /usr/bin/sms-auth" in final
    users = re.findall(r"^USER (\S+)", final, flags=re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    # The build stage installs what scripts/install-deps.sh says a build needs (ccache aside).
    install_deps = (ROOT / "scripts/install-deps.sh").read_text()
    build_packages = re.search(r"build_packages=\(([^)]*)\)", install_deps).group(1).split()
    assert set(build_packages) - {"ccache"} <= set(dockerfile_packages(build))
    # Every package named exists in Debian 12 (this machine's archive): a typo would fail the image build.
    named = sorted(set(dockerfile_packages(build) + dockerfile_packages(final)))
    shown = run("apt-cache", "show", "--no-all-versions", *named)
    known = set(re.findall(r"^Package: (\S+)", shown.stdout, flags=re.M))
    assert set(named) - known == set(), "not Debian 12 packages"


@pytest.fixture
def nginx_prefix(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
               "1", "-subj", "/CN=auth.example.com", "-keyout", str(key), "-out", str(cert))
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "nginx/sms-auth.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/auth.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/auth.example.com/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
                                         f"http {{\n  access_log off;\n{temp}\n  include {tmp_path}/site.conf;\n}}\n")
    return tmp_path


def nginx_test(prefix):
    return run("nginx", "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr")


def test_nginx_accepts_the_sample_with_a_throwaway_certificate(nginx_prefix):
    checked = nginx_test(nginx_prefix)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_test_would_catch_a_broken_sample(nginx_prefix):
    site = nginx_prefix / "site.conf"
    site.write_text(site.read_text().replace("proxy_pass http://sms_auth;", "proxy_pass http://sms_auth"))
    assert nginx_test(nginx_prefix).returncode != 0


def test_the_nginx_sample_forwards_the_client_address_and_the_request_id():
    site = (DEPLOY / "nginx/sms-auth.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert re.search(r"proxy_set_header X-Request-Id \$\w+;", site)
    assert "server 127.0.0.1:8000;" in site  # the address the unit's example environment listens on
