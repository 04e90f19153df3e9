from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("products", views.ProductViewSet, basename="product")

urlpatterns = [
    path("", include(router.urls)),
    path("brands/", views.BrandListView.as_view()),
    path("brands/<slug:slug>/products/", views.BrandProductsView.as_view()),
    path("products/<slug:slug>/reviews/", views.ReviewListCreateView.as_view()),
    path("admin/price-adjust/", views.PriceAdjustView.as_view()),
    path("search/", views.ProductSearchView.as_view()),
    path("reports/stock/", views.StockReportView.as_view()),
    path("reports/low-stock/", views.LowStockView.as_view()),
    path("reports/stats/", views.ProductStatsView.as_view()),
]
