import logging

from django.db import connection, transaction
from django.db.models import Avg, Count, F
from django.shortcuts import get_object_or_404
from rest_framework import generics, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Brand, Product, Review
from .serializers import (
    BrandSerializer,
    PriceUpdateSerializer,
    ProductSerializer,
    ReviewSerializer,
    SearchParamsSerializer,
)

log = logging.getLogger(__name__)


class ProductViewSet(viewsets.ModelViewSet):  # ok-category: pagination
    queryset = Product.objects.filter(is_active=True).select_related("brand")
    serializer_class = ProductSerializer
    filterset_fields = ["brand__slug"]
    lookup_field = "slug"

    @action(detail=False, methods=["get"])
    def bestsellers(self, request):
        qs = self.get_queryset().annotate(score=Avg("reviews__rating")).order_by("-score")
        page = self.paginate_queryset(qs)  # ok-category: pagination
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=False, methods=["get"], url_path="out-of-stock")
    def out_of_stock(self, request):
        qs = self.get_queryset().filter(stock=0)  # expect-category: pagination
        return Response(self.get_serializer(qs, many=True).data)

    @action(detail=True, methods=["get"])
    def related(self, request, slug=None):
        product = self.get_object()
        qs = Product.objects.filter(brand=product.brand).exclude(pk=product.pk)[:8]  # ok-category: pagination
        return Response(self.get_serializer(qs, many=True).data)


class BrandListView(generics.ListAPIView):  # ok-category: pagination
    queryset = Brand.objects.order_by("name")
    serializer_class = BrandSerializer


class ReviewListCreateView(generics.ListCreateAPIView):  # expect-category: pagination
    serializer_class = ReviewSerializer
    pagination_class = None

    def get_queryset(self):
        return Review.objects.filter(product__slug=self.kwargs["slug"]).order_by("-created_at")

    def perform_create(self, serializer):
        serializer.save(author=self.request.user)  # ok-category: validation


class BrandProductsView(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request, slug):
        brand = get_object_or_404(Brand, slug=slug)
        products = Product.objects.filter(brand=brand, is_active=True)  # expect-category: pagination
        return Response(ProductSerializer(products, many=True).data)


class PriceAdjustView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def post(self, request):
        serializer = PriceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        factor = 1 + data["percent"] / 100
        with transaction.atomic():
            updated = Product.objects.filter(brand__slug=data["brand"]).update(price=F("price") * factor)  # ok-category: validation
        return Response({"updated": updated})


class ProductSearchView(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        term = params.validated_data["q"]
        products = Product.objects.raw(  # ok-category: sql-injection, pagination, validation
            "SELECT * FROM catalog_product WHERE is_active AND to_tsvector(title) @@ plainto_tsquery(%s) LIMIT 40",
            [term],
        )
        return Response(ProductSerializer(products, many=True).data)


class StockReportView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        warehouse = request.query_params.get("warehouse", "main")
        with connection.cursor() as cursor:
            cursor.execute(  # expect-category: sql-injection, validation  # ok-category: pagination
                "SELECT p.slug, s.quantity FROM catalog_product p "
                "JOIN inventory_stock s ON s.product_id = p.id "
                "WHERE s.warehouse = '%s' ORDER BY p.slug LIMIT 500" % warehouse
            )
            rows = cursor.fetchall()
        return Response([{"slug": slug, "quantity": qty} for slug, qty in rows])


class LowStockView(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        threshold = int(request.query_params.get("threshold", 5))
        with connection.cursor() as cursor:
            cursor.execute(  # ok-category: sql-injection, validation
                "SELECT slug, stock FROM catalog_product WHERE stock < %s ORDER BY stock LIMIT 200",
                [threshold],
            )
            rows = cursor.fetchall()
        return Response([{"slug": s, "stock": n} for s, n in rows])


class ProductStatsView(APIView):
    def get(self, request):
        title = request.query_params.get("title", "")
        qs = Product.objects.annotate(review_count=Count("reviews")).extra(  # expect-category: sql-injection, validation  # ok-category: pagination
            where=[f"catalog_product.title ILIKE '%%{title}%%'"]
        )[:50]
        return Response([{"slug": p.slug, "reviews": p.review_count} for p in qs])
