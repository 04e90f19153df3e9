from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.RegisterView.as_view()),
    path("me/", views.ProfileView.as_view()),
    path("staff/import/", views.StaffImportView.as_view()),
    path("kiosk/", views.KioskPinView.as_view()),
]
