"""Records the models each state-changing route creates (fact ``model.created``) and the
model each Django ModelForm or DRF ModelSerializer saves (fact ``model.form``)."""

from __future__ import annotations

import libcst as cst

from backend_audit.appmodel.auth import admin_only, checks_permission, effectively_mutating
from backend_audit.appmodel.model_growth import (
    FACT_MODEL_CREATED,
    FACT_MODEL_FORM,
    is_model_form,
    model_form_model,
    model_form_writes_raw_password,
    models_created,
)
from backend_audit.visitor import Collector


class ModelGrowthFacts(Collector):
    requires_frameworks = frozenset({"flask", "fastapi", "django", "drf", "starlette",
                                     "aiohttp", "quart", "sanic", "litestar", "ninja",
                                     "bottle", "falcon", "pyramid", "tornado"})
    words = ("create", ".add(", ".add_all(", ".save(", "insert", "INSERT", "REPLACE",
             ".merge(", "ModelForm", "ModelSerializer")
    skips_migrations = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        model = model_form_model(node)
        if model is not None:
            self.ctx.add_fact(FACT_MODEL_FORM, {
                "form": node.name.value, "model": model,
                "raw_password": is_model_form(node) and model_form_writes_raw_password(node)})

    def leave_Module(self, original_node: cst.Module) -> None:
        for route in self.ctx.routes.routes:
            if not effectively_mutating(route, self.ctx):
                continue
            # rows only members granted a permission add (a workspace's rules, invites)
            admin = admin_only(route) or checks_permission(route.function)
            for model in sorted(models_created(route.function)):
                self.ctx.add_fact(FACT_MODEL_CREATED, {"model": model, "admin": admin})
