"""What the code in a ``try`` touches, read from its text: the program's data (a
database, file writes, the network, child processes, dynamic code) or only local files
and machine state. Used to weigh a failure that a broad except swallows. Defines no
rule."""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.engines.walk import descendants

# Operations whose failure a broad except hides: the database (ORM lookups with
# criteria, writes, cursors), file writes, networks, subprocesses and dynamic code.
# ``remove`` deletes a file only as ``os.remove(path)`` (a Mongo collection's
# ``remove({...})`` deletes documents); ``items.remove(x)`` or lxml's
# ``parent.remove(child)`` edit a structure in memory.
DATA_OPERATION = re.compile(
    r"\.get\(\w+=|\bobjects\.|\.(query|session)\.|\.(filter|filter_by)\(|"
    r"\.(save|delete|create|get_or_create|get_by_natural_key|"
    r"execute|executemany|commit|flush|refresh_from_db|bulk_create)\(|\bcursor\b|"
    r"\bopen\([^)\n]*['\"][wax+]|\.(write|unlink|rmdir|mkdir|rename)\(|"
    r"\bos\.remove\(|\.remove\(\s*\{|"
    r"\b(tarfile|zipfile|shutil|subprocess)\.|\b(exec|eval|execfile)\(|\brequests\.|"
    r"\bhttpx\.|urlopen|\.request\(|\bRequest\(|\.verify\w*\(|\.send\w*\(|"
    r"connection\w*\(")
# Reading a local file: the builtin ``open``, a file module's ``open``, ``path.open()``
# and ``.read()``. ``Image.open(upload)`` parses an object already in hand.
_LOCAL_READ = re.compile(r"(?<![\w.])open\(|\b(io|os|codecs|gzip|bz2|lzma)\.open\(|"
                         r"\.open\(\s*[)'\"]|\.read\(")

# Reading an optional local file and parsing it (a manifest, a config.json), or reading
# kernel state (``/proc/<pid>/stat`` of a process that may have exited, ``/sys`` entries
# of optional hardware): a missing or malformed file falls back to a default by design.
_FILE_READ = re.compile(r"\bopen\([^)\n]*\)|\.read(_text|_bytes)?\(")
_PARSE = re.compile(r"\b(json|yaml|toml|tomllib|tomli|configparser|ini)\w*\.|\.load\w*\(")
_KERNEL_STATE = re.compile(r"""["'](/proc|/sys)/""")
# What a child process wrote to stderr is diagnostics, not a result.
_STDERR_READ = re.compile(r"\.stderr\.read\w*\(")


# A fixed command run for what it prints (``["dmidecode", "-t", "system"]`` with
# ``capture_output=True``, ``check_output(["lsb_release", "-ds"])``) asks the machine
# what it is, like reading ``/proc``; it is not an operation on the program's data.
_QUERY_RUNNERS = frozenset({"subprocess.check_output", "subprocess.getoutput",
                            "subprocess.getstatusoutput"})


def _fixed_query(call: cst.Call, imports: ImportMap) -> bool:
    name = imports.qualname(call.func) or ""
    if name not in _QUERY_RUNNERS and name != "subprocess.run" or not call.args or \
            call.args[0].keyword is not None:
        return False
    argv = call.args[0].value
    if not (isinstance(argv, cst.SimpleString) or isinstance(argv, (cst.List, cst.Tuple)) and
            all(isinstance(e.value, cst.SimpleString) for e in argv.elements)):
        return False
    return name in _QUERY_RUNNERS or any(
        a.keyword is not None and a.keyword.value in ("capture_output", "stdout") and
        not (isinstance(a.value, cst.Name) and a.value.value in ("False", "None"))
        for a in call.args)


def _one_space(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def touches_data(code: str) -> bool:
    """A database, a file write, the network, a child process or dynamic code."""
    return bool(DATA_OPERATION.search(code))


# Reading the database: lookups, queries, a session's or cursor's reads, and the
# connection a session hands out to run them. ``execute`` reads only SQL that selects.
_DB_READ = re.compile(r"\.(session|db)\.connection\(|\b(session|db)\.connection\(|"
                      r"\.get\(\w+=|\bobjects\.|\.(query|session)\.|\.(filter|filter_by)\(|"
                      r"\.(get_by_natural_key|refresh_from_db)\(|\bcursor\b")
_DB_WRITE = re.compile(r"\.(save|delete|create|get_or_create|update_or_create|bulk_create|"
                       r"bulk_update|commit|flush|add|add_all|merge|insert|update|"
                       r"delete_many|insert_one|insert_many|update_one|update_many)\(")
_EXECUTE = re.compile(r"\.(execute|executemany)\(")
_SELECTS = re.compile(r"(?i)\bselect\b")
_CHANGES = re.compile(r"(?i)\b(insert|update|delete|merge|upsert|create|drop|alter|truncate|"
                      r"grant|copy|vacuum|lock)\b")


def writes_or_calls_out(code: str) -> bool:
    """Data as in ``touches_data``, less reading the database: a write, a file write,
    the network, a child process or dynamic code. A fallback around a read only answers
    "found nothing" where the read may already answer that."""
    if not touches_data(code):
        return False
    if _DB_WRITE.search(code):
        return True
    if _EXECUTE.search(code) and not (_SELECTS.search(code) and not _CHANGES.search(code)):
        return True
    # Reads chain (``Model.objects.filter(...)``): a match swallows the dot the next
    # one starts with, so strip until none is left.
    rest, previous = code, None
    while rest != previous:
        previous, rest = rest, _DB_READ.sub(".", rest)
    return touches_data(_EXECUTE.sub("(", rest))


def operates_on_resources(code: str) -> bool:
    """Data as above, or a local file that is neither optional configuration nor
    kernel state."""
    if touches_data(code):
        return True
    code = _STDERR_READ.sub("", code)
    if _PARSE.search(code) or _KERNEL_STATE.search(code):
        code = _FILE_READ.sub("", code)
    return bool(_LOCAL_READ.search(code))


def operation_text(body: cst.BaseSuite, module: cst.Module, imports: ImportMap) -> str:
    """The source of ``body``, less the fixed commands it runs for their output."""
    code = module.code_for_node(body)
    queries = [c for c in descendants(body, cst.Call) if _fixed_query(c, imports)]
    if queries:
        # A call's continuation lines are indented relative to its context: compare the
        # texts with runs of white space made one.
        code = _one_space(code)
        for call in queries:
            code = code.replace(_one_space(module.code_for_node(call)), "")
    return code
