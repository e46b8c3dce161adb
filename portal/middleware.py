"""Turn a domain error that escaped a view into a readable page with the right status."""

from django.shortcuts import render

from portal.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return render(
                request,
                "error.html",
                {"message": exception.message, "code": exception.code},
                status=exception.status,
            )
        return None
