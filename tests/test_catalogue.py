"""The catalogue: valid, consistent with the checks, the shared checklist and the fixtures."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import backend_audit
import pytest
import yaml
from backend_audit.catalogue import CatalogueError, load_catalogue, load_categories
from backend_audit.checks import check_classes
from backend_audit.engines.semgrep_engine import semgrep_config
from backend_audit.resources import rules_dir

from tests.corpus import expectations, units
from tests.shared_dir import shared_file

RULES = load_catalogue()


def test_catalogue_loads_and_ids_are_unique() -> None:
    assert RULES, "the catalogue is empty"
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_categories_are_a_faithful_copy_of_the_shared_checklist() -> None:
    shared = yaml.safe_load(shared_file("checklist.yaml").read_text(encoding="utf-8"))
    ours = yaml.safe_load((rules_dir() / "categories.yaml").read_text(encoding="utf-8"))
    assert ours["categories"] == shared["categories"]


def test_every_rule_category_is_in_the_checklist() -> None:
    categories = load_categories()
    for rule in RULES:
        assert rule.category in categories, rule.id


def test_id_ranges_follow_categories() -> None:
    order = list(load_categories())
    for rule in RULES:
        block = int(rule.id[2:]) // 100
        assert order[block - 1] == rule.category, f"{rule.id} is outside {rule.category}'s range"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_has_docs(rule) -> None:
    assert rule.docs.why and rule.docs.example and rule.docs.fix and rule.docs.references
    assert rule.docs.example.strip() != rule.docs.fix.strip()
    compile(rule.docs.fix, f"{rule.id}-fix", "exec", dont_inherit=True)


def test_libcst_rules_and_check_classes_match_one_to_one() -> None:
    libcst_ids = {r.id for r in RULES if r.engine == "libcst"}
    assert set(check_classes()) == libcst_ids


def test_a_rule_id_leads_to_its_check_by_its_catalogue_path() -> None:
    # rules/<category>/<rule-name>.yaml -> checks/<category>/<rule_name>.py
    classes = check_classes()
    for rule in RULES:
        if rule.engine != "libcst":
            continue
        expected = (f"backend_audit.checks.{rule.category.replace('-', '_')}."
                    f"{rule.name.replace('-', '_')}")
        assert classes[rule.id].__module__ == expected, rule.id


def test_the_analysis_library_never_imports_a_check() -> None:
    package = Path(backend_audit.__file__).parent
    offenders = []
    for library in ("appmodel", "flow", "sql", "engines"):
        for path in sorted((package / library).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                for name in names:
                    # the engine runs the discovered checks: it may ask for the list
                    if name.startswith("backend_audit.checks") and not (
                            library == "engines" and name == "backend_audit.checks"):
                        offenders.append(f"{path.relative_to(package)}: {name}")
    assert offenders == []


def test_semgrep_rules_have_a_body_and_generate_a_config() -> None:
    config = semgrep_config([r for r in RULES if r.engine == "semgrep"])
    for entry in config["rules"]:
        assert entry["languages"] == ["python"]
        assert any(k.startswith("pattern") for k in entry), entry["id"]


def test_every_rule_has_an_expect_and_an_ok_fixture() -> None:
    marks: dict[str, set[str]] = defaultdict(set)
    for unit in units():
        for kind, items in expectations(unit).by_kind.items():
            for _, _, rid in items:
                marks[rid].add(kind)
    for rule in RULES:
        assert "expect" in marks[rule.id], f"{rule.id} {rule.name} has no '# expect:' fixture"
        assert "ok" in marks[rule.id], f"{rule.id} {rule.name} has no '# ok:' fixture"


def test_annotations_name_real_rules() -> None:
    ids = {r.id for r in RULES}
    for unit in units():
        for items in expectations(unit).by_kind.values():
            for path, line, rid in items:
                assert rid in ids, f"{unit.name}/{path}:{line} names unknown rule {rid}"


def test_fixtures_are_valid_python() -> None:
    for unit in units():
        for file in unit.files():
            ast.parse(file.read_text(encoding="utf-8"), str(file))


def test_a_malformed_rule_is_refused(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text("categories: []\n")
    bad = tmp_path / "sql-injection"
    bad.mkdir()
    (bad / "broken.yaml").write_text("id: BA399\nname: broken\n")
    load_catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueError, match="broken.yaml"):
            load_catalogue(tmp_path)
    finally:
        load_catalogue.cache_clear()
