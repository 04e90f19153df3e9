"""What a handler's own code says about who may call it: FastAPI dependencies that admit
administrators only, and first statements that turn strangers away."""

from __future__ import annotations

import libcst as cst
import pytest
from backend_audit.appmodel.auth import admin_dependency, refuses_strangers


def _fn(source: str) -> cst.FunctionDef:
    module = cst.parse_module(source)
    fn = module.body[0]
    assert isinstance(fn, cst.FunctionDef)
    return fn


@pytest.mark.parametrize(("source", "admin"), [
    ('@router.get("/t", dependencies=[Depends(get_current_active_superuser)])\n'
     "def f(): ...\n", True),
    ('@router.get("/t", dependencies=[Depends(require_role(["admin"]))])\n'
     "def f(): ...\n", True),
    ("@router.post('/t')\ndef f(user: User = Depends(get_admin_user)): ...\n", True),
    # a role list that also admits viewers, or a plain sign-in: not administrators only
    ('@router.get("/t", dependencies=[Depends(require_role(["admin", "viewer"]))])\n'
     "def f(): ...\n", False),
    ("@router.get('/t')\ndef f(user: User = Depends(get_current_user)): ...\n", False),
    ("@router.get('/t')\ndef f(admin_note: str = Query('')): ...\n", False),
])
def test_admin_dependency(source: str, admin: bool) -> None:
    assert admin_dependency(_fn(source)) is admin


def _code(fn: cst.FunctionDef):
    module = cst.Module(body=[fn])
    return module.code_for_node


@pytest.mark.parametrize(("source", "refuses"), [
    ("def v(request, pk):\n    obj = get_object_or_404(User, pk=pk)\n"
     "    if not request.user.is_authenticated:\n        return HttpResponseForbidden()\n"
     "    obj.delete()\n", True),
    ("def v(request):\n    if not request.user.has_perm('a') and not request.user.has_perm('b'):\n"
     "        raise PermissionDenied\n    return ok()\n", True),
    ("def v(request):\n    if request.user.is_anonymous or request.method == 'GET':\n"
     "        return redirect('login')\n    return ok()\n", True),
    # the sign-in page's test has the other polarity: strangers pass
    ("def v(request):\n    if request.user.is_authenticated:\n        return redirect('home')\n"
     "    return login(request)\n", False),
    # one refusing side of an 'and' lets the other side's callers through
    ("def v(request):\n    if not request.user.is_staff and request.method == 'POST':\n"
     "        return HttpResponseForbidden()\n    return ok()\n", False),
    # a check of another user (the one just authenticated) is not a check of the caller
    ("def v(request):\n    user = authenticate(request)\n"
     "    if user is None or not user.is_staff:\n        return HttpResponseForbidden()\n"
     "    return ok()\n", False),
    # a branch that does not end the request comes first: what follows may run for anyone
    ("def v(request):\n    if request.method == 'POST':\n        save(request)\n"
     "    if not request.user.is_authenticated:\n        return redirect('login')\n", False),
])
def test_refuses_strangers(source: str, refuses: bool) -> None:
    fn = _fn(source)
    assert refuses_strangers(fn, _code(fn)) is refuses


def test_drf_admin_permission_classes() -> None:
    assert admin_dependency(_fn("@api_view(['POST'])\n@permission_classes([IsAdminUser])\n"
                                "def f(request): ...\n"))
    assert not admin_dependency(_fn("@api_view(['POST'])\n"
                                    "@permission_classes([IsAuthenticated])\n"
                                    "def f(request): ...\n"))
