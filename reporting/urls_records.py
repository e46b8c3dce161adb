from django.urls import path

from reporting.views import identity, records

urlpatterns = [
    path("staff/import/", records.import_upload, name="import_upload"),
    path("staff/import/template/<str:kind>.xlsx", records.import_template, name="import_template"),
    path(
        "staff/members/<int:pk>/id-number/",
        identity.member_id_number,
        name="member_id_number",
    ),
    path(
        "staff/members/<int:pk>/id-number/reveal/",
        identity.member_id_number_reveal,
        name="member_id_number_reveal",
    ),
    path("me/certificates/", records.my_certificates, name="my_certificates"),
    path("me/certificates/<str:code>.pdf", records.certificate_pdf, name="certificate_pdf"),
    path("verify/", records.certificate_verify, name="certificate_verify"),
    path("verify/<str:code>/", records.certificate_verify, name="certificate_verify"),
]
