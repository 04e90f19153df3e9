"""The shared taint of the injection checks (flow/taint.py and
flow/guards.py): what carries client input to a sink, and what stops it."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel.context import ModuleContext
from backend_audit.config import Config
from backend_audit.engines.walk import descendants, walk
from backend_audit.flow.taint import Taint, single_segment_params

HEADER = """\
import base64
import os
import re
import subprocess
from urllib.parse import unquote_plus
from flask import Flask, abort, request
app = Flask(__name__)
"""


def _sink_source(body: str, route: str = '@app.post("/x")\ndef view():') -> str | None:
    """Run the taint on the argument of the last ``sink(...)`` call in the handler."""
    source = HEADER + route + "\n" + textwrap.indent(textwrap.dedent(body), "    ")
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    walk(module, cst.CSTVisitor())  # index the module, as the engine does
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][0]
    ctx.function_stack.append(fn)
    sink = [c for c in descendants(fn, cst.Call)
            if isinstance(c.func, cst.Name) and c.func.value == "sink"][-1]
    found = Taint(ctx, at=sink).source(sink.args[0].value)
    return module.code_for_node(found) if found is not None else None


@pytest.mark.parametrize("body", [
    'x = request.form.get("a") or ""\nsink(x)',
    'x = base64.b64decode(request.form["a"]).decode()\nsink(x)',
    'x = unquote_plus(request.args["q"]).encode("utf-8")\nsink(x)',
    'opts = {}\nopts["cmd"] = request.json["cmd"]\nsink(opts["cmd"])',
    'parts = ["ls"]\nparts.append(request.args["dir"])\nsink(" ".join(parts))',
    'name = request.args["n"]\nname = name.strip()\nsink(name)',
    'x = re.sub(r"[;&]", "", request.args["h"])\nsink(x)',
])
def test_carries_input(body: str) -> None:
    assert _sink_source(body) is not None


@pytest.mark.parametrize("body", [
    'x = int(request.form["n"])\nsink(f"tail -n {x}")',
    'x = re.sub(r"[^A-Za-z0-9.-]", "", request.args["h"])\nsink(x)',
    'row = Doc.query.get(request.args["id"])\nsink(row.path)',
    'name = request.args["n"]\nif ".." in name:\n    abort(400)\nsink(name)',
    'name = request.args["n"]\nif not NAME_RE.fullmatch(name):\n    return "bad", 400\nsink(name)',
    'name = request.args["n"]\nif name in ALLOWED:\n    sink(name)',
    'p = os.path.realpath(os.path.join(BASE, request.args["p"]))\n'
    'if not p.startswith(BASE):\n    abort(403)\nsink(p)',
    'name = request.args["n"]\ntry:\n    ipaddress.ip_address(name)\n'
    'except ValueError:\n    abort(400)\nsink(name)',
])
def test_stopped(body: str) -> None:
    assert _sink_source(body) is None


@pytest.mark.parametrize("body", [
    # a check that only looks for emptiness or existence vets nothing
    'name = request.args["n"]\nif not name:\n    abort(400)\nsink(name)',
    'p = request.args["p"]\nif not os.path.exists(p):\n    abort(404)\nsink(p)',
    # the guard's body is the rejected case, and the sink is inside it
    'name = request.args["n"]\nif ".." in name:\n    sink(name)',
    # startswith on a path that was never normalised
    'p = os.path.join(BASE, request.args["p"])\n'
    'if not p.startswith(BASE):\n    abort(403)\nsink(p)',
    # a guard in another branch does not dominate the sink
    'name = request.args["n"]\nif flag:\n    if ".." in name:\n        abort(400)\nelse:\n'
    '    sink(name)',
])
def test_not_a_guard(body: str) -> None:
    assert _sink_source(body) is not None


def test_same_module_helpers() -> None:
    helpers = textwrap.dedent('''\
        def build(host):
            return "ping -c 1 " + host

        def checked(host):
            if not HOST_RE.fullmatch(host):
                raise ValueError(host)
            return "ping -c 1 " + host

        ''')
    route = helpers + '@app.post("/x")\ndef view():'
    assert _sink_source('sink(build(request.form["h"]))', route) is not None
    assert _sink_source('sink(build("localhost"))', route) is None
    assert _sink_source('sink(checked(request.form["h"]))', route) is None


@pytest.mark.parametrize(("path", "single"), [
    ("/files/<name>", {"name"}),
    ("/files/<path:name>", set()),
    ("/files/{name}", {"name"}),
    ("/files/{name:path}", set()),
    ("/files/<int:id>/<slug>", {"id", "slug"}),
])
def test_single_segment_params(path: str, single: set[str]) -> None:
    source = HEADER + f'@app.get("{path}")\ndef view(name=None, id=None, slug=None):\n    pass\n'
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    ctx.function_stack.append([f for f in descendants(module, cst.FunctionDef)][0])
    assert single_segment_params(ctx) == single
