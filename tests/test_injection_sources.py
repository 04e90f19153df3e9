"""The one taint evaluator (flow/taint.py, flow/reaching.py, flow/guards.py): what
carries client input to a sink, and what stops it."""

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
import configparser
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
    # loops and comprehensions: a value given later in the loop comes round again
    'line = ""\nfor part in request.args.getlist("p"):\n    sink(line)\n    line = part',
    'sink(" ".join([p.strip() for p in request.form["names"].split(",")]))',
    'steps = {k: v for k, v in request.json.items()}\nsink(steps["cmd"])',
    # an augmented assignment keeps what the name held before
    'line = request.args["q"]\nline += " --quiet"\nsink(line)',
    # containers and objects
    'hosts = set()\nhosts.add(request.form["h"])\nsink(" ".join(hosts))',
    'queue = []\nqueue.insert(0, request.form["h"])\nsink(queue.pop())',
    'cfg = configparser.ConfigParser()\ncfg.set("s", "k", request.form["v"])\n'
    'sink(cfg.get("s", "k"))',
    'job = Job()\njob.cmd = request.form["c"]\nsink(job.cmd)',
    'a, b = request.json["a"], "fixed"\nsink(a)',
    # a branch that runs
    'n = 6\nif 7 * 42 - n > 200:\n    x = request.args["p"]\nelse:\n    x = "fixed"\nsink(x)',
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
    # source order: what a name held before it was given client input
    'line = "ls"\ncopy = line\nline += request.args["q"]\nsink(copy)',
    'x = request.args["q"]\nx = "fixed"\nsink(x)',
    'x = request.args["q"]\nsink(int(x))\nx = x.strip()',
    'job = Job()\njob.label = request.form["c"]\nsink(job.cmd)',
    'a, b = request.json["a"], "fixed"\nsink(b)',
    'opts = {"level": "info"}\nnote = request.json["note"]\nsink(opts.pop("level", "warn"))',
    # equal to a value the server chose
    'token = request.args["t"]\nif token != settings.VERIFY_TOKEN:\n    abort(404)\nsink(token)',
    'mode = request.args["m"]\nif mode == "csv":\n    sink(mode)',
    # a lookup that must find a row before the value is used
    'name = request.args["n"]\nrow = db.fetchone(SQL, {"id": name})\nif not row:\n'
    '    raise LookupError(name)\nsink(name)',
    # branches that never run
    'n = 106\nif 7 * 42 - n > 200:\n    x = request.args["p"]\nelse:\n    x = "fixed"\nsink(x)',
    'x = request.args["p"] if 3 > 5 else "fixed"\nsink(x)',
    'kinds = "ABC"\nmatch kinds[1]:\n    case "A":\n        x = request.args["p"]\n'
    '    case "B":\n        x = "fixed"\nsink(x)',
])
def test_stopped(body: str) -> None:
    assert _sink_source(body) is None


@pytest.mark.parametrize("body", [
    # a check that only looks for emptiness or existence vets nothing
    'name = request.args["n"]\nif not name:\n    abort(400)\nsink(name)',
    'p = request.args["p"]\nif not os.path.exists(p):\n    abort(404)\nsink(p)',
    # the guard's body is the rejected case, and the sink is inside it
    'name = request.args["n"]\nif ".." in name:\n    sink(name)',
    # equal where the branch that leaves is the equal one, or to another client value
    'mode = request.args["m"]\nif mode == "csv":\n    abort(400)\nsink(mode)',
    'a = request.args["a"]\nif a != request.args["b"]:\n    abort(400)\nsink(a)',
    'a = request.args["a"]\nif a != "":\n    sink(a)',
    # a value looked up, where the lookup's receiver is the request: no allow-list
    'row = request.args.get("n")\nif row is None:\n    abort(400)\nsink(row)',
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


def _reach(source: str, function: str, arg: str):
    module = cst.parse_module(source)
    ctx = ModuleContext("app/services.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == function][0]
    ctx.function_stack.append(fn)
    expr = [n for n in descendants(fn, cst.Name) if n.value == arg][-1]
    return Taint(ctx).reach(expr)


def test_needs_for_what_other_functions_decide() -> None:
    source = textwrap.dedent('''\
        import os
        from app.wrappers import RequestValues, read_value

        def run(host, count=1):
            line = f"ping -c {count} {host}"
            os.system(line)

        def from_wrapper():
            form = RequestValues()
            value = form.text("host")
            os.system(value)

        def through(name):
            value = read_value(name)
            os.system(value)
        ''')
    found = _reach(source, "run", "line")
    assert found.source is None
    assert {(n.kind, n.function, n.index, n.name) for n in found.needs} == {
        ("param", "app.services.run", 0, "host"), ("param", "app.services.run", 1, "count")}
    found = _reach(source, "from_wrapper", "value")
    assert {(n.kind, n.function) for n in found.needs} == {
        ("returns", "app.wrappers.RequestValues.text")}
    found = _reach(source, "through", "value")
    assert ("through", "app.wrappers.read_value", 0) in {
        (n.kind, n.function, n.index) for n in found.needs}


def test_class_fields_and_local_objects() -> None:
    source = HEADER + textwrap.dedent('''\
        class Wrapper:
            def __init__(self, value):
                self.value = value
                self.fixed = "ls"

            def command(self):
                return "tool " + self.value

            def safe(self):
                return "tool " + self.fixed

        @app.post("/x")
        def view():
            w = Wrapper(request.form["v"])
            sink(w.command())
            sink(w.safe())
            sink(Wrapper("constant").command())
        ''')
    module = cst.parse_module(source)
    ctx = ModuleContext("app.py", source, module, Config())
    walk(module, cst.CSTVisitor())
    fn = [f for f in descendants(module, cst.FunctionDef) if f.name.value == "view"][0]
    ctx.function_stack.append(fn)
    sinks = [c for c in descendants(fn, cst.Call)
             if isinstance(c.func, cst.Name) and c.func.value == "sink"]
    taint = Taint(ctx)
    assert [taint.source(s.args[0].value) is not None for s in sinks] == [True, False, False]
