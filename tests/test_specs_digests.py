"""A digest of client input cleans it for every injection question, never for a
password or a predictable value (flow/specs.py ``DIGESTS``)."""

from __future__ import annotations

import pytest
from backend_audit.flow import specs
from backend_audit.flow.passwords import HASH_OF, PLAINTEXT

INJECTION_SPECS = [*specs.CROSS_MODULE, specs.SUMMARY, specs.HTML, specs.HTML_ANY,
                   specs.REDIRECT, specs.REDIRECT_ANY, specs.OUTBOUND, specs.FILENAME]


@pytest.mark.parametrize("spec", INJECTION_SPECS, ids=lambda s: s.name)
def test_a_digest_cleans_client_input_for_every_injection_sink(spec) -> None:
    assert specs.DIGESTS <= spec.sanitisers


@pytest.mark.parametrize("spec", [PLAINTEXT, HASH_OF, specs.PREDICTABLE, specs.CREDENTIAL],
                         ids=lambda s: s.name)
def test_a_digest_of_a_password_or_a_guessable_value_stays_what_it_was(spec) -> None:
    # md5(password) is the password-storage defect; md5(time.time()) is as guessable.
    assert not specs.DIGESTS & spec.sanitisers
    assert not spec.sanitiser_qualnames


def test_html_sanitisers_by_qualified_name_do_not_clean_a_redirect_target() -> None:
    assert "bleach.clean" in specs.HTML.sanitiser_qualnames
    assert not specs.REDIRECT.sanitiser_qualnames
