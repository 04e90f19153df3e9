"""What counts as a source, a sanitiser and a propagator: data for the one taint evaluator.

Defines no rule. A ``Spec`` is the taint evaluator's (flow/taint.py) whole configuration
for one kind of question, in the spirit of CodeQL's ``*Customizations`` modules: its
sources (``Sources``: client input read from the request; the client-chosen name of an
uploaded file; an uploaded file itself; a value named like a secret), the calls that
clean a value for that question (``sanitisers`` by name or qualified name, a
``sanitiser_pattern`` over callee names, ``stops`` for shapes such as
``Markup("<b>{}</b>").format(x)``), the calls that hand a value on (``passthrough``,
``wrappers``) and which guards count (``Guarding``). The per-vulnerability specs are
at the end of this module; sink tables live with their vulnerability in
``flow/sinks.py``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from backend_audit.appmodel.imports import ImportMap
from backend_audit.appmodel.names import last_name, name_words, string_value
from backend_audit.appmodel.requests import request_input
from backend_audit.flow.guards import BAD_FRAGMENTS, PATH_FRAGMENTS, SHELL_FRAGMENTS
from backend_audit.flow.picks import PICKS, picks_existing_item

if TYPE_CHECKING:
    from backend_audit.flow.taint import Taint

# ---------------------------------------------------------------------- propagators
# A digest of a value has a shape the client does not choose: hex text, raw bytes or a
# name-based UUID, never ``../``, a quote or ``;`` (``hashlib.md5(name).hexdigest()``,
# ``hmac.digest(key, msg, "sha256")``, ``uuid.uuid5(NS, name)``; base64 of a digest stays
# one). It cleans for every injection sink. Not for passwords: a fast digest of a
# password is the password-storage defect itself (flow/passwords.py's specs clean with
# nothing), and not for predictable values (the digest of the clock is as guessable).
DIGESTS = frozenset({"hexdigest", "digest", "file_digest", "uuid3", "uuid5"})
# Calls whose result no longer carries the raw input for any sink we check.
SANITISERS = frozenset({
    "secure_filename", "safe_join", "escape", "clean", "quote", "int", "float", "bool", "uuid4",
    "uuid1", "basename_safe", "get_valid_filename", "slugify", "len",
    "conditional_escape", "strip_tags", "urlencode", *DIGESTS,
})
# Sanitisers that hold for every sink: numbers, digests, identifiers, filenames of
# letters and digits (used where the sink is not known yet: function summaries).
UNIVERSAL_SANITISERS = frozenset({
    "secure_filename", "int", "float", "bool", "uuid4", "uuid1", "get_valid_filename",
    "slugify", "len", *DIGESTS,
})
# HTML sanitisers by qualified name, whatever the local name (``from nh3 import clean as
# sanitize``): their result is markup with only allowed tags and attributes left.
HTML_SANITISER_CALLS = frozenset({
    "bleach.clean", "nh3.clean", "lxml.html.clean.clean_html", "lxml_html_clean.clean_html",
})
# HTML escaping: it cleans for a page and nothing else.
HTML_ESCAPES = frozenset({"escape", "clean", "conditional_escape", "strip_tags",
                          "escape_for_html", "html_escape"})
# Calls that hand (part of) an argument or their receiver through to their result.
PASSTHROUGH = frozenset({
    "str", "join", "format", "Path", "PurePath", "abspath", "normpath", "realpath",
    "expanduser", "lower", "upper", "strip", "lstrip", "rstrip", "replace", "decode",
    "encode", "b64decode", "urlsafe_b64decode", "unquote", "loads", "get", "getlist",
    "dict", "list", "tuple", "bytes", "split", "read", "resolve", "joinpath",
    "with_suffix", "format_map", "model_dump", "items", "values",
    # decoding and encoding
    "b64encode", "urlsafe_b64encode", "b32decode", "b32encode", "b16decode", "b16encode",
    "a85decode", "b85decode", "decodestring", "decodebytes", "encodestring", "encodebytes",
    "unquote_plus", "unquote_to_bytes", "unhexlify", "a2b_base64", "fromhex", "bytearray",
    "quote_from_bytes",
    # string and path shaping
    "removeprefix", "removesuffix", "casefold", "title", "capitalize", "zfill", "rsplit",
    "partition", "rpartition", "splitlines", "dirname", "fspath", "fsdecode", "fsencode",
    "absolute", "with_name", "with_stem", "as_posix", "expandvars", "PurePosixPath",
    "PosixPath", "WindowsPath", "PureWindowsPath", "pop", "setdefault", "keys", "copy",
    "to_dict", "getvalue", "ljust", "rjust", "center", "sub", "translate", "sorted",
    "reversed", "set", "frozenset", "deepcopy", "getone", "popitem",
    # ``html.unescape(x)``, ``Markup(x).unescape()``/``.striptags()``: entities become
    # characters again (``&lt;script&gt;`` is ``<script>``, ``&#46;&#46;/`` is ``../``)
    "unescape", "striptags",
})
# Methods whose result comes from their receiver, not from their arguments:
# ``Doc.query.get(doc_id)`` is a row, not the id (``get``/``pop`` also return a default).
RECEIVER_ONLY = frozenset({
    "get", "getlist", "pop", "setdefault", "items", "values", "keys", "copy", "to_dict",
    "read", "split", "rsplit", "partition", "rpartition", "splitlines", "lower", "upper",
    "strip", "lstrip", "rstrip", "decode", "encode", "getvalue", "casefold", "title",
    "capitalize", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center",
    "translate", "getone", "popitem",
})
# Of those, the ones whose second argument is a default the result may be.
WITH_DEFAULT = frozenset({"get", "pop", "setdefault", "getone"})
# ``[^A-Za-z0-9_.-]+``: a negated class of word characters, dots and dashes only (no
# ``/``, no ``\s``, no ``$``).
_KEEP_ONLY = re.compile(r"\[\^(?:\\[wd]|[A-Za-z0-9_. -])+\][+*]?")


def allow_list_substitution(call: cst.Call, imports: ImportMap) -> bool:
    """``re.sub(r"[^A-Za-z0-9_.-]", "", name)``: every character outside an allow-list
    is dropped (a pattern listing bad characters instead is no sanitiser)."""
    if imports.qualname(call.func) != "re.sub" or len(call.args) < 3:
        return False
    pattern = string_value(call.args[0].value)
    return pattern is not None and _KEEP_ONLY.fullmatch(pattern) is not None and \
        string_value(call.args[1].value) in ("", "_", "-")


# Third-party packages whose functions are not the project's: a call of one is no
# function summary to look for (the standard library is never the project's either).
LIBRARY_PACKAGES = frozenset({
    "flask", "quart", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "django",
    "rest_framework", "ninja", "fastapi", "starlette", "pydantic", "aiohttp", "sanic",
    "tornado", "falcon", "pyramid", "bottle", "litestar", "sqlalchemy", "sqlmodel",
    "alembic", "flask_sqlalchemy", "flask_login", "flask_wtf", "wtforms", "flask_restful",
    "flask_restx", "flask_smorest", "marshmallow", "webargs", "celery", "kombu", "redis",
    "requests", "httpx", "urllib3", "boto3", "botocore", "structlog", "sentry_sdk", "jwt",
    "passlib", "bcrypt", "argon2", "cryptography", "yaml", "orjson", "ujson", "simplejson",
    "dateutil", "pytz", "arrow", "pendulum", "attr", "attrs", "click", "typer", "numpy",
    "pandas", "PIL", "lxml", "defusedxml", "ldap3", "ldap", "pymongo", "motor", "bson",
    "psycopg2", "psycopg", "asyncpg", "pymysql", "MySQLdb", "aiosqlite", "graphene",
    "strawberry", "ariadne", "stripe", "babel", "flask_babel", "six", "typing_extensions",
    "opentelemetry", "prometheus_client", "tenacity", "pytest", "mock",
})


# ---------------------------------------------------------------------- sources
class Verdict(enum.Enum):
    SOURCE = "source"  # the expression is a source
    CLEAN = "clean"  # the expression carries nothing: do not look inside it


class Sources:
    """Decides, before the evaluator looks inside an expression, whether it is a source
    (``Verdict.SOURCE``), known clean (``Verdict.CLEAN``) or neither (None)."""

    #: Parameters of route handlers are client input (request sources only).
    route_params: bool = False

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        raise NotImplementedError


@dataclass(frozen=True)
class RequestSources(Sources):
    """Client input read from the request (``request.args["x"]``, ``await
    request.json()``, ``request.query_string``...) and route parameters. ``stop_kinds``:
    parts of the request that do not count (headers and cookies, which no link sets);
    ``stop_referer``: a ``Referer`` header does not count either."""

    stop_kinds: frozenset[str] = frozenset()
    stop_referer: bool = False
    route_params: bool = True

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        kind = request_input(expr, taint.ctx.imports)
        if kind is None:
            return Verdict.SOURCE if query_string_read(expr) else None
        if kind in self.stop_kinds or (self.stop_referer and _names_referer(expr)):
            return Verdict.CLEAN
        return Verdict.SOURCE


def query_string_read(expr: cst.BaseExpression) -> bool:
    """``request.rel_url.query.get("x")`` / ``request.url.query`` (aiohttp, Starlette) and
    ``request.query_string`` (Flask, raw bytes): query-string reads ``request_input``
    does not list."""
    while isinstance(expr, (cst.Subscript, cst.Call)):
        if isinstance(expr, cst.Call):
            if not (isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
                    "get", "getone", "getall", "getlist", "decode")):
                return False
            expr = expr.func.value
        else:
            expr = expr.value
    if not (isinstance(expr, cst.Attribute) and expr.attr.value in ("query", "query_string")):
        return False
    owner = expr.value
    if isinstance(owner, cst.Attribute) and owner.attr.value in ("rel_url", "url"):
        owner = owner.value
    elif expr.attr.value != "query_string":
        return False  # ``request.query`` is already a source (aiohttp)
    return isinstance(owner, cst.Name) and owner.value in ("request", "req")


def _names_referer(expr: cst.BaseExpression) -> bool:
    """``request.headers.get("Referer")`` / ``request.META["HTTP_REFERER"]``."""
    from backend_audit.engines.walk import descendants

    return any("referer" in (string_value(node) or "").lower()
               for node in descendants(expr, cst.SimpleString))


def upload_read(expr: cst.BaseExpression, imports: ImportMap) -> bool:
    """``request.files["doc"]``, ``request.FILES.get("doc")``, Tornado's
    ``self.request.files["doc"][0]``: an uploaded file read from the request."""
    if request_input(expr, imports) == "files":
        return True
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("get", "getlist"):
        expr = expr.func.value
    return isinstance(expr, cst.Attribute) and expr.attr.value in ("FILES", "files")


@dataclass(frozen=True)
class UploadSources(Sources):
    """An uploaded file: read from the request (see ``upload_read``); parameters typed
    as an upload are the evaluator's (``Taint(params=...)``)."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        return Verdict.SOURCE if upload_read(expr, taint.ctx.imports) else None


