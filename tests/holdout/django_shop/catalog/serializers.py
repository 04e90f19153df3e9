from rest_framework import serializers

from .models import Brand, Product, Review


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]


class ProductSerializer(serializers.ModelSerializer):
    brand = BrandSerializer(read_only=True)
    brand_id = serializers.PrimaryKeyRelatedField(source="brand", queryset=Brand.objects.all(), write_only=True)

    class Meta:
        model = Product
        fields = ["id", "title", "slug", "description", "price", "stock", "brand", "brand_id"]


class ReviewSerializer(serializers.ModelSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = Review
        fields = ["id", "product", "rating", "body", "created_at"]
        read_only_fields = ["created_at"]


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=100)


class PriceUpdateSerializer(serializers.Serializer):
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=-50, max_value=50)
    brand = serializers.SlugField()
