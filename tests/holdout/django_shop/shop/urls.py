from django.contrib import admin
from django.urls import include, path

urlpatterns = [  # ok-category: error-handling
    path("admin/", admin.site.urls),
    path("api/", include("catalog.urls")),
    path("api/accounts/", include("accounts.urls")),
]

handler404 = "shop.views.not_found"
handler500 = "shop.views.server_error"