def _holds_upload(expr: cst.BaseExpression, taint: Taint) -> bool:
    """Is ``expr`` (following names) an uploaded file read from the request?"""
    from backend_audit.flow.taint import Taint

    return Taint(taint.ctx, UPLOAD, params=(), scope=taint.root.fn).source(expr) is not None


@dataclass(frozen=True)
class FilenameSources(Sources):
    """The name the client gave an uploaded file: ``FileStorage.filename`` (Flask,
    Quart), ``UploadFile.filename`` (FastAPI, Starlette, Litestar), Bottle's
    ``raw_filename``, ``UploadedFile.name`` of Django's ``request.FILES`` (and Sanic's
    ``File.name``), Tornado's ``self.request.files["f"][0]["filename"]``. Any other
    attribute or item is something else (``upload.content_type``)."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in ("filename", "raw_filename"):
                return Verdict.SOURCE
            if expr.attr.value == "name" and _holds_upload(expr.value, taint):
                return Verdict.SOURCE
            return Verdict.CLEAN
        if isinstance(expr, cst.Subscript):
            index = expr.slice[0].slice if len(expr.slice) == 1 else None
            if isinstance(index, cst.Index) and string_value(index.value) == "filename" and \
                    _holds_upload(expr.value, taint):
                return Verdict.SOURCE
            return Verdict.CLEAN
        return None


SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "apikey",
                          "authorization", "credentials", "passphrase", "otp", "cvv",
                          "pin"})
KEY_QUALIFIERS = frozenset({"api", "secret", "private", "signing", "access"})


def is_secret_name(name: str) -> bool:
    words = name_words(name)
    if not words:
        return False
    return words[-1] in SECRET_WORDS or (
        words[-1] == "key" and len(words) > 1 and words[-2] in KEY_QUALIFIERS)


_FIELD_READS = frozenset({"get", "pop", "getlist", "setdefault", "getone"})
# First words of calls that do something to a secret and return a verdict, a status or
# nothing (``check_password``, ``reset_password``, ``send_token``), not the secret.
_ACTS_ON_SECRET = frozenset({"check", "verify", "validate", "reset", "change", "update",
                             "set", "send", "forgot", "revoke", "delete", "remove", "clear",
                             "expire", "invalidate", "is", "has", "hash"})


@dataclass(frozen=True)
class SecretSources(Sources):
    """A value named like a secret: a variable, attribute, dictionary key or call
    (``create_access_token(user)``, ``headers.get("Authorization")``). Other
    attributes and items of an object are other values (``user.email``)."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.Name):
            return Verdict.SOURCE if is_secret_name(expr.value) else None
        if isinstance(expr, cst.Attribute):
            return Verdict.SOURCE if is_secret_name(expr.attr.value) else Verdict.CLEAN
        if isinstance(expr, cst.Subscript):
            if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
                key = string_value(expr.slice[0].slice.value)
                if key is not None:
                    return Verdict.SOURCE if is_secret_name(key) else Verdict.CLEAN
            return Verdict.CLEAN
        if isinstance(expr, cst.Call):
            callee = last_name(expr.func) or ""
            if callee and is_secret_name(callee):
                if name_words(callee)[0] in _ACTS_ON_SECRET:
                    return None  # reset_password(user_id) returns how it went
                return Verdict.SOURCE  # create_access_token(user), user.rotate_api_key()
            if isinstance(expr.func, cst.Attribute) and callee in _FIELD_READS:
                # ``headers.get("Authorization")`` is one; ``credentials.get("username")``
                # or a claim of a token (``id_token.get(CLAIM)``) is another value
                key = string_value(expr.args[0].value) if expr.args else None
                return Verdict.SOURCE if key is not None and is_secret_name(key) else \
                    Verdict.CLEAN
            if isinstance(expr.func, cst.Attribute) and callee == "keys":
                return Verdict.CLEAN  # the field names of a token, not its value
        return None


