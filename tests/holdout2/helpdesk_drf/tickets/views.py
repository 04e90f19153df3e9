import logging

from django.db.models import Q
from django.db.models.expressions import RawSQL
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Comment, Project, Tag, Ticket
from .pagination import CommentCursorPagination, TicketPagination
from .serializers import (CommentSerializer, ProjectSerializer, TagSerializer, TicketSerializer,
                          TicketStatusSerializer)

log = logging.getLogger(__name__)


class ProjectViewSet(viewsets.ModelViewSet):  # expect-category: pagination
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return Project.objects.filter(members=self.request.user).order_by("key")


class TagViewSet(viewsets.ReadOnlyModelViewSet):  # expect-category: pagination
    queryset = Tag.objects.order_by("name")
    serializer_class = TagSerializer


class TicketViewSet(viewsets.ModelViewSet):  # ok-category: pagination
    serializer_class = TicketSerializer
    pagination_class = TicketPagination

    def get_queryset(self):
        return Ticket.objects.filter(project_id=self.kwargs["project_pk"]).select_related("assignee").prefetch_related("tags")

    def perform_create(self, serializer):
        serializer.save(project_id=self.kwargs["project_pk"], reporter=self.request.user)  # ok-category: validation

    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, project_pk=None):
        ticket = self.get_object()
        serializer = TicketStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket.status = serializer.validated_data["status"]  # ok-category: validation
        ticket.save(update_fields=["status"])
        services.notify_watchers(ticket)
        return Response(TicketSerializer(ticket).data)

    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None, project_pk=None):
        ticket = self.get_object()
        ticket.assignee_id = request.data["assignee_id"]  # expect-category: validation
        ticket.save(update_fields=["assignee"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"], url_path="bulk-update")
    def bulk_update(self, request, project_pk=None):
        ids = request.data.pop("ids", [])
        updated = Ticket.objects.filter(project_id=project_pk, pk__in=ids).update(**request.data)  # expect-category: validation
        return Response({"updated": updated})

    @action(detail=False, methods=["get"], url_path="by-priority")
    def by_priority(self, request, project_pk=None):
        min_priority = request.query_params.get("min", "1")
        qs = Ticket.objects.filter(project_id=project_pk).extra(where=["priority >= %s" % min_priority])[:100]  # expect-category: sql-injection, validation
        return Response(TicketSerializer(qs, many=True).data)


class CommentViewSet(viewsets.ModelViewSet):  # ok-category: pagination
    serializer_class = CommentSerializer
    pagination_class = CommentCursorPagination

    def get_queryset(self):
        return Comment.objects.filter(ticket_id=self.kwargs["ticket_pk"], ticket__project_id=self.kwargs["project_pk"])

    def perform_create(self, serializer):
        serializer.save(ticket_id=self.kwargs["ticket_pk"], author=self.request.user)


class MyQueueViewSet(viewsets.ViewSet):
    def list(self, request):
        tickets = Ticket.objects.filter(assignee=request.user).exclude(status=Ticket.Status.CLOSED)  # expect-category: pagination
        return Response(TicketSerializer(tickets, many=True).data)

    def retrieve(self, request, pk=None):
        ticket = Ticket.objects.get(pk=pk, assignee=request.user)
        return Response(TicketSerializer(ticket).data)


class TicketSearchView(generics.ListAPIView):  # ok-category: pagination
    serializer_class = TicketSerializer
    pagination_class = TicketPagination

    def get_queryset(self):
        q = self.request.query_params.get("q", "").strip()
        if not 2 <= len(q) <= 100:
            raise ValidationError({"q": "search term must be 2-100 characters"})
        project = self.request.query_params.get("project", "")
        if project.isdigit():
            return Ticket.objects.raw("SELECT * FROM tickets_ticket WHERE project_id = %s AND title ILIKE %s", [int(project), f"%{q}%"])  # ok-category: sql-injection
        return (Ticket.objects.filter(Q(title__icontains=q) | Q(body__icontains=q))  # ok-category: validation
                .annotate(rank=RawSQL("similarity(title, %s)", (q,))).order_by("-rank"))  # ok-category: sql-injection


class SlaBreachReport(APIView):
    def get(self, request):
        try:
            rows = services.sla_breaches({"team": request.query_params.get("team"), "project": request.query_params.get("project")})  # expect-category: validation
        except Exception as exc:
            log.exception("SLA report failed")
            return Response({"error": f"report failed: {exc}"}, status=500)  # expect-category: error-handling
        return Response(rows)


class TeamTitlesView(APIView):
    """Used by the old dashboard widget; returns the 20 newest titles of a team."""

    def get(self, request):
        team = request.query_params.get("team", "")
        titles = Ticket.objects.raw("SELECT id, title FROM tickets_ticket WHERE team = '" + team + "' ORDER BY id DESC LIMIT 20")  # expect-category: sql-injection, validation
        return Response([{"id": t.id, "title": t.title} for t in titles])
