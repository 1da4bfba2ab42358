"""The layering of docs/architecture.md holds: scripts/check_layers.py passes on src/ and catches an upward include."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts/check_layers.py"


def run_check(*args):
    return subprocess.run([sys.executable, str(CHECK), *map(str, args)], capture_output=True, text=True)


def test_no_folder_of_src_includes_a_layer_above_it():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_include_is_reported_with_file_and_line(tmp_path):
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage/leaky.cpp").write_text('#include "storage/repository.hpp"\n#include "http/router.hpp"\n')
    result = run_check(tmp_path, ROOT / "docs/architecture.md")
    assert result.returncode == 1
    assert 'leaky.cpp:2: storage/ may not include "http/router.hpp"' in result.stdout


def test_only_the_named_header_of_a_layer_is_allowed(tmp_path):
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage/rules.cpp").write_text('#include "auth/verify_rules.hpp"\n#include "auth/otp_service.hpp"\n')
    result = run_check(tmp_path, ROOT / "docs/architecture.md")
    assert result.returncode == 1
    assert "verify_rules" not in result.stdout and "otp_service.hpp" in result.stdout


def test_a_folder_without_a_row_in_the_rule_is_reported(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins/x.cpp").write_text('#include "core/result.hpp"\n')
    result = run_check(tmp_path, ROOT / "docs/architecture.md")
    assert result.returncode == 1 and "plugins" in result.stdout
