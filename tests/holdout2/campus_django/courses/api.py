from django.db import connection
from django.db.models.expressions import RawSQL
from rest_framework import generics, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Category, Course, Lesson, Review
from .serializers import CategorySerializer, CourseSerializer, LessonSerializer, ReviewSerializer


class CourseViewSet(viewsets.ReadOnlyModelViewSet):  # ok-category: pagination
    queryset = Course.objects.filter(published=True).order_by("title")
    serializer_class = CourseSerializer


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):  # expect-category: pagination
    queryset = Category.objects.order_by("name")
    serializer_class = CategorySerializer
    pagination_class = None


class LessonListAPIView(generics.ListAPIView):  # ok-category: pagination
    serializer_class = LessonSerializer

    def get_queryset(self):
        return Lesson.objects.filter(course_id=self.kwargs["course_id"]).order_by("position")


class CourseReviewsView(APIView):
    def get(self, request, course_id):
        reviews = Review.objects.filter(course_id=course_id).order_by("-id")  # expect-category: pagination
        return Response(ReviewSerializer(reviews, many=True).data)


class CourseSearchView(generics.ListAPIView):  # ok-category: pagination
    serializer_class = CourseSerializer

    def get_queryset(self):
        q = self.request.query_params.get("q", "")
        mode = self.request.query_params.get("mode", "rank")
        if mode == "legacy":
            return Course.objects.extra(select={"rank": f"ts_rank(search_vector, plainto_tsquery('{q}'))"}, order_by=["-rank"])  # expect-category: sql-injection, validation
        return Course.objects.annotate(rank=RawSQL("ts_rank(search_vector, plainto_tsquery(%s))", (q,))).order_by("-rank")  # ok-category: sql-injection


@api_view(["GET"])
def leaderboard(request, course_id: int):
    top = min(int(request.query_params.get("top", 10)), 50)
    with connection.cursor() as cur:
        cur.execute(  # ok-category: sql-injection, pagination
            "SELECT s.student_id, SUM(s.points) AS total FROM courses_submission s "
            "JOIN courses_assignment a ON a.id = s.assignment_id JOIN courses_lesson l ON l.id = a.lesson_id "
            "WHERE l.course_id = %s GROUP BY s.student_id ORDER BY total DESC LIMIT %s",
            [course_id, top],
        )
        rows = cur.fetchall()
    return Response([{"student": sid, "points": total} for sid, total in rows])
