"""BA810: XML from the request is parsed by a parser that resolves external entities (XXE).

lxml before 5.0 resolves external entities by default (``no_network=True`` blocks only
the network, ``file://`` entities are still read); lxml 5.0 changed the default to
``resolve_entities='internal'``. So a parser built with ``resolve_entities=True`` is the
finding at high confidence, ``no_network=False`` at medium (network entities, on lxml
before 5.0 or with entities resolved) and lxml's default parser at low (it depends on the
installed lxml). The standard library's ``xml.sax``/``minidom``/``pulldom`` resolve
external entities only with ``feature_external_ges`` switched on (high); ``xml.etree``
and ``defusedxml`` never do and are not reported.
"""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.context import ModuleContext
from backend_audit.appmodel.names import dotted_name, get_arg, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.engines.walk import descendants
from backend_audit.flow.budget import Budget
from backend_audit.flow.locals import Flow
from backend_audit.flow.needs import needs_data, settle
from backend_audit.flow.specs import XML
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Candidate, Check

HIGH, MEDIUM, LOW = 3, 2, 1
_LEVEL_NAMES = {HIGH: "high", MEDIUM: "medium", LOW: "low"}
_LXML_MODULES = ("lxml.etree", "lxml.objectify")
# lxml functions taking (source, parser) -> position of the parser argument.
_LXML_PARSE = frozenset({"fromstring", "XML", "parse", "fromstringlist", "XMLID",
                         "XMLDTDID"})
_LXML_PARSERS = frozenset({
    f"{mod}.{name}" for mod in _LXML_MODULES
    for name in ("XMLParser", "ETCompatXMLParser", "XMLPullParser", "makeparser")
})
_SET_DEFAULT = frozenset({f"{mod}.set_default_parser" for mod in _LXML_MODULES})
_SAX_FEATURES = frozenset({
    "feature_external_ges", "feature_external_pes",
    "http://xml.org/sax/features/external-general-entities",
    "http://xml.org/sax/features/external-parameter-entities",
})
# Standard-library parse functions that take a SAX parser: name -> its position.
_DOM_PARSE = {
    "xml.dom.minidom.parse": 1, "xml.dom.minidom.parseString": 1,
    "xml.dom.pulldom.parse": 1, "xml.dom.pulldom.parseString": 1,
}
_MESSAGES = {
    MEDIUM: "XML from the request is parsed with no_network=False, so its external entities "
            "can make the server fetch URLs (XXE) where entities are resolved.",
    LOW: "XML from the request is parsed with lxml's default parser, which resolves local "
         "external entities before lxml 5.0 (XXE); use defusedxml or "
         "resolve_entities=False.",
}


