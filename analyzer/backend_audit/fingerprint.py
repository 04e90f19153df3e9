"""Fingerprints that survive code moving up or down a file."""

from __future__ import annotations

import hashlib
from collections import Counter

from backend_audit.findings import Finding


def normalise(text: str) -> str:
    return " ".join(text.split())


def assign_fingerprints(findings: list[Finding], line_text) -> list[Finding]:
    """``line_text(path, line) -> str``. Fingerprint = rule, path, normalised line text and
    the occurrence number of that triple, so identical lines get distinct prints."""
    from dataclasses import replace

    counts: Counter[tuple[str, str, str]] = Counter()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        text = normalise(line_text(f.path, f.region.start_line))
        key = (f.rule_id, f.path, text)
        occurrence = counts[key]
        counts[key] += 1
        # surrogatepass: a file name that is not UTF-8 reaches here surrogate-escaped.
        digest = hashlib.sha256(
            "\x1f".join((f.rule_id, f.path, text, str(occurrence))).encode("utf-8",
                                                                           "surrogatepass")
        ).hexdigest()[:32]
        out.append(replace(f, fingerprint=digest))
    return out
