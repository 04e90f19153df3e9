"""The GraphQL model: resolvers as endpoints, their client inputs, and how servers are set."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from backend_audit.appmodel import graphql_servers as servers
from backend_audit.appmodel.graphql import ArgKind, find_resolvers, methods_for
from backend_audit.appmodel.imports import collect_imports
from backend_audit.appmodel.requests import request_input
from backend_audit.appmodel.routes import RouteFinder


def _resolvers(source: str) -> dict[str, tuple]:
    module = cst.parse_module(textwrap.dedent(source))
    out = {}
    for r in find_resolvers(module, collect_imports(module)):
        f = r.field
        out[r.function.name.value] = (f.library, f.operation, f.path,
                                      {a.name: a.kind for a in f.arguments},
                                      f.returns_list, f.paginated)
    return out


GRAPHENE = """
    import graphene
    from graphene_django.filter import DjangoFilterConnectionField

    class Colour(graphene.Enum):
        RED = 1

    class FilterInput(graphene.InputObjectType):
        name = graphene.String()

    class LooseInput(graphene.InputObjectType):
        extra = graphene.JSONString()

    class Query(graphene.ObjectType):
        users = graphene.List(UserType, title=graphene.String(), first=graphene.Int())
        user = graphene.Field(UserType, id=graphene.ID(required=True))
        paged = DjangoFilterConnectionField(UserType)
        by_colour = graphene.NonNull(graphene.List(UserType), colour=Colour())
        search = graphene.List(UserType, where=FilterInput(), raw=LooseInput(),
                               blob=graphene.types.generic.GenericScalar())

        def resolve_users(root, info, title=None, first=10):
            return []

        def resolve_user(self, info, id):
            return None

        def resolve_paged(root, info, **kwargs):
            return []

        @staticmethod
        def resolve_by_colour(root, info, colour):
            return []

        def resolve_search(root, info, where, raw, blob):
            return []

    class CreateUser(graphene.Mutation):
        class Arguments:
            email = graphene.String(required=True)
            age = graphene.Argument(graphene.Int)
            data = graphene.JSONString()

        ok = graphene.Boolean()

        @classmethod
        def mutate(cls, root, info, email, **rest):
            return CreateUser(ok=True)
"""


def test_graphene_fields_mutations_and_their_argument_types() -> None:
    found = _resolvers(GRAPHENE)
    lib, op, path, args, is_list, paged = found["resolve_users"]
    assert (lib, op, path, is_list, paged) == ("graphene", "query", "Query.users(<int:first>)",
                                               True, False)
    assert args == {"title": ArgKind.TEXT, "first": ArgKind.CLOSED}
    assert found["resolve_user"][3] == {"id": ArgKind.IDENTIFIER}
    assert found["resolve_paged"][4:] == (True, True)  # a connection pages its rows
    assert found["resolve_by_colour"][3] == {"colour": ArgKind.CLOSED}
    assert found["resolve_by_colour"][4] is True  # NonNull(List(...)) is a list
    assert found["resolve_search"][3] == {"where": ArgKind.INPUT, "raw": ArgKind.OPEN_INPUT,
                                          "blob": ArgKind.OPEN}
    lib, op, path, args, _, _ = found["mutate"]
    # ``age`` arrives inside ``**rest``: no parameter of its own to mark as a number
    assert (op, path) == ("mutation", "CreateUser")
    # ``cls`` of the classmethod, the parent and ``info`` are not arguments; ``**rest``
    # carries the arguments not named, the riskiest of which decides its kind
    assert args == {"email": ArgKind.TEXT, "rest": ArgKind.OPEN}


def test_graphene_mutation_field_is_not_a_query_resolver_and_forms_validate() -> None:
    found = _resolvers("""
        import graphene
        from graphene_django.forms.mutation import DjangoModelFormMutation

        class Publish(DjangoModelFormMutation):
            class Meta:
                form_class = ArticleForm

            @classmethod
            def perform_mutate(cls, form, info):
                return super().perform_mutate(form, info)

        class Mutation(graphene.ObjectType):
            publish = Publish.Field()
    """)
    assert list(found) == ["perform_mutate"]
    assert found["perform_mutate"][1] == "mutation"
    assert all(k is ArgKind.INPUT for k in found["perform_mutate"][3].values())


STRAWBERRY = """
    from typing import Annotated, Optional
    from uuid import UUID

    import strawberry
    from strawberry.scalars import JSON
    from strawberry.types import Info

    @strawberry.input
    class Filter:
        name: str
        limit: int

    @strawberry.input
    class Settings:
        values: JSON

    @strawberry.type
    class Query:
        @strawberry.field
        def books(self, info: Info, title: str, year: int | None = None,
                  shelf: Optional[UUID] = None) -> list[Book]:
            return []

        @strawberry.field(permission_classes=[IsAuthenticated])
        def find(self, info: Info, where: Filter, tags: list[strawberry.ID]) -> Connection[Book]:
            return []

        @strawberry.field
        def one(self, root: strawberry.Parent[Shelf],
                key: Annotated[str, strawberry.argument(description="k")]) -> Book:
            return None

    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def configure(self, info: Info, settings: Settings, raw: JSON) -> bool:
            return True
