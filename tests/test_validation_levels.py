"""BA101 confidence levels on the validation fixtures: which findings a user sees by
default (medium/high) and which only at the audit level (``--min-confidence low``).
The fixture annotations say *whether* a line is reported; this says *how surely*."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backend_audit.cli import main
from click.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures" / "validation"


def _levels(target: Path) -> dict[tuple[str, int], str]:
    result = CliRunner().invoke(main, [str(target), "-f", "json", "--no-cache", "-q",
                                       "--fail-on", "never", "--select", "BA101",
                                       "--min-confidence", "low"])
    assert result.exit_code == 0, result.output
    return {(Path(f["path"]).name, f["start_line"]): f["confidence"]
            for f in json.loads(result.output)["findings"]}


@pytest.fixture(scope="module")
def product_search() -> dict[tuple[str, int], str]:
    return _levels(FIXTURES / "flask_product_search")


def test_helper_of_another_module_splicing_sql_text_is_a_default_finding(product_search):
    # search_products / products_by_tag (through _tagged) build SQL text from the value.
    assert product_search[("views.py", 13)] == "medium"
    assert product_search[("views.py", 40)] == "medium"


def test_helper_of_another_module_binding_or_storing_stays_audit_level(product_search):
    assert product_search[("views.py", 20)] == "low"  # bound LIKE parameter
    assert product_search[("views.py", 45)] == "low"  # an INSERT with bound values


def test_presence_checks_are_not_validation():
    levels = _levels(FIXTURES / "drf_key_presence.py")
    # ``"month" in request.data.keys()`` / required-key lists / truthiness: default level.
    assert {levels.get(("drf_key_presence.py", n)) for n in (26, 48, 77)} == {"medium"}
    form = _levels(FIXTURES / "flask_register_nonempty.py")
    assert form.get(("flask_register_nonempty.py", 26)) == "medium"


def test_a_presence_only_check_is_named_in_the_message():
    result = CliRunner().invoke(main, [str(FIXTURES / "drf_key_presence.py"), "-f", "json",
                                       "--no-cache", "-q", "--fail-on", "never",
                                       "--select", "BA101", "--min-confidence", "low"])
    messages = {f["start_line"]: f["message"] for f in json.loads(result.output)["findings"]}
    assert all("only tested for being there" in messages[n] for n in (26, 48, 77))
    form = CliRunner().invoke(main, [str(FIXTURES / "flask_newsletter_files.py"), "-f", "json",
                                     "--no-cache", "-q", "--fail-on", "never",
                                     "--select", "BA101", "--min-confidence", "low"])
    assert not any("being there" in f["message"] for f in json.loads(form.output)["findings"])
