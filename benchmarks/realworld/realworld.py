"""Real-code evaluation: unpack the pinned corpus, scan it, score every finding.

    python benchmarks/realworld/realworld.py unpack --mirrors DIR [--into DIR]
    python benchmarks/realworld/realworld.py scan   [--into DIR] [--app NAME ...] [--no-peers]
    python benchmarks/realworld/realworld.py report [--into DIR] [--level L] [--markdown]
                                                    [--misses] [--unjudged FILE]
    python benchmarks/realworld/realworld.py all    --mirrors DIR [--into DIR]

``unpack`` writes each app of manifest.yaml at its pinned commit below ``--into``
(default ``$BACKEND_AUDIT_REALWORLD`` or ``~/.cache/backend-audit-realworld``) from a bare
mirror or clone found in ``--mirrors`` as ``<owner>+<name>/repo``, ``<owner>+<name>``,
``<name>.git`` or ``<name>`` (``git clone --mirror https://github.com/OWNER/NAME`` makes
one). Only the files the tools read are written (Python, configuration, .gitignore, and
the YAML of Semgrep's public rules), never a repository's large binaries.

``scan`` runs backend-audit (JSON, no cache, every confidence level kept) on each app's
``scan`` folder, and beside it Bandit and Semgrep (the public ``python/`` rules of
semgrep-rules at the pinned commit, local files, metrics off) on exactly the files
backend-audit analyses. Results go to ``<into>/results/``.

``report`` keeps backend-audit's findings at or above ``--level`` (default ``medium``, what
a user sees by default; ``low`` is the audit level), matches them to
``judgments/<app>.tsv`` (production apps: TRUE / FALSE / DEBATABLE and why) and to
``labels/<app>.yaml`` (vulnerable apps, labelled blind), and prints per rule and per
category: findings, verdicts, precision, findings per kLOC, recall on the vulnerable apps
(Bandit and Semgrep beside it), precision by confidence, and every finding nobody has
judged yet.

Precision is TRUE / (TRUE + FALSE); DEBATABLE findings are shown but counted on neither
side (the strict figure, DEBATABLE as FALSE, is printed too). A finding hits a label when
its category and path are the label's and its line lies in the label's range, widened by
LINE_SLACK lines on each side.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from bench import _tool  # noqa: E402  (the benchmark's own tool lookup, one copy)

MANIFEST = HERE / "manifest.yaml"
JUDGMENTS = HERE / "judgments"
LABELS = HERE / "labels"
HEADLINE = ("validation", "password-storage", "sql-injection", "error-handling", "pagination")
VERDICTS = ("TRUE", "FALSE", "DEBATABLE")
LINE_SLACK = 2
#: What is unpacked: what backend-audit, Bandit and Semgrep read.
KEEP_SUFFIXES = (".py", ".toml", ".cfg", ".ini", ".gitignore", ".yaml", ".yml")
#: A peer's finding counts for a headline category by its CWE.
CWE_CATEGORY = {
    20: "validation", 89: "sql-injection", 564: "sql-injection",
    256: "password-storage", 257: "password-storage", 259: "password-storage",
    261: "password-storage", 327: "password-storage", 328: "password-storage",
    759: "password-storage", 760: "password-storage", 916: "password-storage",
    798: "password-storage", 521: "password-storage",
    209: "error-handling", 215: "error-handling", 390: "error-handling",
    391: "error-handling", 396: "error-handling", 489: "error-handling",
    497: "error-handling", 703: "error-handling", 754: "error-handling",
    755: "error-handling", 770: "pagination", 400: "pagination",
}


#: Bandit tests whose CWE does not name the checklist category they report on.
BANDIT_CATEGORY = {"B201": "error-handling", "B110": "error-handling",
                   "B112": "error-handling", "B608": "sql-injection", "B611": "sql-injection",
                   "B610": "sql-injection", "B303": "password-storage",
                   "B324": "password-storage"}


@dataclass(frozen=True)
class App:
    name: str
    repo: str
    commit: str
    kind: str
    framework: str
    scan: str


@dataclass(frozen=True)
class Hit:
    """One finding of any tool, path relative to the app's repository root."""
    tool: str
    rule: str
    category: str
    path: str
    line: int
    confidence: str = ""
    severity: str = ""
    message: str = ""


def default_into() -> Path:
    env = os.environ.get("BACKEND_AUDIT_REALWORLD")
    return Path(env) if env else Path.home() / ".cache" / "backend-audit-realworld"


def load_manifest() -> tuple[list[App], dict]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return [App(**a) for a in data["apps"]], data.get("peers", {})