# ---------------------------------------------------------------------- the spec
class Guarding(enum.Enum):
    DOMINATING = "dominating"  # a guard before the sink on its path (flow/guards.py)
    ANYWHERE = "anywhere"  # a check of the value anywhere in the function
    NONE = "none"  # checking the value does not make it safe (an XML document)


@dataclass(frozen=True)
class Spec:
    """One question's sources, sanitisers and propagators."""

    name: str
    sources: Sources = field(default_factory=RequestSources)
    sanitisers: frozenset[str] = SANITISERS
    sanitiser_qualnames: frozenset[str] = frozenset()
    sanitiser_pattern: re.Pattern[str] | None = None
    # Shapes that clean what they hold (``Markup("<b>{}</b>").format(x)``).
    stops: tuple[Callable[[cst.BaseExpression], bool], ...] = ()
    passthrough: frozenset[str] = PASSTHROUGH
    receiver_only: frozenset[str] = RECEIVER_ONLY
    wrappers: frozenset[str] = frozenset()  # calls whose result holds their arguments
    guards: Guarding = Guarding.DOMINATING
    # What a test may look for in a value to vet it (``".." in name``: a path).
    guard_fragments: tuple[str, ...] = BAD_FRAGMENTS
    attributes: frozenset[str] | None = None  # None: any attribute of a source is one
    string_building: bool = True
    # ``name = escape(name)`` anywhere in the function replaces the name's value.
    replaced_by_transform: bool = False
    # Project functions of other modules may carry the value (function summaries).
    across_modules: bool = True
    # A call nothing above describes hands its arguments on, as a weaker reach
    # (``Reach.wrapped``): ``store(encrypt_legacy(password))`` still holds the password.
    opaque_calls: bool = False
    # List, tuple, set and dict displays and comprehensions hold what their items hold
    # (a password's tuple of token seeds is no password).
    containers: bool = True

    def but(self, **changes: object) -> Spec:
        return replace(self, **changes)  # type: ignore[arg-type]


