import csv
import logging

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from .forms import AgentSignupForm, TicketForm
from .models import AgentProfile, Comment, Ticket
from .services import export_rows

log = logging.getLogger(__name__)


def new_ticket(request):
    if request.method == "POST":
        form = TicketForm(request.POST)
        if form.is_valid():
            ticket = form.save()  # ok-category: validation
            return redirect("ticket-detail", pk=ticket.pk)
    else:
        form = TicketForm()
    return render(request, "tickets/new.html", {"form": form})


@login_required
@require_POST
def reply(request, pk):
    ticket = get_object_or_404(Ticket, pk=pk)
    Comment.objects.create(  # expect-category: validation
        ticket=ticket,
        author=request.user,
        text=request.POST["text"],
        public=request.POST.get("public") == "on",
    )
    return redirect("ticket-detail", pk=pk)


@login_required
@require_POST
def assign(request, pk):
    ticket = get_object_or_404(Ticket, pk=pk)
    agent = get_object_or_404(User, username=request.POST.get("agent"))  # expect-category: validation
    ticket.assigned_to = agent
    ticket.save()
    return JsonResponse({"assigned_to": agent.username})


@login_required
@require_GET
def export_csv(request):
    queue = request.GET.get("queue", "general")
    rows = export_rows(queue, request.GET.get("since"))  # expect-category: validation
    response = HttpResponse(content_type="text/csv")
    writer = csv.writer(response)
    writer.writerow(["id", "subject", "status", "created"])
    writer.writerows(rows)
    return response


@login_required
@require_GET
def search(request):
    q = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(  # expect-category: sql-injection, validation  # ok-category: pagination
            "SELECT id, subject, status FROM tickets_ticket WHERE subject ILIKE '%" + q + "%' ORDER BY id DESC LIMIT 100"
        )
        rows = cursor.fetchall()
    return JsonResponse({"results": [{"id": r[0], "subject": r[1], "status": r[2]} for r in rows]})


@login_required
@require_GET
def open_tickets(request):
    tickets = Ticket.objects.filter(status="open").values("id", "subject", "priority")  # expect-category: pagination
    return JsonResponse({"tickets": list(tickets)})


@login_required
@require_GET
def recent_tickets(request):
    tickets = Ticket.objects.filter(status="open").order_by("-created").values("id", "subject")[:25]  # ok-category: pagination
    return JsonResponse({"tickets": list(tickets)})


def agent_signup(request):
    form = AgentSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(  # ok-category: validation, password-storage
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        AgentProfile.objects.create(user=user, pin=request.POST.get("pin", "0000"))  # expect-category: validation
        log.info("agent %s signed up", user.username)
        return redirect("login")
    return render(request, "agents/signup.html", {"form": form})


@login_required
def verify_pin(request):
    profile = get_object_or_404(AgentProfile, user=request.user)
    if request.POST.get("pin") == profile.pin:
        return JsonResponse({"ok": True})
    return JsonResponse({"ok": False}, status=403)
