"""Applications as units: which folders of a scan are separate applications."""

from __future__ import annotations

import pytest
from backend_audit.appmodel.applications import ScopedFacts, application_scopes
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.config import Config


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
