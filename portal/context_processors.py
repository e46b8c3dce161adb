from portal.access import Action, can


def navigation(request):
    """What the navigation bar may show to the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "dashboard": can(user, Action.DASHBOARD_VIEW),
            "needs": can(user, Action.NEED_VIEW),
            "resources": can(user, Action.RESOURCE_VIEW),
            "projects": can(user, Action.PROJECT_VIEW),
            "audit": can(user, Action.AUDIT_VIEW),
            "settings": can(user, Action.SETTING_CHANGE),
        }
    }
