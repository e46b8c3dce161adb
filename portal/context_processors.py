from django.utils.functional import SimpleLazyObject

from portal.access import Action, can, has_role, reach
from portal.models import Role
from portal.notify import unread_count


def navigation(request):
    """What the navigation bar may show to the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}, "unread_notifications": 0}
    return {
        # One COUNT query, and only on pages that show it (partials never touch it).
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user=user)),
        "nav": {
            "dashboard": can(user, Action.DASHBOARD_VIEW),
            # KPI pages are for officials of a street or above; community staff see the
            # same tiles on their dashboard.
            # (A path has one code per level: city "c/", district "c/d/", street "c/d/s/".)
            "kpi": any(p.count("/") <= 3 for p in reach(user, Action.DASHBOARD_VIEW)),
            "needs": can(user, Action.NEED_VIEW),
            "resources": can(user, Action.RESOURCE_VIEW),
            "projects": can(user, Action.PROJECT_VIEW),
            "enrollments": can(user, Action.ENROLLMENT_VIEW),
            "activities": can(user, Action.ACTIVITY_MANAGE) or can(user, Action.SERVICE_VIEW),
            "me": hasattr(user, "party_member"),
            "unit_admin": has_role(user, Role.UNIT_ADMIN),
            "roster": can(user, Action.ROSTER_CHANGE),
            "audit": can(user, Action.AUDIT_VIEW),
            "settings": can(user, Action.SETTING_CHANGE),
            "jobs": can(user, Action.JOB_VIEW) or can(user, Action.JOB_RUN),
        },
    }
