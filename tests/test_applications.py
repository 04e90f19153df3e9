"""Applications as units: which folders of a scan are separate applications."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from backend_audit.appmodel.applications import ScopedFacts, application_scopes
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan


@pytest.mark.parametrize(("markers", "scopes"), [
    # one application (the usual scan): facts are not divided
    ({""}, []),
    ({"app"}, []),
    # manage.py at the root and the app package below it: one Django project
    ({"", "app"}, []),
    # a services folder: each service is its own unit, up to the folder they share
    ({"services/billing", "services/notify/api"}, ["services/billing", "services/notify"]),
    # nested markers of one service stay one application
    ({"svc/a", "svc/a/worker", "svc/b"}, ["svc/a", "svc/b"]),
    # demos side by side, each below its own folder
    ({"blog/blog_app", "chat/chat_app"}, ["blog", "chat"]),
])
def test_application_scopes(markers: set[str], scopes: list[str]) -> None:
    assert application_scopes(markers) == scopes


def test_facts_of_one_application_do_not_reach_another_but_shared_code_reaches_all() -> None:
    project = ProjectFacts(Config())
    project.add("web_app", "billing/main.py", "billing.main", {"framework": "fastapi"})
    project.add("web_app", "notify/main.py", "notify.main", {"framework": "fastapi"})
    project.add("error_handler", "billing/main.py", "billing.main", {"family": "asgi"})
    project.add("error_handler", "shared/errors.py", "shared.errors", {"family": "any"})
    scoped = ScopedFacts(project, ["billing/main.py", "notify/main.py", "shared/errors.py"])
    assert scoped.scopes == ["billing", "notify"]
    notify = scoped.for_path("notify/main.py")
    assert [f.path for f in notify.get("error_handler")] == ["shared/errors.py"]
    billing = scoped.for_path("billing/main.py")
    assert sorted(f.path for f in billing.get("error_handler")) == ["billing/main.py",
                                                                    "shared/errors.py"]
    # code outside every application sees everything
    assert len(scoped.for_path("shared/errors.py").get("error_handler")) == 2


# Fixture applications of different frameworks whose app-wide facts conflict: error
# handlers (Flask, FastAPI middleware, Django), DRF pagination defaults, security headers,
# logging configuration.
UNITS = [
    "error-handling/flask_no_handlers", "error-handling/flask_blueprint_handlers",
    "error-handling/fastapi_no_handlers", "error-handling/fastapi_middleware_app",
    "error-handling/django_shop", "error-handling/aiohttp_retry_only",
    "error-handling/microframeworks_handled", "pagination/drf_default_without_page_size",
    "pagination/django_blog", "cors-headers/django_intranet", "cors-headers/flask_dashboard",
]


def test_one_scan_of_several_apps_reports_the_union_of_scanning_each_alone(
        tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    options = ScanOptions(jobs=1)
    alone: set[tuple[str, str, int]] = set()
    for unit in UNITS:
        dest = tmp_path / "services" / unit.replace("/", "__")
        shutil.copytree(fixtures / unit, dest)
        report = scan([dest], Config(min_confidence="low"), options)
        alone |= {(f"{dest.name}/{f.path}", f.rule_id, f.region.start_line)
                  for f in report.findings}
    report = scan([tmp_path / "services"], Config(min_confidence="low"), options)
    together = {(f.path, f.rule_id, f.region.start_line) for f in report.findings}
    assert alone, "the fixture apps have findings of their own"
    assert together == alone


def test_an_app_level_finding_names_its_application_when_a_scan_holds_several() -> None:
    tree = Path(__file__).parent / "fixtures" / "error-handling" / "services_monorepo"
    report = scan([tree], Config(min_confidence="low"), ScanOptions(select=("BA401",),
                                                                     jobs=1))
    assert [(f.path, f.message.endswith("(application in notify/)"))
            for f in report.findings] == [("notify/main.py", True)]
    # one application: messages as they were
    report = scan([tree / "notify"], Config(min_confidence="low"),
                  ScanOptions(select=("BA401",), jobs=1))
    assert [f.message.endswith("/)") for f in report.findings] == [False]


def test_every_finding_carries_its_application_in_json_and_sarif(tmp_path: Path) -> None:
    import json

    from backend_audit.reporters import json as json_report
    from backend_audit.reporters import sarif

    fixtures = Path(__file__).parent / "fixtures"
    for unit in ("error-handling/django_shop", "pagination/django_blog"):
        shutil.copytree(fixtures / unit, tmp_path / "services" / unit.split("/")[1])
    (tmp_path / "services" / "common").mkdir()
    (tmp_path / "services" / "common" / "db.py").write_text(
        "import sqlite3\n\n\ndef find(conn, name):\n"
        "    return conn.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n")
    report = scan([tmp_path / "services"], Config(min_confidence="low"), ScanOptions(jobs=1))
    apps = {f.path: f.application for f in report.findings}
    assert apps["common/db.py"] is None  # shared by both applications
    owned = {p: a for p, a in apps.items() if not p.startswith("common/")}
    assert set(owned.values()) == {"django_shop", "django_blog"}
    assert all(p.startswith(f"{a}/") for p, a in owned.items())
    data = json.loads(json_report.render(report))
    assert {(f["path"], f["application"]) for f in data["findings"]} == set(apps.items())
    results = json.loads(sarif.render(report))["runs"][0]["results"]
    assert {r["properties"].get("application") for r in results} == \
        {None, "django_shop", "django_blog"}
    # one application in the scan: the folder it is configured in ("." for the root)
    report = scan([tmp_path / "services" / "django_blog"], Config(min_confidence="low"),
                  ScanOptions(jobs=1))
    assert report.findings
    assert {f.application for f in report.findings} == {"newsroom"}
    report = scan([tmp_path / "services" / "django_blog" / "newsroom"],
                  Config(min_confidence="low"), ScanOptions(jobs=1))
    assert {f.application for f in report.findings} == {"."}


def test_shared_code_is_judged_in_each_application_that_reaches_it(tmp_path: Path) -> None:
    # common/accounts.py is registered by the shop (default limits) and the kiosk (none);
    # common/staff.py only by the shop.
    tree = Path(__file__).parent / "fixtures" / "rate-limiting" / "shared_login_two_apps"
    options = ScanOptions(select=("BA1001",), jobs=1)
    report = scan([tree], Config(min_confidence="low"), options)
    assert [(f.path, f.application) for f in report.findings] == [("common/accounts.py",
                                                                   "kiosk")]
    assert report.findings[0].message.endswith("(application in kiosk/; not shop/)")
    # each application alone with the shared modules it imports: the finding is the kiosk's
    reaches = {"kiosk": ["__init__.py", "accounts.py", "db.py"],
               "shop": ["__init__.py", "accounts.py", "db.py", "staff.py"]}
    for app, expected in (("kiosk", [("common/accounts.py", 14)]), ("shop", [])):
        shutil.copytree(tree / app, tmp_path / app / app)
        (tmp_path / app / "common").mkdir()
        for name in reaches[app]:
            shutil.copy(tree / "common" / name, tmp_path / app / "common" / name)
        alone = scan([tmp_path / app], Config(min_confidence="low"), options)
        assert [(f.path, f.region.start_line) for f in alone.findings] == expected


def _two_services(texts: dict[str, str]) -> ScopedFacts:
    project = ProjectFacts(Config())
    for app in ("billing", "notify"):
        project.add("web_app", f"{app}/main.py", f"{app}.main", {"framework": "flask"})
    project.add("error_handler", "billing/main.py", "billing.main", {"family": "flask"})
    return ScopedFacts(project, sorted(texts), read=texts.get)


def test_shared_module_reached_through_imports_relative_ones_and_other_shared_modules() -> None:
    scoped = _two_services({
        "billing/main.py": "from lib.web import views\nfrom lib import reports\n",
        "notify/main.py": "import lib.hooks as hooks\n",
        "lib/__init__.py": "",
        "lib/web/__init__.py": "",
        "lib/web/views.py": "from ..helpers import (\n    slugify,\n)\n",
        "lib/helpers.py": "",
        "lib/hooks.py": "from .helpers import slugify\n",
        "lib/reports.py": "",
        "lib/unused.py": "",
    })
    assert scoped.reached_by("lib/web/views.py") == ("billing",)
    assert scoped.reached_by("lib/reports.py") == ("billing",)
    assert scoped.reached_by("lib/hooks.py") == ("notify",)
    assert scoped.reached_by("lib/helpers.py") == ("billing", "notify")
    assert scoped.reached_by("lib/unused.py") == ()
    assert scoped.application_of("lib/web/views.py") == "billing"
    assert scoped.application_of("lib/helpers.py") is None


def test_a_verdict_holds_where_the_applications_facts_leave_it_standing() -> None:
    scoped = _two_services({
        "billing/main.py": "from lib import views, helpers\n",
        "notify/main.py": "from lib import views\n",
        "lib/views.py": "", "lib/helpers.py": "", "lib/unused.py": "",
    })

    def unhandled(facts: ProjectFacts) -> str | None:
        return None if facts.has("error_handler") else "no handler"

    # reached by both: holds only in the application without a handler, and says so
    verdict = scoped.judge("lib/views.py", unhandled)
    assert verdict is not None
    assert (verdict.kept, verdict.application, verdict.note) == (
        "no handler", "notify", "(application in notify/; not billing/)")
    # reached by the application with a handler only: judged there, nothing holds
    assert scoped.judge("lib/helpers.py", unhandled) is None
    # reached by none: judged in each, holds in the one without
    verdict = scoped.judge("lib/unused.py", unhandled)
    assert verdict is not None and verdict.application == "notify"
    # a finding whatever the facts: shared by both, no single application
    verdict = scoped.judge("lib/views.py", lambda facts: "always")
    assert verdict is not None and (verdict.application, verdict.note) == (None, None)
    # code of one application is judged in that application only
    assert scoped.judge("billing/main.py", unhandled) is None
    verdict = scoped.judge("notify/main.py", unhandled)
    assert verdict is not None and (verdict.application, verdict.note) == ("notify", None)
