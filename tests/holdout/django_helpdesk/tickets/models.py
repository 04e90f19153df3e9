from django.contrib.auth.models import User
from django.db import models


class Queue(models.Model):
    name = models.CharField(max_length=100, unique=True)
    email = models.EmailField(blank=True)


class Ticket(models.Model):
    PRIORITIES = [(1, "low"), (2, "normal"), (3, "high"), (4, "urgent")]

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    submitter_email = models.EmailField()
    priority = models.IntegerField(choices=PRIORITIES, default=2)
    status = models.CharField(max_length=20, default="open", db_index=True)
    assigned_to = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL)
    text = models.TextField()
    public = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)


class Article(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    published = models.BooleanField(default=False)


class AgentProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE)
    extension = models.CharField(max_length=10, blank=True)
    pin = models.CharField(max_length=128)
