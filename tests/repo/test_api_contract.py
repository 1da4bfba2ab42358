"""docs/api.md (the contract in words) against docs/openapi.json (the same contract for machines): every endpoint
and every error code the words list is in the document, and the document has no endpoint the words do not list."""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
API_MD = (ROOT / "docs/api.md").read_text()
DOCUMENT = json.loads((ROOT / "docs/openapi.json").read_text())
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def endpoints_in_words():
    found = set()
    for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)", API_MD):
        found.add((method, path.split("?")[0]))
    return found


def endpoints_in_document():
    return {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
            if method in HTTP_METHODS}


def error_codes_in_words():
    errors = API_MD.split("## Errors", 1)[1].split("\n## ", 1)[0]
    codes = set()
    for row in errors.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) == 3 and re.search(r"\d{3}", cells[1]):
            # The code(s) come first; what follows "+" or "(" is a header or an extra field.
            codes.update(re.findall(r"`([a-z_]+)`", re.split(r"[+(:]", cells[2])[0]))
    return codes


def error_codes_in_document(node=DOCUMENT):
    codes = set()
    if isinstance(node, dict):
        error = node.get("properties", {}).get("error", {}) if isinstance(node.get("properties"), dict) else {}
        codes.update(error.get("enum", []))
        for value in node.values():
            codes |= error_codes_in_document(value)
    elif isinstance(node, list):
        for value in node:
            codes |= error_codes_in_document(value)
    return codes


def test_every_endpoint_of_the_words_is_in_the_document_and_back():
    words, document = endpoints_in_words(), endpoints_in_document()
    assert len(words) >= 15
    assert words - document == set(), "in docs/api.md but not in docs/openapi.json"
    assert document - words == set(), "in docs/openapi.json but not in docs/api.md"


def test_every_error_code_of_the_words_is_in_the_document_and_back():
    words, document = error_codes_in_words(), error_codes_in_document()
    assert {"invalid_request", "invalid_code", "rate_limited", "invalid_grant", "unavailable"} <= words
    assert words - document == set(), "error codes in docs/api.md but not in docs/openapi.json"
    assert document - words == set(), "error codes in docs/openapi.json but not in docs/api.md"