def _markup_escaped(expr: cst.BaseExpression) -> bool:
    """``Markup("<b>{}</b>").format(x)``, ``Markup("<b>%s</b>") % x`` and
    ``Markup("<b>") + x`` escape ``x``: Markup's operators escape their operands."""
    def is_markup(e: cst.BaseExpression) -> bool:
        return isinstance(e, cst.Call) and last_name(e.func) in ("Markup", "SafeString",
                                                                  "SafeText")

    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value in ("format", "format_map", "join"):
        return is_markup(expr.func.value)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        return is_markup(expr.left)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return is_markup(expr.left) or is_markup(expr.right)
    return False


def _drops_quotes(expr: cst.BaseExpression) -> bool:
    """``name.replace("'", "")``: the value can no longer close a quoted XPath literal."""
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and
            expr.func.attr.value == "replace"):
        return False
    old = string_value(expr.args[0].value) if expr.args else None
    return old is not None and ("'" in old or '"' in old)


# The most characters of a value that hold no more than one ``..`` step (``/../``): once a
# name precedes them they stay in its folder, alone they reach the parent at most (as a
# single URL segment may: flow/taint.py ``single_segment_params``).
_FEW_CHARACTERS = 4


def _no_traversal_left(expr: cst.BaseExpression) -> bool:
    """``name.split(".")[-1]``, ``name.rsplit(".", 1)[1]``, ``os.path.splitext(name)[1]``:
    the text after a name's last dot holds no ``..``; ``name[-4:]``: a few characters."""
    if not isinstance(expr, cst.Subscript) or len(expr.slice) != 1:
        return False
    part = expr.slice[0].slice
    if isinstance(part, cst.Slice):
        return part.step is None and _slice_length(part) is not None
    index = _integer(part.value)
    value = expr.value
    if index is None or not isinstance(value, cst.Call):
        return False
    callee = last_name(value.func)
    if callee == "splitext":
        return index in (1, -1)
    if callee not in ("split", "rsplit") or not isinstance(value.func, cst.Attribute) or \
            not value.args or string_value(value.args[0].value) != ".":
        return False
    once = callee == "rsplit" and len(value.args) == 2 and _integer(value.args[1].value) == 1
    return index == -1 or (once and index == 1)


