from django.urls import include, path
from rest_framework_nested import routers

from . import views

router = routers.DefaultRouter()
router.register(r"projects", views.ProjectViewSet, basename="project")
router.register(r"tags", views.TagViewSet, basename="tag")
router.register(r"my-queue", views.MyQueueViewSet, basename="my-queue")

projects_router = routers.NestedDefaultRouter(router, r"projects", lookup="project")
projects_router.register(r"tickets", views.TicketViewSet, basename="project-tickets")

tickets_router = routers.NestedDefaultRouter(projects_router, r"tickets", lookup="ticket")
tickets_router.register(r"comments", views.CommentViewSet, basename="ticket-comments")

urlpatterns = [
    path("", include(router.urls)),
    path("", include(projects_router.urls)),
    path("", include(tickets_router.urls)),
    path("reports/sla-breaches/", views.SlaBreachReport.as_view()),
    path("search/", views.TicketSearchView.as_view()),
    path("dashboard/team-titles/", views.TeamTitlesView.as_view()),
]
