"""The notification inbox: a user's own notifications, read in the language of the page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from portal import notify

PAGE_SIZE = 25


@login_required
@require_GET
def inbox(request):
    """The signed-in user's notifications, unread first, paged."""
    page = Paginator(notify.inbox(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for notification in page:
        subject, body = notify.render(notification)
        items.append({"notification": notification, "subject": subject, "body": body})
    return render(request, "portal/notifications.html", {"page_obj": page, "items": items})


@login_required
@require_POST
def open_notification(request, pk: int):
    """Mark one of the user's notifications read and follow its link (back to the inbox if none)."""
    notification = notify.mark_read(user=request.user, pk=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def read_all(request):
    """Mark every unread notification of the user read."""
    notify.mark_all_read(user=request.user)
    return redirect("notifications")
