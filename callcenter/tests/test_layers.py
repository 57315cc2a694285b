"""The apps stand in layers: campaigns above scripts above contacts, all on callcenter (the contract
is in pyproject.toml). import-linter checks the import statements; these tests make `make test`
check them too, and refuse what import-linter cannot see: a lower app reaching a higher one's models
through the app registry."""

import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# App -> the apps above it, whose models it must not look up. Tests may set up any app's data.
ABOVE = {
    "callcenter": ["contacts", "scripts", "campaigns"],
    "contacts": ["scripts", "campaigns"],
    "scripts": ["campaigns"],
}


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_lookup_of_a_higher_app_through_the_app_registry():
    found = []
    for app, above in ABOVE.items():
        # apps.get_model("campaigns", "X") and apps.get_model("campaigns.X")
        names = "|".join(above)
        lookup = re.compile(rf"""get_model\(\s*["']({names})["'.]""")
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "tests" in path.relative_to(BASE_DIR).parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if lookup.search(line):
                    found.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    assert not found, "a lower app looks up a higher app's model; pass it as an argument instead:\n" + "\n".join(found)
