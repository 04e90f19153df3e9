import logging
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from rest_framework import generics, status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import AgentSerializer, AgentSignupSerializer

User = get_user_model()
log = logging.getLogger(__name__)


class AgentSignupView(APIView):
    permission_classes = [IsAdminUser]

    def post(self, request):
        serializer = AgentSignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agent = serializer.save()  # ok-category: validation
        return Response(AgentSerializer(agent).data, status=status.HTTP_201_CREATED)


class LegacyAgentImportView(APIView):
    """One-off import of agents exported from the old desk (CSV converted to JSON)."""

    permission_classes = [IsAdminUser]

    def post(self, request):
        created = 0
        for row in request.data.get("agents", []):
            User.objects.create(username=row["username"], email=row.get("email", ""), password=row["password"])  # expect-category: password-storage, validation
            created += 1
        return Response({"created": created}, status=status.HTTP_201_CREATED)


class AdminPasswordResetView(APIView):
    permission_classes = [IsAdminUser]

    def post(self, request, pk):
        agent = generics.get_object_or_404(User, pk=pk)
        temporary_password = secrets.token_urlsafe(12)
        agent.password = make_password(temporary_password)  # ok-category: password-storage
        agent.save(update_fields=["password"])
        log.info("temporary password issued for agent %s", agent.username)
        return Response({"temporary_password": temporary_password})  # expect-category: password-storage


class AgentDetailView(generics.RetrieveUpdateAPIView):
    permission_classes = [IsAdminUser]
    queryset = User.objects.all()
    serializer_class = AgentSerializer
