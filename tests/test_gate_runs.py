"""Case-insensitive gate words are looked for in the lower-cased runs of word characters
of a file (engines/gates.py); for ASCII text those come from the runs of the text
itself, lower-cased. Both ways answer as a search of the lower-cased text."""

from __future__ import annotations

import re

import pytest
from backend_audit.engines.gates import GateText

SAMPLES = [
    "SECRET_KEY = 'x'\nApiKey = 1\n",
    "class LoginView(View):\n    TOKEN_TTL = 60  # Pass-Word\n",
    "x=1;Y=2\r\nZ_z=3",
    "",
    # lower-casing changes the runs: a dotted capital I, a capital sharp s, a title-case
    # digraph, a Kelvin sign
    "SİGNİNG_KEY = 'x'\nẞ_TOKEN = 1\nǅ_PASSWD = 2\nK_TEMP = 3\n",
    "größe = STRAẞE_ID\n",
]
WORDS = ["secret_key", "apikey", "token", "pass", "word", "key", "x", "y", "z_z", "signing",
         "siğ", "i̇", "ß_token", "ss_token", "ǆ_passwd", "passwd", "k_temp", "straße", "e_id",
         "größe", "ni"]


@pytest.mark.parametrize("text", SAMPLES)
def test_lower_cased_runs_answer_as_the_lower_cased_text(text: str) -> None:
    gates = GateText(text)
    lowered = text.lower()
    for word in WORDS:
        if re.fullmatch(r"\w+", word):
            assert (word in gates._runs_of(True)) is (word in lowered), (word, text)


@pytest.mark.parametrize("text", SAMPLES)
def test_case_insensitive_gates_answer_as_re_search(text: str) -> None:
    for pattern in ("(?i)secret|token|apikey", "(?i)passw(?:or)?d|signing", "(?i)straße|ni",
                    "(?i)k_temp|ǆ_passwd"):
        expected = re.search(pattern, text, re.MULTILINE) is not None
        assert GateText(text).matches(pattern) is expected, (pattern, text)
