"""Excel import for community workers; members' certificates and their public verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied
from reporting.certificates_pdf import build_certificate_pdf
from reporting.forms.imports import CertificateForm, ImportForm, VerifyForm
from reporting.importing import KINDS, XLSX_CONTENT_TYPE, run_import, template_workbook
from reporting.services.certificates import (
    certificates_of,
    certified_records,
    get_own_certificate,
    issue_certificate,
    verify_certificate,
)


def _require_import(user) -> None:
    if not can(user, Action.ROSTER_CHANGE):
        raise PermissionDenied(_("You cannot import members, units or resources."))


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload a workbook; a dry run reports per-row errors, a real run imports all or nothing."""
    _require_import(request.user)
    report, status = None, 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = run_import(
                    by=request.user,
                    kind=data["kind"],
                    file_name=data["file"].name,
                    content=form.content,
                    dry_run=data["dry_run"],
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                if report.errors:
                    status = 400
                elif not report.dry_run:
                    messages.success(
                        request,
                        _("Imported %(n)s rows from %(file)s.")
                        % {"n": report.created, "file": report.file_name},
                    )
                    return redirect("reporting:import_upload")
        else:
            status = 400
    else:
        form = ImportForm()
    return render(
        request,
        "reporting/import_upload.html",
        {"form": form, "report": report, "kinds": KINDS},
        status=status,
    )


@login_required
@require_GET
def import_template(request, kind: str):
    """The .xlsx template of one kind: Chinese headers and one example row."""
    _require_import(request.user)
    if kind not in KINDS:
        raise Http404
    response = HttpResponse(
        template_workbook(kind, by=request.user), content_type=XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="import-{kind}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_certificates(request):
    """The member's certificates and a form to issue one for a period (then download it)."""
    member = getattr(request.user, "party_member", None)
    status = 200
    if member is not None and request.method == "POST":
        form = CertificateForm(request.POST)
        if form.is_valid():
            try:
                certificate = issue_certificate(
                    member=member,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("reporting:certificate_pdf", code=certificate.verification_code)
        status = 400
    else:
        form = CertificateForm()
    certificates = certificates_of(member=member) if member is not None else []
    return render(
        request,
        "reporting/my_certificates.html",
        {"member": member, "form": form, "certificates": certificates},
        status=status,
    )


@login_required
@require_GET
def certificate_pdf(request, code: str):
    """Download one's own certificate as a PDF; anyone else's is not found."""
    certificate = get_own_certificate(user=request.user, code=code)
    records = certified_records(certificate)
    verify_url = request.build_absolute_uri(
        reverse("reporting:certificate_verify", args=[certificate.verification_code])
    )
    pdf = build_certificate_pdf(certificate=certificate, records=records, verify_url=verify_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.verification_code}.pdf"'
    )
    return response


@require_GET
def certificate_verify(request, code: str | None = None):
    """Public: check a verification code; shows the masked name, hours, period and date only."""
    if code is None and "code" in request.GET:
        form = VerifyForm(request.GET)
        code = request.GET.get("code", "") if form.is_valid() else ""
        searched = True
    else:
        form = VerifyForm(initial={"code": code} if code else None)
        searched = code is not None
    result = verify_certificate(code=code) if searched and code else None
    status = 404 if searched and result is None else 200
    return render(
        request,
        "reporting/certificate_verify.html",
        {"form": form, "result": result, "searched": searched},
        status=status,
    )
