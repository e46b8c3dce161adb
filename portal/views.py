"""Platform pages: home, sign-in, health check, the permission matrix and the audit log."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.access import ACTION_LABELS, ALL_ACTIONS, Action, can, matrix, scope
from portal.errors import DomainError
from portal.forms import AreaSettingForm
from portal.models import AuditEvent, Setting
from portal.services import SETTING_SPECS, set_setting


@require_GET
@never_cache
def healthz(request):
    """Liveness and database reachability, for load balancers and compose health checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return JsonResponse(
            {"status": "error", "database": "error", "detail": exc.__class__.__name__}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})


def home(request):
    """Staff land on their dashboard; everyone else on the resident entrance."""
    user = request.user
    if user.is_authenticated and can(user, Action.DASHBOARD_VIEW):
        return redirect("resources:dashboard")
    if user.is_authenticated and hasattr(user, "party_member"):
        return redirect("reporting:member_home")
    if user.is_authenticated and can(user, Action.NEED_VIEW):
        return redirect("resources:need_list")
    if user.is_authenticated and can(user, Action.AUDIT_VIEW):
        return redirect("audit_log")
    return render(request, "portal/home.html")


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Mobile number or username")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "inputmode": "text"}
        )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def access_matrix(request):
    """The role × action table that portal.access enforces, rendered from the same data."""
    actions = [(action, ACTION_LABELS[action]) for action in ALL_ACTIONS]
    return render(request, "portal/access_matrix.html", {"actions": actions, "rows": matrix()})


@login_required
def audit_log(request):
    """The whole audit chain, newest first, for security auditors of the area."""
    if not can(request.user, Action.AUDIT_VIEW):
        return render(
            request,
            "error.html",
            {"message": _("Only security auditors can read the audit log.")},
            status=403,
        )
    events = scope(
        AuditEvent.objects.select_related("actor", "area"), request.user, Action.AUDIT_VIEW
    )
    page = Paginator(events.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "portal/audit_log.html", {"page_obj": page})


@login_required
def area_settings(request):
    """Officials override product defaults (such as the 24-hour response clock) for their areas."""
    if not can(request.user, Action.SETTING_CHANGE):
        return render(
            request, "error.html", {"message": _("You cannot change area settings.")}, status=403
        )
    form = AreaSettingForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                set_setting(
                    key=form.cleaned_data["key"],
                    area=form.cleaned_data["area"],
                    year=form.cleaned_data["year"],
                    value=form.cleaned_data["value"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Setting saved."))
                return redirect("area_settings")
        status = 400
    overrides = scope(
        Setting.objects.select_related("area", "updated_by").order_by("area__path", "key", "year"),
        request.user,
        Action.SETTING_CHANGE,
    )
    defaults = [(SETTING_SPECS[key].label, settings.BAODAO_DEFAULTS[key]) for key in SETTING_SPECS]
    labels = {key: spec.label for key, spec in SETTING_SPECS.items()}
    rows = [(o, labels.get(o.key, o.key)) for o in overrides]
    return render(
        request,
        "portal/area_settings.html",
        {"form": form, "rows": rows, "defaults": defaults},
        status=status,
    )
