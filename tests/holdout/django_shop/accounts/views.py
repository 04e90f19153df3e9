import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import ProfileSerializer, RegisterSerializer

log = logging.getLogger(__name__)
User = get_user_model()


class RegisterView(generics.CreateAPIView):
    serializer_class = RegisterSerializer
    permission_classes = [permissions.AllowAny]


class ProfileView(generics.RetrieveUpdateAPIView):
    serializer_class = ProfileSerializer

    def get_object(self):
        return self.request.user


class StaffImportView(APIView):
    """Bulk-create staff accounts from the HR export."""

    permission_classes = [permissions.IsAdminUser]

    def post(self, request):
        created = []
        for row in request.data.get("staff", []):
            user = User(  # expect-category: validation
                username=row["username"],
                email=row.get("email", ""),
                is_staff=True,
                password=make_password(row["password"]),  # ok-category: password-storage
            )
            user.save()
            created.append(user.username)
        log.info("imported %d staff accounts", len(created))
        return Response({"created": created}, status=status.HTTP_201_CREATED)


class KioskPinView(APIView):
    """Store kiosk terminals authenticate with a shared passphrase."""

    permission_classes = [permissions.AllowAny]

    def post(self, request):
        from django.conf import settings

        passphrase = request.data.get("passphrase", "")
        if not check_password(passphrase, settings.KIOSK_PASSPHRASE_HASH):  # ok-category: password-storage
            return Response({"detail": "denied"}, status=status.HTTP_403_FORBIDDEN)
        return Response({"detail": "ok"})
