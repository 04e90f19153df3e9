import logging

from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.views import LoginView
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django.views.generic import CreateView

log = logging.getLogger("campus.accounts")
User = get_user_model()


class CampusLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class RegisterView(CreateView):
    form_class = UserCreationForm
    template_name = "accounts/register.html"
    success_url = "/courses/"

    def form_valid(self, form):
        response = super().form_valid(form)  # ok-category: password-storage, validation
        login(self.request, self.object)
        return response


@require_POST
def legacy_login(request):
    """Students imported from the 2015 Moodle export still carry their old PIN."""
    username = request.POST.get("username", "")
    pin_password = request.POST.get("password", "")
    log.debug("legacy login attempt user=%s pwd=%s", username, pin_password)  # expect-category: password-storage
    user = User.objects.filter(username=username, is_active=True).select_related("legacy_profile").first()  # expect-category: validation
    if user is None or user.legacy_profile.pin_password != pin_password:  # expect-category: password-storage
        return HttpResponseForbidden("invalid credentials")
    login(request, user)
    return redirect("course-list")
