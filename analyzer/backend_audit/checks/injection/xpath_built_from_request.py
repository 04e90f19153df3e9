"""BA812: an XPath expression is built from client input (XPath injection).

lxml's ``xpath()``/``XPath()`` (and parsel's ``Selector.xpath``) evaluate full XPath 1.0:
a value such as ``' or '1'='1`` in ``//user[@name='{name}']`` selects every node. The
``find``/``findall``/``findtext``/``iterfind`` methods of ElementTree and lxml take
ElementPath, a small subset without ``or`` or functions, so input there can only change
which elements are selected: medium confidence. XPath variables
(``tree.xpath("//user[@name=$name]", name=name)``) keep the value out of the expression.
"""

from __future__ import annotations

import re

import libcst as cst

from backend_audit.appmodel.names import get_arg, last_name, string_value
from backend_audit.appmodel.project import ProjectFacts
from backend_audit.flow.budget import Budget
from backend_audit.flow.needs import needs_data, settle
from backend_audit.flow.sinks import ELEMENTPATH_METHODS, XPATH_CLASSES
from backend_audit.flow.specs import XPATH
from backend_audit.flow.taint import Taint
from backend_audit.visitor import Candidate, Check

_XML_PACKAGES = ("lxml", "xml.etree", "defusedxml")
# Text of an ElementPath expression: a step, a predicate or an attribute test.
_PATH_SYNTAX = re.compile(r"[/\[@]|^\.")
_XML_RESULTS = frozenset({"parse", "fromstring", "XML", "getroot", "fromstringlist", "findall",
                          "iter", "iterfind",
                          "Element", "SubElement", "find", "getroottree"})


class XpathBuiltFromRequest(Check):
    rule_id = "BA812"

    def visit_Call(self, node: cst.Call) -> None:
        qual = self.ctx.imports.qualname(node.func)
        expr: cst.BaseExpression | None = None
        confidence: str | None = None
        if qual in XPATH_CLASSES:
            arg = get_arg(node, "path", 0)
            expr = arg.value if arg is not None else None
        elif qual is None and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "xpath":
                arg = get_arg(node, "_path", 0) or get_arg(node, "query", 0)
                expr = arg.value if arg is not None else None
            elif method in ELEMENTPATH_METHODS and self._xml_module():
                arg = get_arg(node, "path", 0)
                if arg is not None and (self._path_text(arg.value) or
                                        self._xml_receiver(node.func.value)):
                    expr, confidence = arg.value, "medium"
        if expr is None:
            return
        found = Taint(self.ctx, XPATH).reach(expr)
        if found.source is not None:
            self.report(node, confidence=confidence)
        elif found.needs:
            self.report(node, confidence=confidence, **needs_data([found], XPATH))

    @classmethod
    def resolve(cls, candidate: Candidate, project: ProjectFacts) -> Candidate | None:
        return settle(candidate, project)

    def _xml_module(self) -> bool:
        return any(m == p or m.startswith(p + ".") for m in self.ctx.imports.modules
                   for p in _XML_PACKAGES)

    def _path_text(self, expr: cst.BaseExpression) -> bool:
        """A string built around the input whose literal text reads as a path."""
        texts: list[str] = []
        if isinstance(expr, cst.Name):
            for value in self.ctx.flow().values_of(expr.value):
                texts.extend(_literal_texts(value))
        else:
            texts.extend(_literal_texts(expr))
        return any(_PATH_SYNTAX.search(t) for t in texts)

    def _xml_receiver(self, expr: cst.BaseExpression, budget: Budget | None = None) -> bool:
        """``root`` from ``etree.parse(...)``/``ET.fromstring(...)``/``.getroot()``."""
        budget = budget or Budget()
        if budget.exhausted:
            return False
        budget = budget.deeper()
        if isinstance(expr, cst.Call):
            qual = self.ctx.imports.qualname(expr.func)
            if qual is not None:
                return qual.startswith(_XML_PACKAGES)
            if isinstance(expr.func, cst.Attribute) and \
                    expr.func.attr.value in _XML_RESULTS:
                return self._xml_receiver(expr.func.value, budget)
            return False
        if isinstance(expr, cst.Name):
            if self.ctx.imports.qualname(expr) is not None:
                return False
            values = self.ctx.flow().values_of(expr.value) or \
                self.ctx.flow(self.ctx.module).values_of(expr.value)
            return any(self._xml_receiver(v, budget) for v in values)
        return False


def _literal_texts(expr: cst.BaseExpression) -> list[str]:
    if isinstance(expr, cst.FormattedString):
        return [p.value for p in expr.parts if isinstance(p, cst.FormattedStringText)]
    if isinstance(expr, cst.BinaryOperation):
        return _literal_texts(expr.left) + _literal_texts(expr.right)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
            last_name(expr.func) == "format":
        return _literal_texts(expr.func.value)
    text = string_value(expr)
    return [text] if text is not None else []
