"""The README's tables of environment variables, written from their declaration.

    python -m entrypoints.readme_tables          # rewrite the tables in README.md
    python -m entrypoints.readme_tables --check  # exit 1 when README.md differs (a test runs this check)

Each table sits between ``<!-- variables:<section> -->`` and ``<!-- /variables:<section> -->``.
A variable declared without a description shares the row of the one before it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from entrypoints.settings import default_of
from entrypoints.variables import VARIABLES, Variable

README = Path(__file__).resolve().parents[1] / "README.md"
HEADERS = {"main": ("Variable", "Default", "Meaning"), "timeouts": ("Variable", "Default", "Call → budget")}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def _default(variable: Variable) -> str:
    return variable.default_text if variable.default_text is not None else _value(default_of(variable))


def _rows(section: str) -> list[list[Variable]]:
    rows: list[list[Variable]] = []
    for variable in VARIABLES:
        if variable.section != section:
            continue
        if variable.doc is None and rows:
            rows[-1].append(variable)
        else:
            rows.append([variable])
    return rows


def render(section: str) -> str:
    """One section's table, as Markdown lines."""
    lines = ["| " + " | ".join(HEADERS[section]) + " |", "|---|---|---|"]
    for row in _rows(section):
        defaults = [_default(v) for v in row]
        default = defaults[0] if len(set(defaults)) == 1 else " / ".join(defaults)
        names = " / ".join(f"`{v.env}`" for v in row)
        lines.append(f"| {names} | {default} | {row[0].doc or ''} |")
    return "\n".join(lines) + "\n"


def _marked(section: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- variables:{section} -->\n)(.*?)(<!-- /variables:{section} -->)", re.S)


def updated(readme: str) -> str:
    """``readme`` with every marked table replaced by its rendering."""
    for section in HEADERS:
        pattern = _marked(section)
        match = pattern.search(readme)
        if match is None:
            raise ValueError(f"README has no <!-- variables:{section} --> table")
        readme = readme[:match.start(2)] + render(section) + readme[match.end(2):]
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="report a difference instead of writing")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = updated(current)
    if args.check:
        if wanted != current:
            print("README.md's variable tables differ from entrypoints/variables.py: "
                  "run python -m entrypoints.readme_tables", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
