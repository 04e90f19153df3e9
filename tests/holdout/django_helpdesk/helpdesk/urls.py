from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tickets import api, views

router = DefaultRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("queues", api.QueueViewSet, basename="queue")
router.register("agents", api.AgentViewSet, basename="agent")

urlpatterns = [  # expect-category: error-handling
    path("api/", include(router.urls)),
    path("api/tickets/<int:pk>/comments/", api.CommentListView.as_view()),
    path("api/kb/", api.ArticleListView.as_view()),
    path("tickets/new/", views.new_ticket, name="new-ticket"),
    path("tickets/<int:pk>/reply/", views.reply, name="reply"),
    path("tickets/<int:pk>/assign/", views.assign, name="assign"),
    path("tickets/export/", views.export_csv, name="export"),
    path("search/", views.search, name="search"),
    path("agents/signup/", views.agent_signup, name="agent-signup"),
    path("agents/pin/", views.verify_pin, name="verify-pin"),
    path("tickets/open/", views.open_tickets, name="open-tickets"),
    path("tickets/recent/", views.recent_tickets, name="recent-tickets"),
]
