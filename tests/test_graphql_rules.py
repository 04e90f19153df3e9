"""Confidence of the GraphQL rules: what a literal turns on, what a default leaves on, and
what only an admin area serves."""

from __future__ import annotations

import textwrap
from pathlib import Path

from backend_audit.config import Config
from backend_audit.discover import discover
from backend_audit.pipeline import ScanOptions, scan

SCHEMA = """
    import strawberry
    from strawberry.django.views import GraphQLView

    @strawberry.type
    class Query:
        ping: str = "pong"

    schema = strawberry.Schema(query=Query)
    view = GraphQLView.as_view(schema=schema)
    explicit = GraphQLView.as_view(schema=schema, graphql_ide="graphiql")
"""


def _findings(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, str, int], str]:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    paths = [tmp_path]
    report = scan(paths, Config(min_confidence="low"), ScanOptions(jobs=1),
                  discovery=discover(paths))
    return {(f.rule_id, f.path, f.region.start_line): f.confidence.name.lower()
            for f in report.findings if f.rule_id in ("BA503", "BA704")}


def test_public_and_admin_graphql_endpoints(tmp_path: Path) -> None:
    found = _findings(tmp_path, {"site/api/schema.py": SCHEMA,
                                 "site/admin/schema.py": SCHEMA})
    assert found == {
        ("BA503", "site/api/schema.py", 9): "medium",
        ("BA704", "site/api/schema.py", 10): "low",  # strawberry's default IDE
        ("BA704", "site/api/schema.py", 11): "medium",  # turned on by a literal
        ("BA503", "site/admin/schema.py", 9): "low",
        ("BA704", "site/admin/schema.py", 10): "low",
        ("BA704", "site/admin/schema.py", 11): "low",
    }


def test_a_depth_limit_anywhere_in_the_application_clears_its_schemas(tmp_path: Path) -> None:
    found = _findings(tmp_path, {"site/api/schema.py": SCHEMA, "site/api/limits.py": """
        from strawberry.extensions import QueryDepthLimiter

        EXTENSIONS = [QueryDepthLimiter(max_depth=10)]
    """})
    assert not any(rule == "BA503" for rule, _, _ in found)


def test_an_ide_served_only_to_signed_in_users_is_at_the_audit_level(tmp_path: Path) -> None:
    found = _findings(tmp_path, {
        "site/views.py": """
            from django.contrib.auth.mixins import LoginRequiredMixin
            from graphene_django.views import GraphQLView

            class InternalGraphQLView(LoginRequiredMixin, GraphQLView):
                pass
        """,
        "site/urls.py": """
            from django.contrib.auth.decorators import login_required
            from graphene_django.views import GraphQLView
            from site.views import InternalGraphQLView

            internal = InternalGraphQLView.as_view(graphiql=True)
            wrapped = login_required(GraphQLView.as_view(graphiql=True))
            public = GraphQLView.as_view(graphiql=True)
        """,
    })
    ide = {line: level for (rule, path, line), level in found.items() if rule == "BA704"}
    assert ide == {6: "low", 7: "low", 8: "medium"}