class XmlExternalEntitiesFromRequest(Check):
    rule_id = "BA810"

    def __init__(self, ctx: ModuleContext) -> None:
        super().__init__(ctx)
        self._sax_enabled: set[str] | None = None
        self._default_level: tuple[int | None] | None = None

    def visit_Call(self, node: cst.Call) -> None:
        found = self._sink(node)
        if found is None:
            return
        source, level = found
        # Checking the document's content does not stop its entities (``XML``: no guards).
        found = Taint(self.ctx, XML).reach(source)
        if found.source is not None:
            self.report(node, message=_MESSAGES.get(level), confidence=_LEVEL_NAMES[level])
        elif found.needs:
            self.report(node, message=_MESSAGES.get(level), confidence=_LEVEL_NAMES[level],
                        **needs_data([found], XML))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return settle(candidate, project)

    def _sink(self, call: cst.Call) -> tuple[cst.BaseExpression, int] | None:
        """(the XML source argument, the parser's level) when ``call`` parses XML with
        a parser that may resolve external entities."""
        qual = self.ctx.imports.qualname(call.func)
        if qual is not None:
            module, _, name = qual.rpartition(".")
            if module in _LXML_MODULES and name in _LXML_PARSE:
                level = self._lxml_parser_level(get_arg(call, "parser", 1))
                return _with(_first_arg(call, "source", "text", "strings"), level)
            if module in _LXML_MODULES and name == "iterparse":
                return _with(_first_arg(call, "source"), _options_level(call))
            if qual in _DOM_PARSE:
                parser = get_arg(call, "parser", _DOM_PARSE[qual])
                if parser is not None and self._sax_parser_enabled(parser.value):
                    return _with(_first_arg(call, "file", "string", "stream_or_string"), HIGH)
            return None
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("parse", "feed"):
            receiver = call.func.value
            if self._sax_parser_enabled(receiver):
                return _with(_first_arg(call, "source", "data"), HIGH)
            if call.func.attr.value == "feed":
                level = self._lxml_parser_level(cst.Arg(receiver), explicit_only=True)
                return _with(_first_arg(call, "data"), level)
        return None

    # -- lxml ---------------------------------------------------------------------------

    def _lxml_parser_level(self, arg: cst.Arg | None, explicit_only: bool = False) -> int | None:
        if arg is None or (isinstance(arg.value, cst.Name) and arg.value.value == "None"):
            return None if explicit_only else self._default_parser_level()
        return self._parser_expr_level(arg.value, Budget())

    def _parser_expr_level(self, expr: cst.BaseExpression, budget: Budget,
                           flow: Flow | None = None) -> int | None:
        """The level of a parser expression; names are read in ``flow`` (default: the
        current function's, then the module's)."""
        if budget.exhausted:
            return None
        budget = budget.deeper()
        if isinstance(expr, cst.Call):
            if self.ctx.imports.qualname(expr.func) in _LXML_PARSERS:
                return _options_level(expr)
            factory = self.ctx.local_function(expr)  # ``def make_parser(): return XMLParser(...)``
            if factory is None:
                return None
            inner = self.ctx.flow(factory)
            levels = [self._parser_expr_level(v, budget, inner) for v in inner.returns]
            known = [lv for lv in levels if lv is not None]
            return max(known) if known else None
        if isinstance(expr, cst.Name):
            values = flow.values_of(expr.value) if flow is not None else []
            values = values or self._values_of(expr.value)
            levels = [self._parser_expr_level(v, budget, flow) for v in values]
            known = [lv for lv in levels if lv is not None]
            return max(known) if known else None
        return None  # ``self.parser``, a factory: not ours to guess

    def _default_parser_level(self) -> int | None:
        """lxml's default parser, unless the module replaced it (``set_default_parser``)."""
        if self._default_level is None:
            level: int | None = LOW
            for node in _calls(self.ctx.module):
                if self.ctx.imports.qualname(node.func) in _SET_DEFAULT:
                    parser = get_arg(node, "parser", 0)
                    level = LOW if parser is None else \
                        self._parser_expr_level(parser.value, Budget())
            self._default_level = (level,)
        return self._default_level[0]

    def _values_of(self, name: str) -> list[cst.BaseExpression]:
        local = self.ctx.flow().values_of(name)
        return local or self.ctx.flow(self.ctx.module).values_of(name)

    # -- xml.sax / minidom / pulldom ----------------------------------------------------

    def _sax_parser_enabled(self, expr: cst.BaseExpression) -> bool:
        key = dotted_name(expr)
        if key is None:
            return False
        if self._sax_enabled is None:
            self._sax_enabled = set()
            for node in _calls(self.ctx.module):
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value == "setFeature" and \
                        len(node.args) >= 2 and _feature(node.args[0].value) and \
                        _truthy(node.args[1].value):
                    receiver = dotted_name(func.value)
                    if receiver is not None:
                        self._sax_enabled.add(receiver)
        return key in self._sax_enabled


def _with(source: cst.BaseExpression | None,
          level: int | None) -> tuple[cst.BaseExpression, int] | None:
    return (source, level) if source is not None and level is not None else None


def _first_arg(call: cst.Call, *keywords: str) -> cst.BaseExpression | None:
    for kw in keywords:
        arg = get_arg(call, kw)
        if arg is not None:
            return arg.value
    arg = get_arg(call, None, 0)
    return arg.value if arg is not None else None


def _options_level(call: cst.Call) -> int | None:
    """The level of a parser built with these keyword options (``XMLParser(...)``,
    ``iterparse(...)``)."""
    resolve = get_arg(call, "resolve_entities")
    network = get_arg(call, "no_network")
    if resolve is not None:
        value = resolve.value
        if _falsy(value) or string_value(value) == "internal":
            return None
        if _truthy(value):
            return HIGH
    if network is not None and _falsy(network.value):
        return MEDIUM
    return LOW


def _feature(expr: cst.BaseExpression) -> bool:
    text = string_value(expr)
    if text is not None:
        return text in _SAX_FEATURES
    name = dotted_name(expr)
    return name is not None and name.rsplit(".", 1)[-1] in _SAX_FEATURES


def _truthy(expr: cst.BaseExpression) -> bool:
    return (isinstance(expr, cst.Name) and expr.value == "True") or \
        (isinstance(expr, cst.Integer) and expr.value != "0")


def _falsy(expr: cst.BaseExpression) -> bool:
    return (isinstance(expr, cst.Name) and expr.value in ("False", "None")) or \
        (isinstance(expr, cst.Integer) and expr.value == "0")


def _calls(module: cst.Module) -> list[cst.Call]:
    return list(descendants(module, cst.Call))
