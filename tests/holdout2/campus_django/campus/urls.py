from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from courses import api, views

router = DefaultRouter()
router.register("courses", api.CourseViewSet, basename="api-course")
router.register("categories", api.CategoryViewSet, basename="api-category")

urlpatterns = [  # expect-category: error-handling
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("courses/<slug:slug>/", views.CourseDetailView.as_view(), name="course-detail"),
    path("courses/<slug:slug>/roster.json", views.course_roster, name="course-roster"),
    path("courses/<slug:slug>/lessons/", views.LessonListView.as_view(), name="lesson-list"),
    path("lessons/<int:pk>/edit.json", views.edit_lesson, name="lesson-edit"),
    path("assignments/<int:pk>/submit/", views.SubmitAssignmentView.as_view(), name="submit"),
    path("assignments/<int:pk>/quick-grade/", views.quick_grade, name="quick-grade"),
    path("api/", include(router.urls)),
    path("api/courses/<int:course_id>/lessons/", api.LessonListAPIView.as_view()),
    path("api/courses/<int:course_id>/reviews/", api.CourseReviewsView.as_view()),
    path("api/search/", api.CourseSearchView.as_view()),
    path("api/leaderboard/<int:course_id>/", api.leaderboard),
]
