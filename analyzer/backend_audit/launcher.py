"""The ``backend-audit`` command's entry point.

Importing the command line takes a moment (click, libcst, jsonschema); a Ctrl-C in that
moment must end like one during the scan (``cli.EXIT_INTERRUPTED``), not with a
traceback from whichever module was being imported.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from backend_audit.cli import main as command
    except KeyboardInterrupt:
        sys.stderr.write("\nbackend-audit: interrupted\n")
        sys.exit(130)
    command()
