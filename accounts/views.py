from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.selectors import home_links


@login_required
def home(request):
    return render(request, "accounts/home.html", {"sections": home_links(user=request.user)})
