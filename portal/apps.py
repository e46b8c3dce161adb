from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from portal.accounts import signals  # noqa: F401  (connects the sign-in receivers)
