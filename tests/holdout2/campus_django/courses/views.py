import json

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView, ListView

from .forms import GradeForm, SubmissionForm
from .models import Assignment, Course, Enrollment, Lesson, Submission


class CourseListView(ListView):  # ok-category: pagination
    template_name = "courses/list.html"
    paginate_by = 24

    def get_queryset(self):
        return Course.objects.filter(published=True).select_related("category").order_by("title")


class CourseDetailView(DetailView):
    model = Course
    slug_field = "slug"
    template_name = "courses/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["lessons"] = self.object.lessons.order_by("position")[:50]  # ok-category: pagination
        return ctx


class LessonListView(LoginRequiredMixin, ListView):  # expect-category: pagination
    template_name = "courses/lessons.html"

    def get_queryset(self):
        return Lesson.objects.filter(course__slug=self.kwargs["slug"]).order_by("position")


@login_required
def course_roster(request, slug):
    course = get_object_or_404(Course, slug=slug, instructor=request.user)
    students = [{"id": e.student_id, "name": e.student.get_full_name(), "since": e.enrolled_at.isoformat()} for e in Enrollment.objects.filter(course=course).select_related("student")]  # expect-category: pagination
    return JsonResponse({"course": course.slug, "students": students})


@login_required
@require_POST
def edit_lesson(request, pk):
    lesson = get_object_or_404(Lesson, pk=pk, course__instructor=request.user)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("invalid JSON")
    Lesson.objects.filter(pk=lesson.pk).update(**payload)  # expect-category: validation
    return JsonResponse({"status": "saved"})


class SubmitAssignmentView(LoginRequiredMixin, FormView):
    form_class = SubmissionForm
    template_name = "courses/submit.html"

    def form_valid(self, form):
        submission = form.save(commit=False)  # ok-category: validation
        submission.assignment = get_object_or_404(Assignment, pk=self.kwargs["pk"])
        submission.student = self.request.user
        submission.save()
        return redirect("course-list")


@login_required
@permission_required("courses.change_submission")
@require_POST
def quick_grade(request, pk):
    submission = get_object_or_404(Submission, pk=pk)
    form = GradeForm(request.POST)
    if form.is_valid():
        submission.points = form.cleaned_data["points"]  # ok-category: validation
        submission.save(update_fields=["points"])
        return JsonResponse({"points": submission.points})
    Submission.objects.filter(pk=pk).update(points=request.POST.get("points"))  # expect-category: validation
    return JsonResponse({"points": request.POST.get("points"), "warning": "saved unchecked"})
