import logging

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework import generics, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from .models import Article, Comment, Queue, Ticket
from .serializers import AgentSerializer, ArticleSerializer, CommentSerializer, QueueSerializer, TicketSerializer
from .services import notify_assignee, ticket_counts

log = logging.getLogger(__name__)


TICKET_STATES = {"open", "pending", "resolved", "closed"}


class TicketPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class TicketViewSet(viewsets.ModelViewSet):  # ok-category: pagination
    serializer_class = TicketSerializer
    pagination_class = TicketPagination

    def get_queryset(self):
        qs = Ticket.objects.select_related("queue", "assigned_to").order_by("-created")
        status_filter = self.request.query_params.get("status")
        if status_filter in TICKET_STATES:
            qs = qs.filter(status=status_filter)  # ok-category: validation
        return qs

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        ticket = self.get_object()
        ticket.status = "closed"
        ticket.save(update_fields=["status"])
        return Response(self.get_serializer(ticket).data)

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        ticket = self.get_object()
        try:
            agent_id = int(request.data.get("agent_id"))
        except (TypeError, ValueError):
            return Response({"detail": "agent_id must be an integer"}, status=status.HTTP_400_BAD_REQUEST)
        ticket.assigned_to_id = agent_id  # ok-category: validation
        ticket.save(update_fields=["assigned_to"])
        try:
            notify_assignee(ticket)
        except Exception as exc:
            return Response({"detail": "assigned, but notification failed: %s" % exc}, status=status.HTTP_202_ACCEPTED)  # expect-category: error-handling
        return Response(self.get_serializer(ticket).data)

    @action(detail=False, methods=["get"])
    def stats(self, request):
        return Response(ticket_counts())


class QueueViewSet(viewsets.ModelViewSet):  # expect-category: pagination
    queryset = Queue.objects.order_by("name")
    serializer_class = QueueSerializer


class AgentViewSet(viewsets.ModelViewSet):  # expect-category: pagination
    queryset = User.objects.filter(is_staff=True).order_by("username")
    serializer_class = AgentSerializer
    permission_classes = [permissions.IsAdminUser]


class CommentListView(generics.ListCreateAPIView):  # expect-category: pagination
    serializer_class = CommentSerializer

    def get_queryset(self):
        return Comment.objects.filter(ticket_id=self.kwargs["pk"]).order_by("created")

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save(ticket_id=self.kwargs["pk"], author=self.request.user)  # ok-category: validation


class ArticleListView(generics.ListAPIView):  # ok-category: pagination
    serializer_class = ArticleSerializer
    pagination_class = LimitOffsetPagination
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return Article.objects.filter(published=True).order_by("title")
