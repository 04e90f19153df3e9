from django.urls import include, path

handler500 = "helpdesk.views.server_error"
handler404 = "helpdesk.views.not_found"

urlpatterns = [  # ok-category: error-handling
    path("api/", include("tickets.urls")),
    path("api/accounts/", include("accounts.urls")),
]