"""


def test_strawberry_arguments_come_from_annotations() -> None:
    found = _resolvers(STRAWBERRY)
    lib, op, path, args, is_list, paged = found["books"]
    assert (lib, op, is_list, paged) == ("strawberry", "query", True, False)
    assert path == "Query.books(<int:year>, <uuid:shelf>)"
    assert args == {"title": ArgKind.TEXT, "year": ArgKind.CLOSED, "shelf": ArgKind.CLOSED}
    assert found["find"][3] == {"where": ArgKind.INPUT, "tags": ArgKind.IDENTIFIER}
    assert found["find"][5] is True  # a Connection pages
    assert found["one"][3] == {"key": ArgKind.TEXT}  # the parent is the server's
    assert found["configure"][1] == "mutation"
    assert found["configure"][3] == {"settings": ArgKind.OPEN_INPUT, "raw": ArgKind.OPEN}


ARIADNE = '''
    from ariadne import MutationType, ObjectType, QueryType, gql

    type_defs = gql("""
        enum Sort { NEW OLD }
        input PostInput { title: String! rating: Int }
        type Query {
            posts(tag: String, first: Int!, sort: Sort): [Post!]!
            post(id: ID!): Post
        }
        type Mutation { createPost(input: PostInput!): Post! }
        type Post { id: ID! comments(after: Int): [String!]! }
    """)

    query = QueryType()
    mutation = MutationType()
    post = ObjectType("Post")

    @query.field("posts")
    def resolve_posts(_, info, first, tag=None, **kwargs):
        return []

    @mutation.field("createPost")
    def resolve_create_post(obj, info, input):
        return {}

    @post.field("comments")
    def resolve_comments(post, info, after=0):
        return []

    def resolve_post(*_, id):
        return None

    query.set_field("post", resolve_post)
'''


def test_ariadne_arguments_come_from_sdl_in_the_module() -> None:
    found = _resolvers(ARIADNE)
    lib, op, path, args, _, _ = found["resolve_posts"]
    assert (lib, op, path) == ("ariadne", "query", "Query.posts(<int:first>)")
    # ``**kwargs`` holds the arguments not named: ``sort`` (an enum)
    assert args == {"first": ArgKind.CLOSED, "tag": ArgKind.TEXT, "kwargs": ArgKind.CLOSED}
    assert found["resolve_create_post"][1] == "mutation"
    assert found["resolve_create_post"][3] == {"input": ArgKind.INPUT}
    assert found["resolve_comments"][2] == "Post.comments(<int:after>)"
    assert found["resolve_post"][3] == {"id": ArgKind.IDENTIFIER}


def test_what_a_field_returns() -> None:
    strawberry = _resolvers(STRAWBERRY)
    assert strawberry["one"][4] is False  # ``-> Book``
    ariadne = _resolvers(ARIADNE)
    assert ariadne["resolve_posts"][4] is True  # ``[Post!]!`` in the SDL
    assert ariadne["resolve_post"][4] is False  # ``Post``
    unknown = _resolvers("""
        import graphene
        from graphene_django import DjangoObjectType

        class UserType(DjangoObjectType):
            friends = FriendsField(UserType)

            def resolve_friends(self, info):
                return self.friends.all()

            def resolve_groups(self, info):
                return self.groups.all()
    """)
    assert unknown["resolve_friends"][4] is None  # a project's own field class
    assert unknown["resolve_groups"][4] is None  # derived from the model: not in view


def test_ariadne_arguments_are_unknown_without_sdl() -> None:
    found = _resolvers("""
        from ariadne import QueryType, load_schema_from_path
        query = QueryType()

        @query.field("search")
        def resolve_search(_, info, text):
            return []
    """)
    assert found["resolve_search"][3] == {"text": ArgKind.UNKNOWN}


def test_resolvers_are_routes_with_graphql_methods() -> None:
    module = cst.parse_module(textwrap.dedent(GRAPHENE))
    finder = RouteFinder(module, collect_imports(module), "app/schema.py")
    routes = {r.function.name.value: r for r in finder.routes}
    assert "graphene" in finder.frameworks
    assert routes["resolve_users"].methods == frozenset({"GET"})
    assert routes["resolve_users"].is_list_action
    assert routes["resolve_paged"].methods == frozenset()  # a connection: no collection GET
    assert routes["mutate"].methods == frozenset({"POST"}) and routes["mutate"].is_mutating
    assert routes["mutate"].view_class is not None
    assert routes["mutate"].graphql is not None and routes["mutate"].graphql.library == "graphene"
    # a field declared to return one object is no collection route
    assert methods_for(routes["resolve_user"].graphql) == frozenset()
    assert routes["resolve_user"].graphql.returns_list is False


@pytest.mark.parametrize(("source", "kind"), [
    ("import graphene\ninfo.context.POST.get('x')", "form"),
    ("import graphene\ninfo.context.GET['q']", "query"),
    ("import strawberry\ninfo.context.request.headers.get('x')", "headers"),
    ("import ariadne\ninfo.context['request'].query_params.get('x')", "query"),
    ("import strawberry\ninfo.context.POST", None),  # strawberry's context is not a request
    ("import graphene\ninfo.context.user.email", None),
])
def test_info_context_is_the_request(source: str, kind: str | None) -> None:
    module = cst.parse_module(source)
    expr = module.body[-1].body[0].value
    assert request_input(expr, collect_imports(module)) == kind


def _server(source: str) -> servers.Server | None:
    module = cst.parse_module(textwrap.dedent(source))
    call = module.body[-1].body[0].value
    return servers.server_call(call, collect_imports(module))


@pytest.mark.parametrize(("source", "library", "ide", "batch"), [
    ("from graphene_django.views import GraphQLView\nGraphQLView.as_view(graphiql=True)",
     "graphene", servers.Ide.EXPLICIT, False),
    ("from graphene_django.views import GraphQLView\nGraphQLView.as_view(batch=True)",
     "graphene", servers.Ide.OFF, True),
    ("from strawberry.django.views import GraphQLView\nGraphQLView.as_view(schema=s)",
     "strawberry", servers.Ide.DEFAULT, False),
    ("from strawberry.fastapi import GraphQLRouter\nGraphQLRouter(s, graphql_ide=None)",
     "strawberry", servers.Ide.OFF, False),
    ("from ariadne.asgi import GraphQL\nGraphQL(s, introspection=settings.DEBUG)",
     "ariadne", servers.Ide.OFF, False),
    ("from ariadne.asgi import GraphQL\nGraphQL(s)", "ariadne", servers.Ide.DEFAULT, False),
])
def test_server_settings(source: str, library: str, ide: servers.Ide, batch: bool) -> None:
    server = _server(source)
    assert server is not None and server.library == library
    assert servers.effective_ide(server.library, server.ide) is ide
    assert server.batch is batch


def test_a_project_view_is_a_server_its_class_describes() -> None:
    server = _server("from .views import ShopGraphQLView\nShopGraphQLView.as_view()")
    assert server is not None and server.library is None and server.view == ".views.ShopGraphQLView"
    assert servers.names_class("shop.views.ShopGraphQLView", server.view)
    # a scan rooted inside the package records the class without the package's name
    assert servers.names_class("core.views.CustomGraphQLView",
                               "nautobot.core.views.CustomGraphQLView")
    assert not servers.names_class("core.views.CustomGraphQLView", "other.CustomGraphQLView")
    assert _server("from .views import ReportView\nReportView.as_view()") is None


@pytest.mark.parametrize(("source", "protected"), [
    ("class V(LoginRequiredMixin, GraphQLView): pass", True),
    ("@method_decorator(login_required, name='dispatch')\nclass V(GraphQLView): pass", True),
    ("class V(GraphQLView, APIView):\n    permission_classes = [IsAuthenticated]", True),
    ("class V(GraphQLView, APIView):\n    permission_classes = [AllowAny]", False),
    # strawberry's get_context refusing anonymous callers runs before every operation
    ("class V(GraphQLView):\n    def get_context(self, request, response):\n"
     "        if not request.user.is_authenticated:\n            raise PermissionDenied()\n"
     "        return {'request': request}", True),
    # a context that only carries the user along refuses nobody
    ("class V(GraphQLView):\n    def get_context(self, request, response):\n"
     "        return {'request': request, 'user': request.user}", False),
    ("class V(GraphQLView):\n    @classmethod\n    def as_view(cls, **kw):\n"
     "        view = super().as_view(**kw)\n"
     "        view = authentication_classes([TokenAuthentication])(view)\n"
     "        return api_view(['POST'])(view)", False),
    ("class V(GraphQLView):\n    @classmethod\n    def as_view(cls, **kw):\n"
     "        return permission_classes((IsAuthenticated,))(super().as_view(**kw))", True),
])
def test_a_server_class_only_signed_in_callers_reach(source: str, protected: bool) -> None:
    module = cst.parse_module(source)
    cls = next(s for s in module.body if isinstance(s, cst.ClassDef))
    assert servers.class_protected(cls, module) is protected


def test_the_graphql_of_an_application_is_signed_in_only_when_every_server_is() -> None:
    from backend_audit.appmodel.collectors.graphql import (
        FACT_GRAPHQL_SERVER,
        FACT_GRAPHQL_VIEW_CLASS,
        served_to_signed_in_only,
    )
    from backend_audit.appmodel.project import ProjectFacts
    from backend_audit.config import Config

    project = ProjectFacts(Config())
    assert not served_to_signed_in_only(project)  # served nowhere in view: nothing known
    project.add(FACT_GRAPHQL_SERVER, "api/urls.py", "api.urls",
                {"library": "strawberry", "view": None, "protected": True})
    assert served_to_signed_in_only(project)
    project.add(FACT_GRAPHQL_SERVER, "api/urls.py", "api.urls",
                {"library": None, "view": ".views.PrivateView", "protected": False})
    project.add(FACT_GRAPHQL_VIEW_CLASS, "api/views.py", "api.views",
                {"name": "api.views.PrivateView", "library": "graphene", "protected": True})
    assert served_to_signed_in_only(project)  # the class it serves is protected
    project.add(FACT_GRAPHQL_SERVER, "public/urls.py", "public.urls",
                {"library": "ariadne", "view": None, "protected": False})
    assert not served_to_signed_in_only(project)
