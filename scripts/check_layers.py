#!/usr/bin/env python3
"""Fails when a source folder includes a layer above it: the rule is the "Include rule" table of docs/architecture.md.

Usage: scripts/check_layers.py [SOURCE_ROOT [ARCHITECTURE_MD]]  (defaults: src/ and docs/architecture.md)
Each row names a folder of src/ and what its files may include besides their own folder: other folders
(`storage`), or single headers (`storage/storage_engine.hpp`). Test files (`*_test.cpp`) may also include `storage`
and `testing`: they run against real engines. Prints one line per offending include and exits 1.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.MULTILINE)
TEST_EXTRAS = {"storage", "testing"}


def read_rule(architecture_md: str) -> dict:
    section = architecture_md.split("## Include rule", 1)
    if len(section) < 2:
        raise SystemExit("check_layers: docs/architecture.md has no '## Include rule' section")
    rule = {}
    for row in section[1].split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        folder = cells[0].strip("`").rstrip("/")
        allowed = set(re.findall(r"`([^`]+)`", cells[1]))
        rule[folder] = {entry.rstrip("/") for entry in allowed}
    if not rule:
        raise SystemExit("check_layers: the '## Include rule' table is empty")
    return rule


def violations(source_root: pathlib.Path, rule: dict) -> list:
    found = []
    for path in sorted(source_root.rglob("*")):
        if path.suffix not in {".cpp", ".hpp", ".h"} or not path.is_file():
            continue
        folder = path.relative_to(source_root).parts[0]
        if folder not in rule:
            found.append(f"{path}: folder '{folder}' has no row in the include rule")
            continue
        allowed = rule[folder] | {folder}
        if path.name.endswith("_test.cpp"):
            allowed |= TEST_EXTRAS
        text = path.read_text(errors="replace")
        for match in INCLUDE.finditer(text):
            layer, header = match.group(1), match.group(2)
            if layer in allowed or f"{layer}/{header}" in allowed:
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path}:{line}: {folder}/ may not include \"{layer}/{header}\"")
    return found


def main(argv: list) -> int:
    root = pathlib.Path(__file__).resolve().parents[1]
    source_root = pathlib.Path(argv[1]) if len(argv) > 1 else root / "src"
    architecture = pathlib.Path(argv[2]) if len(argv) > 2 else root / "docs/architecture.md"
    found = violations(source_root, read_rule(architecture.read_text()))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