# ------------------------------------------------------------------------ unpack

def _mirror(mirrors: Path, repo: str) -> Path | None:
    owner, name = repo.split("/")
    for cand in (mirrors / f"{owner}+{name}" / "repo", mirrors / f"{owner}+{name}",
                 mirrors / f"{name}.git", mirrors / name):
        if cand.is_dir() and subprocess.run(
                ["git", "--git-dir", str(cand), "rev-parse", "--git-dir"],
                capture_output=True).returncode == 0:
            return cand
    return None


def _git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-c", "core.fsmonitor=", "--git-dir", str(git_dir), *args],
                          input=data, capture_output=True, check=True).stdout


def unpack_commit(git_dir: Path, commit: str, dest: Path, under: str = "") -> int:
    """Writes the wanted files of ``commit`` to ``dest``; blobs the mirror lacks (large
    files left out of a snapshot) are skipped. Returns the number of files written."""
    listing = _git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit,
                   *([under] if under else []))
    wanted: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split()
        name = path.decode("utf-8", "surrogateescape")
        if kind == b"blob" and mode != b"120000" and name.endswith(KEEP_SUFFIXES):
            wanted.append((sha.decode(), name))
    if not wanted:
        return 0
    checks = _git(git_dir, "cat-file", "--batch-check",
                  data="".join(f"{sha}\n" for sha, _ in wanted).encode()).decode().splitlines()
    present = [(sha, name) for (sha, name), check in zip(wanted, checks, strict=True)
               if not check.endswith("missing")]
    blobs = _git(git_dir, "cat-file", "--batch",
                 data="".join(f"{sha}\n" for sha, _ in present).encode())
    pos = 0
    for _, name in present:
        header_end = blobs.index(b"\n", pos)
        size = int(blobs[pos:header_end].split()[2])
        body = blobs[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return len(present)


def cmd_unpack(args: argparse.Namespace) -> None:
    apps, peers = load_manifest()
    into: Path = args.into
    targets = [(a.name, a.repo, a.commit, "") for a in apps if _selected(a, args)]
    rules = peers.get("semgrep-rules")
    if rules:
        targets.append(("semgrep-rules", rules["repo"], rules["commit"], rules["rules"]))
    missing = []
    for name, repo, commit, under in targets:
        dest = into / "apps" / name
        stamp = dest / ".realworld-commit"
        if stamp.exists() and stamp.read_text().strip() == commit:
            continue
        git_dir = _mirror(args.mirrors, repo)
        if git_dir is None:
            missing.append(repo)
            continue
        if dest.exists():
            shutil.rmtree(dest)
        count = unpack_commit(git_dir, commit, dest, under)
        stamp.write_text(commit + "\n")
        print(f"{name}: {count} files at {commit[:10]}", file=sys.stderr)
    if missing:
        sys.exit("no mirror for: " + ", ".join(missing)
                 + f" (clone them into {args.mirrors}: git clone --mirror URL)")


# -------------------------------------------------------------------------- scan

def _selected(app: App, args: argparse.Namespace) -> bool:
    return not getattr(args, "app", None) or app.name in args.app


def _analysed_files(root: Path) -> list[str]:
    from backend_audit.discover import discover
    found = discover([root], skip_tests=True)
    return sorted(p for p, _ in found.files)


def _run_json(cmd: list[str], cwd: Path) -> dict:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.exit(f"realworld: {cmd[0]} gave no JSON (exit {done.returncode}):\n"
                 f"{done.stderr[-2000:]}")


def cmd_scan(args: argparse.Namespace) -> None:
    apps, _ = load_manifest()
    results = args.into / "results"
    results.mkdir(parents=True, exist_ok=True)
    rules_dir = args.into / "apps" / "semgrep-rules" / "python"
    for app in apps:
        if not _selected(app, args):
            continue
        root = args.into / "apps" / app.name
        target = root / app.scan
        if not target.is_dir():
            sys.exit(f"realworld: {target} is missing; run `unpack` first")
        out = results / f"{app.name}.backend-audit.json"
        # Every level is kept; ``report --level`` picks the floor a user would set.
        subprocess.run([_tool("backend-audit"), str(target), "-f", f"json:{out}",
                        "--no-cache", "--fail-on", "never", "-q", "--min-confidence", "low"],
                       cwd=root, check=True, stdin=subprocess.DEVNULL)
        files = _analysed_files(target)
        lines = sum(_code_lines(Path(f)) for f in files)
        (results / f"{app.name}.size.json").write_text(json.dumps(
            {"files": len(files), "lines": lines}))
        print(f"{app.name}: {len(files)} files, {lines} lines", file=sys.stderr)
        if args.no_peers or not files:
            continue
        rel = [os.path.relpath(f, root) for f in files]
        bandit = _run_json([_tool("bandit"), "-f", "json", "-q", *rel], root)
        (results / f"{app.name}.bandit.json").write_text(json.dumps(bandit))
        semgrep = _run_json([_tool("semgrep"), "scan", "--config", str(rules_dir), "--json",
                             "--metrics", "off", "--disable-version-check", "--quiet",
                             "--no-git-ignore", "--timeout", "30", *rel], root)
        (results / f"{app.name}.semgrep.json").write_text(json.dumps(semgrep))


def _code_lines(path: Path) -> int:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if line.strip())


