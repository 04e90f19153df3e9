"""The catalogue loader's shortcuts (libyaml, one validator) change nothing it reports."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from backend_audit.catalogue import RULE_SCHEMA, CatalogueError, _parse_yaml, load_catalogue
from backend_audit.resources import rules_dir


def test_rule_schema_is_a_valid_schema() -> None:
    jsonschema.validators.validator_for(RULE_SCHEMA).check_schema(RULE_SCHEMA)


def test_fast_yaml_reads_every_catalogue_file_as_pyyaml_does() -> None:
    for path in sorted(rules_dir().rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert _parse_yaml(text) == yaml.safe_load(text), path


def test_invalid_yaml_is_worded_as_pyyaml_words_it() -> None:
    text = "id: BA399\nname: [unclosed\n"
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as ours:
        _parse_yaml(text)
    assert str(ours.value) == str(pure.value)


@pytest.mark.parametrize("body", [
    "id: BA399\nname: broken\n",
    "id: BA9x\nname: Bad Name\ncategory: 3\n",
    "- a list\n",
])
def test_schema_errors_are_the_ones_jsonschema_validate_raises(tmp_path: Path,
                                                               body: str) -> None:
    (tmp_path / "categories.yaml").write_text("categories: []\n")
    (tmp_path / "sql-injection").mkdir()
    (tmp_path / "sql-injection" / "broken.yaml").write_text(body)
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(yaml.safe_load(body), RULE_SCHEMA)
    where = "/".join(str(p) for p in expected.value.absolute_path) or "(top)"
    load_catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueError) as got:
            load_catalogue(tmp_path)
    finally:
        load_catalogue.cache_clear()
    assert str(got.value).endswith(f"broken.yaml: {where}: {expected.value.message}")
