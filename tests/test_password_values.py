"""Password values (flow/passwords.py) answered by the one taint evaluator: which values
of a handler hold a plaintext password, which only through a call nothing describes, and
which a hasher turned into something else."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.config import Config
from backend_audit.engines.walk import descendants, walk
from backend_audit.flow.passwords import Kind, PasswordValues

HELPERS = '''
import bcrypt


def hash_password(raw):
    return bcrypt.hashpw(raw.encode(), bcrypt.gensalt())


def fake_hash(raw):
    return "fakehashed" + raw


def tidy(value):
    return value.strip()


def is_long_enough(value):
    return len(value) >= 12
'''


def _kind(body: str, config: Config | None = None) -> Kind | None:
    """The kind of the argument of the last ``sink(...)`` call in ``view``."""
    source = HELPERS + "\n\ndef view(request, password, note):\n" + \
        textwrap.indent(textwrap.dedent(body), "    ")
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, config or Config())
    walk(module, cst.CSTVisitor())  # index the module, as the engine does
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][0]
    ctx.function_stack.append(fn)
    sink = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    return PasswordValues(ctx).kind(sink.args[0].value)


@pytest.mark.parametrize(("body", "kind"), [
    # sources: a password-named parameter, lookup, attribute, WTForms field
    ("sink(password)", Kind.PLAIN),
    ('sink(request.form["password"])', Kind.PLAIN),
    ('sink(request.form.get("new_password"))', Kind.PLAIN),
    ("sink(form.password.data)", Kind.PLAIN),
    ('sink(os.getenv("DB_PASSWORD"))', Kind.PLAIN),
    ('sink(request.form["email"])', None),
    ("sink(note)", None),
    # handed on by string methods, string building and local names
    ("pw = password.strip().encode()\nsink(pw)", Kind.PLAIN),
    ('sink(f"{note}:{password}")', Kind.PLAIN),
    # a tuple of token seeds, one of them the stored password, is no password
    ('seeds = (note, user.password)\nsink(":".join(seeds))', None),
    ('secret = request.json.get("password")\nvalue = secret\nsink(value)', Kind.PLAIN),
    # a call nothing describes hands it on wrapped; a predicate answers something else
    ("sink(legacy_encode(password))", Kind.WRAPPED),
    ("sink(check_strength(password))", None),
    # hashers clean, by name or through a helper of the module
    ("sink(generate_password_hash(password))", None),
    ("sink(hash_password(password))", None),
    ("digest = hash_password(note)\nsink(digest)", None),
    # a password-named local given a hash anywhere holds a hash
    ("password = hash_password(password)\nsink(password)", None),
    ("if note:\n    password = bcrypt.hashpw(password, salt)\nsink(password)", None),
    # a helper is trusted over its name, and its parameters are bound to the arguments
    ("sink(fake_hash(password))", Kind.PLAIN),
    ("sink(tidy(password))", Kind.PLAIN),
    ("sink(tidy(note))", None),
    ("sink(is_long_enough(password))", None),
    # a password-named local holding only placeholders holds none
    ("password = None\nsink(password)", None),
])
def test_password_kind(body: str, kind: Kind | None) -> None:
    assert _kind(body) is kind


def test_taught_hasher() -> None:
    body = "sink(vault_seal(password))"
    assert _kind(body) is Kind.WRAPPED
    assert _kind(body, Config(password_hashers=("vault_seal",))) is None