# ------------------------------------------------------------------------ report

def _prefix(app: App, path: str) -> str:
    return path if app.scan in ("", ".") else f"{app.scan.rstrip('/')}/{path}"


def _cwe_category(cwes: Iterable[int]) -> str:
    for cwe in cwes:
        if cwe in CWE_CATEGORY:
            return CWE_CATEGORY[cwe]
    return "other"


def _cwe_numbers(value: object) -> list[int]:
    out: list[int] = []
    for item in value if isinstance(value, list) else [value]:
        text = str(item.get("id", "") if isinstance(item, dict) else item)
        digits = text.upper().removeprefix("CWE-").split(":")[0].strip()
        if digits.isdigit():
            out.append(int(digits))
    return out


def _relative(path: str) -> str:
    return path[2:] if path.startswith("./") else path


LEVELS = ("low", "medium", "high")


def load_hits(app: App, results: Path, level: str = "medium") -> dict[str, list[Hit]]:
    """Each tool's findings; backend-audit's at or above the confidence ``level``."""
    hits: dict[str, list[Hit]] = {}
    ours = results / f"{app.name}.backend-audit.json"
    if ours.exists():
        data = json.loads(ours.read_text())
        floor = LEVELS.index(level)
        hits["backend-audit"] = [
            Hit("backend-audit", f["rule_id"], f["category"], _prefix(app, f["path"]),
                f["start_line"], f["confidence"], f["severity"], f["message"])
            for f in data["findings"]
            if not f["suppressed"] and LEVELS.index(f["confidence"]) >= floor]
    bandit = results / f"{app.name}.bandit.json"
    if bandit.exists():
        hits["bandit"] = [
            Hit("bandit", r["test_id"], BANDIT_CATEGORY.get(r["test_id"]) or
                _cwe_category(_cwe_numbers(r.get("issue_cwe"))),
                _relative(r["filename"]), r["line_number"], r["issue_confidence"].lower(),
                r["issue_severity"].lower(), r["issue_text"])
            for r in json.loads(bandit.read_text())["results"]]
    semgrep = results / f"{app.name}.semgrep.json"
    if semgrep.exists():
        hits["semgrep"] = [
            Hit("semgrep", r["check_id"].rsplit(".", 1)[-1],
                _cwe_category(_cwe_numbers(r["extra"].get("metadata", {}).get("cwe", []))),
                _relative(r["path"]), r["start"]["line"], "",
                r["extra"].get("severity", "").lower(),
                r["extra"].get("message", ""))
            for r in json.loads(semgrep.read_text())["results"]]
    return hits


def load_judgments() -> dict[tuple[str, str, str, int], tuple[str, str]]:
    out: dict[tuple[str, str, str, int], tuple[str, str]] = {}
    for path in sorted(JUDGMENTS.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                verdict = row["verdict"].strip().upper()
                if verdict not in VERDICTS:
                    sys.exit(f"{path.name}: bad verdict {row['verdict']!r}")
                out[(row["app"], row["rule"], row["path"], int(row["line"]))] = (
                    verdict, row["why"])
    return out


@dataclass(frozen=True)
class Label:
    app: str
    category: str
    path: str
    line: int
    end_line: int
    why: str

    def hit_by(self, hit: Hit) -> bool:
        return (hit.category == self.category and hit.path == self.path
                and self.line - LINE_SLACK <= hit.line <= self.end_line + LINE_SLACK)


def load_labels() -> list[Label]:
    out: list[Label] = []
    for path in sorted(LABELS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["labels"]:
            out.append(Label(data["app"], item["category"], item["path"], int(item["line"]),
                             int(item.get("end_line") or item["line"]), item.get("why", "")))
    return out


def _precision(t: int, f: int) -> str:
    return f"{t / (t + f):.2f}" if t + f else "-"


def _table(rows: list[list[str]], header: list[str], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths))]
                     + [fmt.format(*r) for r in rows])


