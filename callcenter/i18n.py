"""Translations without system tools: .po fragments compiled to .mo in pure Python (polib),
and a finder for strings that are marked for translation but have no Japanese yet."""

import re
from pathlib import Path

import polib
from django.conf import settings

# Every file in <locale>/<lang>/LC_MESSAGES/*.po is a fragment of the "django" domain, one per
# area of the product, so several people can add strings without editing the same file.
JS_PREFIX = "djangojs"


def locale_dirs() -> list[Path]:
    return [Path(p) for p in settings.LOCALE_PATHS]


def compile_all() -> list[Path]:
    written = []
    for base in locale_dirs():
        for messages_dir in sorted(base.glob("*/LC_MESSAGES")):
            fragments = sorted(p for p in messages_dir.glob("*.po") if not p.name.startswith(JS_PREFIX))
            if not fragments:
                continue
            merged = polib.POFile()
            merged.metadata = {"Content-Type": "text/plain; charset=UTF-8", "MIME-Version": "1.0"}
            seen = {}
            for fragment in fragments:
                for entry in polib.pofile(str(fragment)):
                    if entry.obsolete or not (entry.msgstr or entry.msgstr_plural):
                        continue
                    key = (entry.msgctxt, entry.msgid)
                    if key in seen:
                        continue
                    seen[key] = entry
                    merged.append(entry)
            target = messages_dir / "django.mo"
            merged.save_as_mofile(str(target))
            written.append(target)
    return written


def catalog(language: str = "ja") -> set[str]:
    ids = set()
    for base in locale_dirs():
        for fragment in (base / language / "LC_MESSAGES").glob("*.po"):
            for entry in polib.pofile(str(fragment)):
                if entry.msgstr or entry.msgstr_plural:
                    ids.add(entry.msgid)
    return ids


_PY = re.compile(
    r"""\b(?:_|gettext|gettext_lazy|pgettext_lazy\([^,]+,)\(\s*(?P<q>["'])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)\s*[,)]"""
)
_TPL = re.compile(r"""{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<s>(?:(?!(?P=q)).)+)(?P=q)""")
_BLOCK = re.compile(r"{%\s*blocktrans(?:late)?(?P<args>[^%]*)%}(?P<s>.*?){%\s*endblocktrans(?:late)?\s*%}", re.S)
_BLOCK_VAR = re.compile(r"{{\s*(\w+)\s*}}")


def marked_strings(root: Path) -> dict[str, str]:
    """msgid -> first file that marks it, for project sources under root."""
    found: dict[str, str] = {}
    skip = {".venv", ".local", "node_modules", "staticfiles", "migrations", "tests", "bench"}
    for path in root.rglob("*"):
        if any(part in skip for part in path.relative_to(root).parts) or not path.is_file():
            continue
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            for m in _PY.finditer(text):
                found.setdefault(
                    m.group("s").encode().decode("unicode_escape") if "\\" in m.group("s") else m.group("s"), str(path)
                )
        elif path.suffix in {".html", ".txt"}:
            text = path.read_text(encoding="utf-8")
            for m in _TPL.finditer(text):
                found.setdefault(m.group("s"), str(path))
            for m in _BLOCK.finditer(text):
                if "plural" in m.group("s") or "count" in m.group("args"):
                    continue  # plural forms are checked by hand
                msgid = _BLOCK_VAR.sub(r"%(\1)s", m.group("s"))
                if "trimmed" in m.group("args"):
                    msgid = " ".join(line.strip() for line in msgid.strip().splitlines())
                found.setdefault(msgid, str(path))
    return found


def untranslated(root: Path, language: str = "ja") -> dict[str, str]:
    known = catalog(language)
    return {msgid: where for msgid, where in marked_strings(root).items() if msgid not in known}
