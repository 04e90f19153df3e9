from django.contrib.auth.models import User
from rest_framework import serializers

from .models import Article, Comment, Queue, Ticket


class QueueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "email"]


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "queue", "subject", "body", "submitter_email", "priority", "status", "assigned_to", "created"]
        read_only_fields = ["status", "created"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text", "public", "created"]


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "title", "body"]


class AgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]  # expect-category: password-storage
