from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core import clock, notify


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first, in the reader's language; POST marks them all read."""
    from core.models import UserNotification  # models import after apps are ready

    mine = UserNotification.objects.filter(user_id=int(request.user.pk or 0))  # login_required: a real user
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=clock.now())
        return redirect("notifications")
    items = [(n, notify.render(n.kind, n.params)) for n in mine[:100]]
    return render(request, "core/notifications.html", {"items": items,
                                                       "unread": sum(1 for n, _t in items if n.read_at is None)})