def cmd_report(args: argparse.Namespace) -> None:
    apps, _ = load_manifest()
    results = args.into / "results"
    judgments = load_judgments()
    labels = load_labels()
    md = args.markdown
    per_rule: dict[str, Counter] = defaultdict(Counter)
    per_cat: dict[str, Counter] = defaultdict(Counter)
    per_conf: dict[str, Counter] = defaultdict(Counter)
    per_app_rows: list[list[str]] = []
    unjudged: list[tuple[str, Hit]] = []
    recall: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    peer_counts: dict[str, Counter] = defaultdict(Counter)
    vuln_extra: Counter = Counter()
    kloc = {"production": 0.0, "vulnerable": 0.0}
    for app in apps:
        size_file = results / f"{app.name}.size.json"
        if not size_file.exists():
            print(f"(not scanned: {app.name})", file=sys.stderr)
            continue
        size = json.loads(size_file.read_text())
        kloc[app.kind] += size["lines"] / 1000
        hits = load_hits(app, results, args.level)
        ours = hits.get("backend-audit", [])
        for tool, found in hits.items():
            peer_counts[tool][app.kind] += len(found)
        verdicts: Counter = Counter()
        app_labels = [lab for lab in labels if lab.app == app.name]
        for hit in ours:
            key = (app.name, hit.rule, hit.path, hit.line)
            if app.kind == "vulnerable" and any(lab.hit_by(hit) for lab in app_labels):
                verdict = "TRUE"
            elif key in judgments:
                verdict = judgments[key][0]
            else:
                unjudged.append((app.name, hit))
                verdict = "UNJUDGED"
            if app.kind == "vulnerable":
                vuln_extra[verdict] += 1
                continue
            verdicts[verdict] += 1
            per_rule[hit.rule][verdict] += 1
            per_cat[hit.category][verdict] += 1
            per_conf[hit.confidence][verdict] += 1
        if app.kind == "production":
            per_app_rows.append([app.name, app.framework, str(size["files"]),
                                 f"{size['lines'] / 1000:.1f}", str(len(ours)),
                                 str(verdicts["TRUE"]), str(verdicts["FALSE"]),
                                 str(verdicts["DEBATABLE"]), str(verdicts["UNJUDGED"]),
                                 _precision(verdicts["TRUE"], verdicts["FALSE"])])
        for lab in app_labels:
            for tool in ("backend-audit", "bandit", "semgrep"):
                if tool in hits:
                    found = any(lab.hit_by(h) for h in hits[tool])
                    recall[tool][lab.category]["hit" if found else "miss"] += 1
            if args.misses and not any(lab.hit_by(h) for h in ours):
                print(f"MISS {app.name} {lab.category} {lab.path}:{lab.line} {lab.why}")
    rule_meta = _rule_meta()
    out: list[str] = []
    total = Counter()
    for c in per_rule.values():
        total.update(c)
    out.append(f"backend-audit at --min-confidence {args.level}"
               f"{' (the default)' if args.level == 'medium' else ''}")
    out.append("")
    out.append(f"## Production corpus: {len(per_app_rows)} apps, "
               f"{kloc['production']:.1f} kLOC analysed, "
               f"{sum(total.values())} findings "
               f"({sum(total.values()) / max(kloc['production'], 1e-9):.2f} per kLOC)")
    out.append("")
    out.append(_table(per_app_rows, ["app", "framework", "files", "kLOC", "findings", "TRUE",
                                     "FALSE", "DEBATABLE", "unjudged", "precision"], md))
    out.append("")
    out.append(f"Overall precision TRUE/(TRUE+FALSE): {_precision(total['TRUE'], total['FALSE'])}"
               f"; strict (DEBATABLE as FALSE): "
               f"{_precision(total['TRUE'], total['FALSE'] + total['DEBATABLE'])}")
    out.append("")
    rows = []
    for rule in sorted(per_rule, key=lambda r: (rule_meta.get(r, ("", ""))[0], r)):
        c = per_rule[rule]
        cat, conf = rule_meta.get(rule, ("?", "?"))
        rows.append([rule, cat, conf, str(sum(c.values())), str(c["TRUE"]), str(c["FALSE"]),
                     str(c["DEBATABLE"]), str(c["UNJUDGED"]), _precision(c["TRUE"], c["FALSE"])])
    out.append(_table(rows, ["rule", "category", "confidence", "findings", "TRUE", "FALSE",
                             "DEBATABLE", "unjudged", "precision"], md))
    out.append("")
    rows = [[cat, str(sum(c.values())), str(c["TRUE"]), str(c["FALSE"]), str(c["DEBATABLE"]),
             _precision(c["TRUE"], c["FALSE"])] for cat, c in sorted(per_cat.items())]
    out.append(_table(rows, ["category", "findings", "TRUE", "FALSE", "DEBATABLE",
                             "precision"], md))
    out.append("")
    rows = [[conf, str(sum(c.values())), _precision(c["TRUE"], c["FALSE"])]
            for conf, c in sorted(per_conf.items())]
    out.append(_table(rows, ["confidence", "findings", "precision"], md))
    out.append("")
    out.append(f"## Vulnerable apps: {kloc['vulnerable']:.1f} kLOC, "
               f"{sum(len([lab for lab in labels if lab.app == a.name]) for a in apps)} "
               f"blind labels")
    out.append("")
    rows = []
    for cat in HEADLINE:
        row = [cat, str(sum(recall["backend-audit"][cat].values()))]
        for tool in ("backend-audit", "bandit", "semgrep"):
            c = recall[tool][cat]
            n = c["hit"] + c["miss"]
            row.append(f"{c['hit'] / n:.2f}" if n else "-")
        rows.append(row)
    macro = []
    for tool in ("backend-audit", "bandit", "semgrep"):
        vals = [recall[tool][cat]["hit"] / (recall[tool][cat]["hit"] + recall[tool][cat]["miss"])
                for cat in HEADLINE if recall[tool][cat]["hit"] + recall[tool][cat]["miss"]]
        macro.append(f"{sum(vals) / len(vals):.2f}" if vals else "-")
    rows.append(["macro", "", *macro])
    out.append(_table(rows, ["category", "labels", "backend-audit", "bandit", "semgrep"], md))
    out.append("")
    out.append(f"backend-audit findings on the vulnerable apps: {sum(vuln_extra.values())}; "
               f"on a label or judged TRUE: {vuln_extra['TRUE']}, FALSE: {vuln_extra['FALSE']}, "
               f"DEBATABLE: {vuln_extra['DEBATABLE']}, unjudged: {vuln_extra['UNJUDGED']}; "
               f"precision {_precision(vuln_extra['TRUE'], vuln_extra['FALSE'])}")
    out.append("")
    rows = [[tool, str(c["production"]),
             f"{c['production'] / max(kloc['production'], 1e-9):.2f}", str(c["vulnerable"])]
            for tool, c in sorted(peer_counts.items())]
    out.append(_table(rows, ["tool", "findings (production)", "per kLOC",
                             "findings (vulnerable)"], md))
    print("\n".join(out))
    if unjudged:
        print(f"\n{len(unjudged)} findings not judged yet:")
        lines = [f"{app}\t{h.rule}\t{h.path}\t{h.line}\t\t{h.message[:160]}"
                 for app, h in unjudged]
        print("\n".join(lines))
        if args.unjudged:
            args.unjudged.write_text("app\trule\tpath\tline\tverdict\twhy\n"
                                     + "\n".join(lines) + "\n", encoding="utf-8")