def _slice_length(part: cst.Slice) -> int | None:
    """The most characters ``[-4:]``, ``[:3]``, ``[2:5]`` or ``[-5:-1]`` keeps, when few."""
    lower = _integer(part.lower) if part.lower is not None else 0
    upper = _integer(part.upper) if part.upper is not None else None
    if lower is None or (part.upper is not None and upper is None):
        return None
    if upper is None:  # ``[-4:]``
        length = -lower if lower < 0 else None
    elif (lower >= 0) == (upper >= 0) and not (lower < 0 and upper == 0):
        length = max(upper - lower, 0)  # ``[2:5]``, ``[-5:-1]``
    else:
        length = None
    return length if length is not None and length <= _FEW_CHARACTERS else None


def _integer(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        return int(expr.value)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and \
            isinstance(expr.expression, cst.Integer):
        return -int(expr.expression.value)
    return None


# A URL scheme still being written: ``"http" + x`` becomes ``https://...``.
_SCHEME_SO_FAR = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_ENDED = re.compile(r"[/\\]{2}[^/\\?#@]+[/\\?#]")


def fixes_origin(prefix: str) -> bool:
    """Does a URL starting with this literal text stay on a host chosen by the code?"""
    if not prefix:
        return False
    if prefix[0] in "/\\":
        return len(prefix) >= 2 and prefix[1] not in "/\\"  # a path, not ``//host``
    if prefix[0] in "?#":
        return True
    if _SCHEME_SO_FAR.fullmatch(prefix):
        return False  # ``"http" + x``: x may finish the scheme
    scheme = _SCHEME.match(prefix)
    if scheme is None:
        return True  # a relative path (``orders/``, ``page?x=``)
    rest = prefix[scheme.end():]
    if rest[:1] in ("/", "\\"):
        return bool(_HOST_ENDED.match(rest))  # ``https://example.com/`` but not ``https://``
    return bool(rest)  # ``mailto:x`` ...; a bare ``https:`` takes ``//host`` next


def _origin_fixed(expr: cst.BaseExpression) -> bool:
    """``f"/orders/{x}"``, ``"?cursor=" + x``: text whose literal start keeps a URL on a
    host the code chose, whatever follows (an open redirect needs the scheme or host)."""
    while isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        expr = expr.left
    if isinstance(expr, cst.FormattedString):
        first = expr.parts[0] if expr.parts else None
        prefix = first.value if isinstance(first, cst.FormattedStringText) else None
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            expr.func.attr.value == "format":
        template = string_value(expr.func.value)
        prefix = template.split("{", 1)[0] if template is not None else None
    elif isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        template = string_value(expr.left)
        prefix = template.split("%", 1)[0] if template is not None else None
    else:
        prefix = string_value(expr)
    return prefix is not None and fixes_origin(prefix)


# ---------------------------------------------------------------------- per vulnerability
# Any client input, default sanitisers: the base every injection spec narrows.
INJECTION = Spec("injection")
# What function summaries record: cleaned only by what cleans for every sink.
SUMMARY = Spec("summary", sanitisers=UNIVERSAL_SANITISERS)
# HTML escaping keeps ``;``, ``|``, ``$(...)`` and ``../``: for a command line, a path or
# code it hands the value on as it is.
COMMAND = Spec(
    "command",
    sanitisers=(SANITISERS - HTML_ESCAPES) | {
        "quote_plus", "ip_address", "ip_network", "ip_interface", "IPv4Address",
        "IPv6Address"},
    sanitiser_qualnames=frozenset({"shlex.join", "shlex.quote", "pipes.quote"}),
    passthrough=PASSTHROUGH | HTML_ESCAPES, guard_fragments=SHELL_FRAGMENTS)
# Reduce a name to its last component, or vet it whole. Escaping for HTML or URLs
# leaves ``../`` as it is.
PATH = Spec("path", sanitisers=(SANITISERS - HTML_ESCAPES - {"quote", "urlencode"}) | {
    "basename", "token_hex", "token_urlsafe", "get_available_name"},
    passthrough=PASSTHROUGH | HTML_ESCAPES, guard_fragments=PATH_FRAGMENTS,
    stops=(_no_traversal_left,))
# Escaping for HTML does not stop ``__import__("os").system(...)``.
# ``compile`` makes a code object of its source: ``exec(compile(src, ...))`` runs src.
CODE = Spec("code", sanitisers=SANITISERS - HTML_ESCAPES,
            passthrough=PASSTHROUGH | HTML_ESCAPES | {"compile"})
TEMPLATE = Spec("template")
DESERIALIZATION = Spec("deserialization")
NOSQL = Spec("nosql")
# Reflected XSS: input a link or a cross-site form can carry; headers and cookies only
# through ``any_source`` (flow/reflected.py).
_UNLINKABLE = frozenset({"headers", "cookies", "files"})
HTML = Spec("html", sources=RequestSources(stop_kinds=_UNLINKABLE), stops=(_markup_escaped,),
            sanitiser_qualnames=HTML_SANITISER_CALLS,
            # json.dumps escapes no "<": a serialised client value is still markup
            passthrough=PASSTHROUGH | {"urljoin", "urljoin_rfc", "dumps"},
            # ``Markup(x)`` holds x's text (BA802 reports the marking itself; its
            # ``unescape()``/``striptags()`` hand the text on as a plain str)
            wrappers=frozenset({"Markup", "SafeString", "SafeText", "mark_safe"}),
            guard_fragments=("<", ">", '"', "'"),
            replaced_by_transform=True, across_modules=False)
HTML_ANY = HTML.but(name="html-any", sources=RequestSources())
# Escaping HTML keeps ``https://evil.example`` intact (and quoting ``//evil.example``).
REDIRECT = HTML.but(name="redirect", sanitisers=SANITISERS - HTML_ESCAPES - {"quote"},
                    sanitiser_qualnames=frozenset(),
                    passthrough=HTML.passthrough | HTML_ESCAPES, stops=(_origin_fixed,))
REDIRECT_ANY = REDIRECT.but(name="redirect-any", sources=RequestSources(stop_referer=True))
# Server-side request forgery, LDAP and XPath injection: a check of the value anywhere
# in the function counts (``if host not in ALLOWED_HOSTS: abort(400)``).
# Parsing a URL and putting it back together hands it on whole:
# ``requests.get(urlparse(url).geturl())`` fetches what the client sent.
URL_ROUND_TRIPS = frozenset({"urlparse", "urlsplit", "geturl", "urlunparse", "urlunsplit"})
OUTBOUND = Spec("outbound-url", guards=Guarding.ANYWHERE, across_modules=False,
                passthrough=PASSTHROUGH | URL_ROUND_TRIPS)
LDAP = Spec("ldap", guards=Guarding.ANYWHERE,
            sanitiser_pattern=re.compile(r"(?i)escape|filter_format|sanitiz|sanitis|quote"))
XPATH = Spec("xpath", guards=Guarding.ANYWHERE, stops=(_drops_quotes,),
             sanitiser_pattern=re.compile(
                 r"(?i)escape|quote|sanitiz|sanitis|xpath_literal|xpath_string"))
# Checking an XML document's content does not stop its entities.
XML = Spec("xml", guards=Guarding.NONE,
           wrappers=frozenset({"BytesIO", "StringIO", "BufferedReader", "TextIOWrapper"}))
# The client's name for an uploaded file, as far as a path built from it.
FILENAME_SANITISERS = frozenset({
    "secure_filename", "get_valid_filename", "basename", "uuid4", "uuid1", "token_hex",
    "token_urlsafe", "slugify", "get_available_name", "generate_filename", *DIGESTS,
})
FILENAME = Spec(
    "client-filename", sources=FilenameSources(), sanitisers=FILENAME_SANITISERS,
    passthrough=frozenset({"join", "Path", "PurePath", "joinpath", "str", "format", "lower",
                           "strip", "replace", "abspath", "normpath", "expanduser",
                           "resolve"}),
    receiver_only=frozenset(), guards=Guarding.NONE, across_modules=False)
# An uploaded file (its stream, its chunks, its bytes).
UPLOAD = Spec("upload", sources=UploadSources(), sanitisers=frozenset(),
              passthrough=frozenset({"read", "chunks"}), attributes=frozenset({"file"}),
              receiver_only=frozenset({"read", "chunks"}), guards=Guarding.NONE,
              string_building=False, across_modules=False)
# A secret on its way to a log line: written out as it is, formatted or serialised; a
# call that only uses it (``client.fetch(token)``) returns something else, and some
# reduce it to something safe to show.
SECRET = Spec(
    "secret", sources=SecretSources(),
    sanitisers=frozenset({"len", "bool", "mask", "redact", "hash", "type", "hexdigest",
                          "sha256", "fingerprint", "mask_token", "mask_secret", "obfuscate",
                          "isinstance"}),
    passthrough=PASSTHROUGH | {"dumps", "repr", "pformat", "model_dump_json", "to_json"},
    guards=Guarding.NONE, across_modules=False)

# The questions a value handed to another module's function may end in: a call site or
# result records which of them its sanitisers answer (appmodel/collectors/summaries.py).
CROSS_MODULE = tuple(spec for spec in (INJECTION, COMMAND, PATH, CODE, TEMPLATE,
                                       DESERIALIZATION, NOSQL, LDAP, XPATH, XML)
                     if spec.across_modules)


# ---------------------------------------------------------------------- predictable values
# Module-level functions and ``random.Random`` methods of the Mersenne Twister: from a few
# outputs the rest, past and future, can be computed.
RANDOM_METHODS = frozenset({"random", "randint", "randrange", "choice", "choices", "sample",
                            "getrandbits", "randbytes", "uniform", "triangular"})
PREDICTABLE_CALLS = frozenset({
    *(f"random.{name}" for name in RANDOM_METHODS),
    *(f"numpy.random.{name}" for name in ("rand", "randint", "choice", "bytes", "random")),
    "uuid.uuid1",  # the host's MAC address and the clock
})
# Generators seeded from the operating system's CSPRNG.
UNPREDICTABLE_GENERATORS = frozenset({"random.SystemRandom", "secrets.SystemRandom"})
# Reads of the clock: a value made only of them is guessed by trying nearby instants.
CLOCK_CALLS = frozenset({
    "time.time", "time.time_ns", "time.monotonic", "time.perf_counter", "datetime.datetime.now",
    "datetime.datetime.utcnow", "datetime.datetime.today", "django.utils.timezone.now",
})
_CLOCK_SHAPING = frozenset({"str", "int", "float", "repr", "hex", "encode", "format",
                            "timestamp", "isoformat", "strftime", "md5", "sha1", "sha224",
                            "sha256", "sha384", "sha512", "hexdigest", "digest"})


def _generator_call(expr: cst.BaseExpression, imports: ImportMap) -> str | None:
    """The qualified class a ``random.Random(...)``-like constructor call builds."""
    if isinstance(expr, cst.Call):
        qual = imports.qualname(expr.func)
        if qual in UNPREDICTABLE_GENERATORS or qual == "random.Random":
            return qual
    return None


def _clock_only(expr: cst.BaseExpression, imports: ImportMap) -> bool | None:
    """True: built from reads of the clock and literals only; None: from literals only;
    False: something else goes in."""
    if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return None
    if isinstance(expr, cst.Call):
        if imports.qualname(expr.func) in CLOCK_CALLS:
            return True
        name = last_name(expr.func) or ""
        if name not in _CLOCK_SHAPING:
            return False
        parts = [a.value for a in expr.args]
        if isinstance(expr.func, cst.Attribute) and \
                imports.qualname(expr.func.value) != "hashlib":
            parts.append(expr.func.value)  # ``str(now).encode()``, not ``hashlib``
        return _all_clock(parts, imports)
    if isinstance(expr, cst.BinaryOperation):
        return _all_clock([expr.left, expr.right], imports)
    if isinstance(expr, cst.FormattedString):
        return _all_clock([p.expression for p in expr.parts
                           if isinstance(p, cst.FormattedStringExpression)], imports)
    return False


def _all_clock(parts: list[cst.BaseExpression], imports: ImportMap) -> bool | None:
    found: bool | None = None
    for part in parts:
        verdict = _clock_only(part, imports)
        if verdict is False:
            return False
        found = found or verdict
    return found


@dataclass(frozen=True)
class PredictableSources(Sources):
    """Values an attacker can predict: the ``random`` module's functions and
    ``random.Random`` objects (not ``SystemRandom``), ``uuid1``, and text or digests made
    of the clock alone (``md5(str(time.time()))``)."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.BinaryOperation) and not isinstance(
                expr.operator, (cst.Add, cst.Modulo, cst.Divide)):
            # ``random.random() * 10**6``: arithmetic keeps what the generator gave
            return _either_side(expr, taint)
        # Picks repeated build a value, whatever they pick from (words of a passphrase):
        # ``" ".join(random.choice(words) for _ in range(5))``, ``code += choice(words)``.
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return Verdict.SOURCE if _predictable_pick(expr.elt, taint) else None
        if isinstance(expr, cst.Name):
            augmented = taint.frame.scope.flow.values_of("__aug__" + expr.value)
            return Verdict.SOURCE if any(_predictable_pick(v, taint) for v in augmented) \
                else None
        if not isinstance(expr, cst.Call):
            return None
        if _predictable_pick(expr, taint) and picks_existing_item(
                expr, lambda name: _values_of(name, taint)):
            return Verdict.CLEAN  # one of the given items, as secret as it was before
        imports = taint.ctx.imports
        qual = imports.qualname(expr.func)
        if qual in PREDICTABLE_CALLS:
            return Verdict.SOURCE
        if qual in UNPREDICTABLE_GENERATORS or (qual or "").startswith(("secrets.", "os.urandom")):
            return Verdict.CLEAN
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in RANDOM_METHODS:
            made = _generator_of(func.value, taint)
            if made == "random.Random":
                return Verdict.SOURCE
            if made is not None:
                return Verdict.CLEAN
        if (qual or "").startswith("hashlib.") and _clock_only(expr, imports):
            return Verdict.SOURCE  # a digest of the clock alone
        return None


def _either_side(expr: cst.BinaryOperation, taint: Taint) -> Verdict | None:
    sources = taint.spec.sources
    for side in (expr.left, expr.right):
        if sources.match(side, taint) is Verdict.SOURCE:
            return Verdict.SOURCE
    return None


def _predictable_pick(expr: cst.BaseExpression, taint: Taint) -> bool:
    """``random.choice(...)`` / ``rng.sample(...)`` of a Mersenne Twister."""
    if not isinstance(expr, cst.Call) or last_name(expr.func) not in PICKS:
        return False
    if taint.ctx.imports.qualname(expr.func) in PREDICTABLE_CALLS:
        return True
    return isinstance(expr.func, cst.Attribute) and \
        _generator_of(expr.func.value, taint) == "random.Random"


def _values_of(name: str, taint: Taint) -> list[cst.BaseExpression]:
    """What ``name`` is given in the function the walk is in, else in the module body."""
    values = taint.frame.scope.flow.values_of(name)
    return values or taint.ctx.flow(taint.ctx.module).values_of(name)


def _generator_of(receiver: cst.BaseExpression, taint: Taint) -> str | None:
    """``random.Random(seed)`` / ``SystemRandom()`` a method's receiver holds: built in
    place, or given to a name of the function or the module."""
    imports = taint.ctx.imports
    made = _generator_call(receiver, imports)
    if made is not None or not isinstance(receiver, cst.Name):
        return made
    for flow in (taint.flow, taint.ctx.flow(taint.ctx.module)):
        for value in flow.values_of(receiver.value):
            made = _generator_call(value, imports)
            if made is not None:
                return made
    return None


# A predictable value on its way to a secret: hashing, encoding or formatting it keeps
# it predictable; keyed hashing (``hmac``) or any other call of a library makes something
# else (the evaluator does not enter calls it does not know).
PREDICTABLE = Spec(
    "predictable", sources=PredictableSources(), sanitisers=frozenset({"len", "bool"}),
    passthrough=PASSTHROUGH | {"hex", "hexdigest", "digest", "md5", "sha1", "sha224",
                               "sha256", "sha384", "sha512", "abs", "round", "repr", "chr",
                               "int", "float", "zfill"},
    guards=Guarding.NONE, across_modules=False)


# ---------------------------------------------------------------------- credentials
# Calls whose result is a credential: issued tokens and random secrets.
CREDENTIAL_CALLS = frozenset({
    "jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode", "secrets.token_hex",
    "secrets.token_urlsafe", "secrets.token_bytes",
    "django.contrib.auth.tokens.default_token_generator.make_token",
})
# Last words (or word pairs) of names that hold a session or a credential.
CREDENTIAL_NAME_PAIRS = frozenset({("session", "id"), ("session", "key"), ("auth", "key"),
                                   ("api", "key"), ("access", "key"), ("login", "key")})
CREDENTIAL_NAME_WORDS = frozenset({"jwt", "sid", "sessionid", "session", "token", "apikey",
                                   "secret", "credentials"})


def is_credential_name(name: str) -> bool:
    words = name_words(name)
    if not words or any(w in ("csrf", "xsrf") for w in words):
        return False
    return words[-1] in CREDENTIAL_NAME_WORDS or tuple(words[-2:]) in CREDENTIAL_NAME_PAIRS


@dataclass(frozen=True)
class CredentialSources(Sources):
    """A session or credential: a JWT or random token just issued (``jwt.encode``,
    ``secrets.token_urlsafe``, ``create_access_token(user)``), or a name, attribute, key
    or call result named like one (``session.session_key``, ``token.key``,
    ``user.api_token``). CSRF tokens, which pages read on purpose, are not."""

    def match(self, expr: cst.BaseExpression, taint: Taint) -> Verdict | None:
        if isinstance(expr, cst.Name):
            return Verdict.SOURCE if is_credential_name(expr.value) else None
        if isinstance(expr, cst.Attribute):
            if is_credential_name(expr.attr.value) or (
                    expr.attr.value in ("key", "id", "value", "hex") and
                    isinstance(expr.value, cst.Name) and is_credential_name(expr.value.value)):
                return Verdict.SOURCE  # ``token.key`` (DRF's Token model), ``session.id``
            return Verdict.CLEAN
        if isinstance(expr, cst.Subscript):
            index = expr.slice[0].slice if len(expr.slice) == 1 else None
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            if key is not None:
                return Verdict.SOURCE if is_credential_name(key) else Verdict.CLEAN
            return None
        if isinstance(expr, cst.Call):
            if taint.ctx.imports.qualname(expr.func) in CREDENTIAL_CALLS:
                return Verdict.SOURCE
            callee = last_name(expr.func) or ""
            if is_credential_name(callee) and not callee.startswith(("get_csrf", "csrf")):
                return Verdict.SOURCE  # create_access_token(user), new_session(user)
        return None


# A credential on its way to a cookie's value.
CREDENTIAL = Spec("credential", sources=CredentialSources(), sanitisers=frozenset(),
                  guards=Guarding.NONE, across_modules=False)
