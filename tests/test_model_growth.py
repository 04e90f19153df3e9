"""Unbounded-query findings weighed by whether the table grows with use: a table an
ordinary client's route adds rows to is reported by default (medium); one only
administrators add to, or that no route in view adds to, only at the audit level."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
from backend_audit.appmodel.model_growth import models_created
from backend_audit.config import Config
from backend_audit.pipeline import ScanOptions, scan

APP = Path(__file__).parent / "fixtures" / "pagination" / "flask_library_growth"


def test_confidence_follows_who_adds_rows_to_the_table() -> None:
    report = scan([APP], Config(min_confidence="low"), ScanOptions(select=("BA501",), jobs=1))
    by_line = {f.snippet.split("for ")[1].split(" in")[0]: str(f.confidence)
               for f in report.findings}
    assert by_line == {"r": "medium", "s": "low", "g": "low"}


def _created(source: str) -> set[str]:
    fn = cst.parse_module(source).body[0]
    assert isinstance(fn, cst.FunctionDef)
    return models_created(fn)


def test_models_created_by_a_handler() -> None:
    assert _created("def f():\n    o = Order(total=1)\n    db.session.add(o)\n") == {"Order"}
    assert _created("def f():\n    Ticket.objects.create(title=t)\n") == {"Ticket"}
    assert _created("def f():\n    session.add(Comment(body=b))\n") == {"Comment"}
    assert _created("def f():\n    n = Note(body=b)\n    n.save()\n") == {"Note"}
    # built but never stored, or a constant-like name: nothing is created
    assert _created("def f():\n    p = Preview(body=b)\n    return p.render()\n") == set()
    assert _created("def f():\n    HTTP_OK.create()\n") == set()


BOARD = Path(__file__).parent / "fixtures" / "pagination" / "django_task_board"


def test_modelform_saves_and_own_rows_weigh_a_rendered_queryset() -> None:
    """A table grown by a ModelForm's save() in a client's route counts as growing; rows
    scoped to the requesting user alone are doubted once, one parent's children twice."""
    report = scan([BOARD], Config(min_confidence="low"), ScanOptions(select=("BA501",), jobs=1))
    by_route = {f.message.split("'")[1]: str(f.confidence) for f in report.findings}
    assert by_route == {"my_cards": "medium", "members": "medium",
                        "board_cards": "low", "stickers": "low"}


def test_create_user_creates_a_row() -> None:
    assert _created("def f():\n    User.objects.create_user(name, mail, pw)\n") == {"User"}


CLASSIFIEDS = Path(__file__).parent / "fixtures" / "pagination" / "drf_classifieds"


def test_serializer_saves_grow_a_table() -> None:
    """``serializer.save()`` of a DRF ModelSerializer in a client's route creates rows of
    its ``Meta.model``, as a ModelForm's save does."""
    report = scan([CLASSIFIEDS], Config(min_confidence="low"),
                  ScanOptions(select=("BA501",), jobs=1))
    by_model = {f.message.split(" on ")[1].split(" ")[0]: str(f.confidence)
                for f in report.findings}
    assert by_model == {"Listing": "medium", "Payout": "low"}


HOOKS = Path(__file__).parent / "fixtures" / "pagination" / "fastapi_workspace_hooks"


def test_rows_added_behind_a_permission_check_grow_like_an_admin_table() -> None:
    """A workspace's webhooks are added only by members granted a permission: audit
    level, like an administrators' table. Its deliveries, which any member's test send
    adds: reported."""
    report = scan([HOOKS], Config(min_confidence="low"), ScanOptions(select=("BA501",), jobs=1))
    by_route = {f.message.split("'")[1]: str(f.confidence) for f in report.findings}
    assert by_route == {"list_webhooks": "low", "list_deliveries": "medium"}
