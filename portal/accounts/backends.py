"""The lockout check in front of the password backends."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    Every web sign-in (the login page, the admin's login) passes the request, and is counted
    and refused while locked. The signed-in forms that ask for the password again (password
    change, turning two-factor off) check it directly, not through here: their wrong entries
    are limited per account by ``BAODAO_RATE_PASSWORD_RECHECK`` (portal.accounts.views). A call without a request is not a
    sign-in from a client (a management command, the test client's ``login``): there is no
    address to count, so it goes straight to the password backends instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