def _rule_meta() -> dict[str, tuple[str, str]]:
    from backend_audit.catalogue import load_catalogue
    return {r.id: (r.category, str(r.confidence))
            for r in load_catalogue()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("unpack", "scan", "report", "all"):
        p = sub.add_parser(name)
        p.add_argument("--into", type=Path, default=default_into())
        if name in ("unpack", "all"):
            p.add_argument("--mirrors", type=Path, required=True)
        if name in ("unpack", "scan", "all"):
            p.add_argument("--app", action="append")
        if name in ("scan", "all"):
            p.add_argument("--no-peers", action="store_true")
        if name in ("report", "all"):
            p.add_argument("--markdown", action="store_true")
            p.add_argument("--level", choices=LEVELS, default="medium",
                           help="backend-audit's confidence floor, as --min-confidence")
            p.add_argument("--misses", action="store_true",
                           help="list every label backend-audit misses")
            p.add_argument("--unjudged", type=Path,
                           help="also write the unjudged findings as a TSV to fill in")
    args = parser.parse_args(argv)
    if args.command in ("unpack", "all"):
        cmd_unpack(args)
    if args.command in ("scan", "all"):
        cmd_scan(args)
    if args.command in ("report", "all"):
        cmd_report(args)


if __name__ == "__main__":
    main()
