from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.selectors import home_links


@login_required
def home(request):
    return render(request, "accounts/home.html", {"sections": home_links(user=request.user)})


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, as in Django 5) and say so on the login page it leads to."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            # The session was flushed: the message goes into the new one.
            messages.success(request, _("You have been logged out."))
        return response
