from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.AgentSignupView.as_view()),
    path("import/", views.LegacyAgentImportView.as_view()),
    path("<int:pk>/reset-password/", views.AdminPasswordResetView.as_view()),
    path("<int:pk>/", views.AgentDetailView.as_view()),
]
