"""The repository carries its own documentation (README.md and docs/), and it stays true.

Fails when a file points at design notes kept outside the repository, when a link of README.md or
docs/*.md (or a `docs/<page>.md#section` pointer in a code comment) leads nowhere, when the docs
name a file or a test that is gone, or when the API has an endpoint docs/api.md does not list.
When one of these fails after a change to the code, update the page of docs/ in the same commit."""

import re
import subprocess
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOCS = ROOT / "docs"
# Third-party files are not ours to reword.
NOT_OURS = ("static/vendor/",)

# Spelled in pieces so that this file does not match itself.
OUTSIDE_NOTES = [
    re.compile(re.escape("../" + "shared/")),
    re.compile(r"design" + r"\.md", re.IGNORECASE),
    re.compile(r"style" + r"\.md", re.IGNORECASE),
    # The outside contract was spelled in capitals; docs/api.md (and, inside docs/, api.md) is the
    # repository's own page.
    re.compile(r"\bAPI" + r"\.md"),
    # Its sections cited without the file name (the word in capitals, then a section number).
    re.compile(r"\bDESIGN" + r"\s*(§|sections?\b|rules?\b|\d)"),
]
TRACKER_NUMBERS = re.compile(r"\b(session|issue)s?\s*(no\.?\s*)?#?\d+", re.IGNORECASE)

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
DOC_POINTER = re.compile(r"\bdocs/([\w-]+\.md)(?:#([\w-]+))?")
TEST_REFERENCE = re.compile(r"\b([\w/.-]+\.py)::(\w+)")
CODE_SPAN = re.compile(r"`([^`\s]+)`")
# A `code span` naming a path under one of these is a file the docs promise exists.
TOP_DIRS = tuple(f"{name}/" for name in "callcenter contacts scripts campaigns bench tools templates static".split())
TOP_DIRS += ("locale/", "docs/", ".ci/")


@cache
def tracked_files() -> list[str]:
    """The repository's files (git's list; the working tree when this is not a git checkout)."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
        names = [name for name in listing.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", ".local", "node_modules", "staticfiles", "media", "test-artifacts", "__pycache__"}
        names = [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if path.is_file() and not skip.intersection(path.relative_to(ROOT).parts)
        ]
    return sorted(name for name in names if (ROOT / name).is_file())


@cache
def text_of(name: str) -> str | None:
    try:
        return (ROOT / name).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None  # binary (images, fonts)


def our_text_files():
    for name in tracked_files():
        if name.startswith(NOT_OURS):
            continue
        text = text_of(name)
        if text is not None:
            yield name, text


def doc_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors_of(path: Path) -> set[str]:
    anchors, seen = set(), {}
    for line in FENCE.sub("", path.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def test_nothing_points_at_notes_outside_the_repository():
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in our_text_files()
        for pattern in OUTSIDE_NOTES
        for match in pattern.finditer(text)
    ]
    assert found == [], "point these at the repository's own docs/ pages instead:\n" + "\n".join(found)


def test_no_tracker_numbers():
    """Say what the code does and why, not which session or issue it came from."""
    found = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for name, text in our_text_files()
        for match in TRACKER_NUMBERS.finditer(text)
    ]
    assert found == []


def test_links_of_the_docs_lead_somewhere():
    broken = []
    for page in doc_pages():
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
                continue  # a URL (http:, mailto:) or a path of the running site
            path_part, _, anchor = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors_of(linked):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such section)")
    assert broken == []


def test_docs_pointers_in_the_code_lead_to_a_section():
    """Comments say `docs/rules.md#do-not-call`: the page and the section must exist."""
    broken = []
    for name, text in our_text_files():
        for page, anchor in DOC_POINTER.findall(text):
            path = DOCS / page
            if not path.exists():
                broken.append(f"{name}: docs/{page}")
            elif anchor and anchor not in anchors_of(path):
                broken.append(f"{name}: docs/{page}#{anchor}")
    assert broken == []


def test_files_and_tests_named_in_the_docs_exist():
    missing = []
    for page in doc_pages():
        text = page.read_text(encoding="utf-8")
        for file_name, test_name in TEST_REFERENCE.findall(text):
            source = text_of(file_name) if (ROOT / file_name).is_file() else None
            if source is None or not re.search(rf"^\s*(async\s+)?def {test_name}\(", source, re.MULTILINE):
                missing.append(f"{page.name}: {file_name}::{test_name}")
        for span in CODE_SPAN.findall(text):
            path = span.split("::")[0].rstrip(".,:;")
            if not path.startswith(TOP_DIRS) or re.search(r"[*<>{}$]", path):
                continue
            if not (ROOT / path).exists():
                missing.append(f"{page.name}: {path}")
    assert missing == []


def test_api_page_lists_every_endpoint_of_the_schema():
    """docs/api.md is kept in step with the OpenAPI schema served at /api/schema/."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    lines = (DOCS / "api.md").read_text(encoding="utf-8").splitlines()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
        and not any(re.search(rf"\b{method.upper()}\b", line) and f"`{path}`" in line for line in lines)
    ]
    assert len(schema["paths"]) > 30  # the generator found the API
    assert missing == [], "add these endpoints to docs/api.md:\n" + "\n".join(missing)
