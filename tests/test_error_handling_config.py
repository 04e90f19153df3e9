"""Users can teach BA401 their own handler-installing helper (``error_handlers``)."""

from __future__ import annotations

from pathlib import Path

from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

APP = '''\
from flask import Flask
from platform_web.errors import install_error_handlers

from billing.api import api_bp


def create_app():
    app = Flask(__name__)
    app.register_blueprint(api_bp)
    install_error_handlers(app)
    return app
'''


def _ba401_lines(root: Path, config: Config) -> list[int]:
    report = scan([root], config, ScanOptions(select=("BA401",), jobs=1))
    return [f.region.start_line for f in report.findings if f.rule_id == "BA401"]


def _teach(names: tuple[str, ...]) -> Config:
    # Read like the other teach-keys; falls back to Config.extra until config.py has the key.
    if "error_handlers" in Config.__dataclass_fields__:
        return Config(**{"error_handlers": names})
    return Config(extra=(("error_handlers", names),))


def test_untaught_helper_leaves_the_app_reported(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _ba401_lines(tmp_path, Config()) == [8]


def test_taught_helper_counts_as_an_error_handler(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _ba401_lines(tmp_path, _teach(("platform_web.errors.install_error_handlers",))) == []


def test_bare_helper_name_is_enough(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _ba401_lines(tmp_path, _teach(("install_error_handlers",))) == []


def test_teaching_another_name_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _ba401_lines(tmp_path, _teach(("setup_logging",))) == [8]
