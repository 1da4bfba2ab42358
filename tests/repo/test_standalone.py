"""The repository stands alone: no file points at documents outside it, and the original backend is named "the seed"
only once, in the README."""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Spelled in pieces so that this file does not match itself.
OUTSIDE_DOCUMENTS = re.compile(
    "|".join([
        re.escape("../" + "shared"), re.escape("/work/" + "shared"), re.escape("shared/" + "docs"),
        re.escape("shared/" + "seed"), "spec" + r"\s*§", r"\bspec" + r"\.md\b", r"\bsecurity" + r"\.md\b",
        r"\bstack" + r"\.md\b", r"\bstyle" + r"\.md\b", r"\bmobizon-api" + r"\.md\b",
        r"\bmobizon-integration" + r"\.md\b",
    ]))
# The original backend as "the seed" (an OTP seed, "the seed is 16 bytes", is another thing and allowed).
SEED_AS_BACKEND = re.compile(r"(?i)\bthe seed's\b|\bseed-like\b|\b(as|in|like) the seed\b|\*the " + "seed\\*")


def listed_files():
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                                check=True, capture_output=True).stdout.decode().split("\0")
        return [name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):  # an exported tree without .git: walk it
        skipped = {".git", "build", "node_modules", "__pycache__", ".cache", "data"}
        return [str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
                if path.is_file() and not skipped & set(path.relative_to(ROOT).parts)]


def repository_files():
    listed = listed_files()
    for name in listed:
        path = ROOT / name
        if not name or not path.is_file() or name.endswith("package-lock.json"):
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary files hold no references


def test_no_file_points_at_a_document_outside_the_repository():
    found = [f"{name}:{number}: {line.strip()}" for name, text in repository_files()
             for number, line in enumerate(text.splitlines(), 1) if OUTSIDE_DOCUMENTS.search(line)]
    assert not found, "references to documents outside the repository:\n" + "\n".join(found)


def test_the_seed_is_named_once_in_the_readme_and_nowhere_else():
    found = [(name, number, line.strip()) for name, text in repository_files()
             for number, line in enumerate(text.splitlines(), 1) if SEED_AS_BACKEND.search(line)]
    elsewhere = [f"{name}:{number}: {line}" for name, number, line in found if name != "README.md"]
    assert not elsewhere, "say \"the original backend\" instead of \"the seed\":\n" + "\n".join(elsewhere)
    assert len([f for f in found if f[0] == "README.md"]) == 1, found


def test_the_check_finds_what_it_looks_for():
    assert OUTSIDE_DOCUMENTS.search("see ../" + "shar" + "ed/docs/spec" + ".md")
    assert OUTSIDE_DOCUMENTS.search("the rule of spec" + " §4")
    assert SEED_AS_BACKEND.search("as the " + "seed does")
    assert not SEED_AS_BACKEND.search("the seed is 16 bytes from the CSPRNG")
