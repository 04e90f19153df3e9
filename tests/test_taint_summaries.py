"""Cross-module taint: needs (flow/taint.py) settled against the function summaries the
collector records (appmodel/collectors/summaries.py, flow/needs.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from backend_audit.appmodel.collectors.summaries import CALL_FACT, RETURNS_FACT
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.config import Config
from backend_audit.discover import discover
from backend_audit.flow.needs import SummaryIndex, names_match
from backend_audit.flow.taint import PARAM, RETURNS, THROUGH, Need
from backend_audit.pipeline import ScanOptions, scan


@pytest.mark.parametrize(("called", "defined", "match"), [
    ("app.services.ping.run", "app.services.ping.run", True),
    ("CTFd.utils.uploads.save", "utils.uploads.save", True),  # scanned below the package
    ("app.services.run", "app.services.ping.run", True),  # re-exported by the package
    ("app.services.run", "app.billing.run", False),
    ("app.services.ping.run", "app.services.ping.stop", False),
])
def test_names_match(called: str, defined: str, match: bool) -> None:
    assert names_match(called, defined) is match


def _index(returns: list[dict], calls: list[dict]) -> SummaryIndex:
    project = ProjectFacts(Config())
    for value in returns:
        project.add(RETURNS_FACT, "x.py", "x", value)
    for value in calls:
        project.add(CALL_FACT, "x.py", "x", value)
    return SummaryIndex(project)


def _param(function: str, index: int, name: str) -> dict:
    return Need(PARAM, function, index, name).to_json()


def test_param_needs_a_caller_passing_input() -> None:
    need = Need(PARAM, "svc.ping", 0, "host")
    calls = [{"callee": "app.svc.ping", "index": 0, "keyword": None, "source": True,
              "needs": [], "clean_for": ["command"]}]
    index = _index([], calls)
    assert index.holds(need, "path")
    assert not index.holds(need, "command")  # the caller quoted it for the shell
    assert not index.holds(Need(PARAM, "svc.ping", 1, "count"), "path")


def test_param_through_a_chain_of_callers() -> None:
    calls = [
        {"callee": "app.storage.remove", "index": 0, "keyword": None, "source": False,
         "needs": [_param("services.discard", 0, "name")], "clean_for": []},
        {"callee": "app.services.discard", "index": None, "keyword": "name",
         "source": True, "needs": [], "clean_for": []},
    ]
    assert _index([], calls).holds(Need(PARAM, "storage.remove", 0, "name"), "path")


def test_returns_and_through() -> None:
    returns = [
        {"name": "wrappers.Values.text", "source": True, "needs": [], "clean_for": []},
        {"name": "helpers.normalise", "source": False,
         "needs": [_param("helpers.normalise", 0, "value")], "clean_for": []},
    ]
    index = _index(returns, [])
    assert index.holds(Need(RETURNS, "app.wrappers.Values.text"), "command")
    assert not index.holds(Need(RETURNS, "app.helpers.normalise"), "command")
    assert index.holds(Need(THROUGH, "app.helpers.normalise", 0, None), "command")
    assert not index.holds(Need(THROUGH, "app.helpers.normalise", 1, None), "command")
    inner = (Need(RETURNS, "app.wrappers.Values.text"),)
    assert index.holds(Need(THROUGH, "app.helpers.normalise", 0, None, inner), "command")
    inner = (Need(RETURNS, "app.wrappers.Values.other"),)
    assert not index.holds(Need(THROUGH, "app.helpers.normalise", 0, None, inner), "command")


def test_whole_scan(tmp_path: Path) -> None:
    """Source in a wrapper module, sink in a service module, route in a third."""
    pkg = tmp_path / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "wrappers.py").write_text(textwrap.dedent('''\
        from flask import request

        def arg(name):
            return request.args.get(name, "")
        '''))
    (pkg / "tools.py").write_text(textwrap.dedent('''\
        import os

        def export(folder):
            return os.system("tar czf /tmp/x.tgz " + folder)

        def status(unit):
            return os.system("systemctl status " + unit)
        '''))
    (pkg / "views.py").write_text(textwrap.dedent('''\
        from flask import Flask

        from shop.tools import export, status
        from shop.wrappers import arg

        app = Flask(__name__)

        @app.get("/export")
        def do_export():
            return {"rc": export(arg("folder"))}

        @app.get("/status")
        def do_status():
            return {"rc": status("nginx")}
        '''))
    report = scan([tmp_path], Config(min_confidence="low"),
                  ScanOptions(jobs=1, select=("BA804",)), discovery=discover([tmp_path]))
    assert {(f.path, f.region.start_line) for f in report.findings} == {("shop/tools.py", 4)}
