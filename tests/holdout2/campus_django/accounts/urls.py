from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.CampusLoginView.as_view(), name="login"),
    path("legacy-login/", views.legacy_login, name="legacy-login"),
    path("register/", views.RegisterView.as_view(), name="register"),
]
