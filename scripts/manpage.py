#!/usr/bin/env python3
"""Generate the man page `docs/jobtop.1` from the argument parser (argparse-manpage).

    python scripts/manpage.py           write docs/jobtop.1
    python scripts/manpage.py --check   exit 1 if docs/jobtop.1 is not what the parser gives

The page is never edited by hand: the wheel ships it (`share/man/man1/jobtop.1`) and a test
runs `--check`, so it always matches `jobtop --help`. Help text is wrapped at 80 columns
whatever the terminal, so every run gives the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGE = ROOT / "docs" / "jobtop.1"


def render() -> str:
    """The man page text for the current parser."""
    os.environ["COLUMNS"] = "80"  # argparse wraps help text to the terminal width
    from argparse_manpage.manpage import Manpage

    from tui import __version__
    from tui.cli import build_parser

    parser = build_parser()
    page = Manpage(
        parser,
        _data={
            "project_name": "jobtop",
            "version": __version__,
            "date": f"jobtop {__version__}",
            "manual_title": "jobtop manual",
        },
    )
    return str(page).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--check", action="store_true", help="compare instead of writing")
    args = options.parse_args(argv)
    text = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            name = PAGE.relative_to(ROOT)
            print(f"{name} is out of date: run scripts/manpage.py", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
