"""Pages that belong to no single app: sign-in and sign-out, reader profiles, robots.txt."""

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from articles.views import apply_pending_save


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        apply_pending_save(self.request)
        return response


def profile(request, handle):
    member = get_object_or_404(get_user_model(), handle__iexact=handle, is_active=True)
    return render(request, "newsroom/profile.html", {"member": member})


@require_GET
def robots_txt(request):
    return render(request, "robots.txt", content_type="text/plain; charset=utf-8")
