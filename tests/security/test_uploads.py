"""Need attachments: limits, type decided by sniffing, images re-encoded without metadata,
active PDFs refused, random storage names, escaped display names, nothing half-written, and
files served only by the scoped view with safe headers."""

import base64
import re
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image, ImageFile

from portal.models import AuditEvent, Role
from resources.models import Need, NeedAttachment
from resources.services import submit_need
from resources.uploads import clean_upload, display_name
from tests.factories import category, user_with_role

FORM_URL = reverse("resources:public_need_form")
PROXY_URL = reverse("resources:need_proxy_create")
STORED_PATH = re.compile(r"^needs/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|pdf)$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- files -------------------------------------------------------------------------------------


def image_bytes(fmt="JPEG", size=(64, 48), mode="RGB", **save) -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, "red" if mode in {"RGB", "RGBA"} else 0).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 9.0)
    return image_bytes("JPEG", exif=exif)


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def pdf_with(body: bytes) -> bytes:
    return MINIMAL_PDF.replace(b"%%EOF", body + b"\n%%EOF")


def stream_object(number: int, dictionary: bytes, data: bytes) -> bytes:
    return b"%d 0 obj\n<< %s /Length %d >>\nstream\n%s\nendstream\nendobj" % (
        number,
        dictionary,
        len(data),
        data,
    )


# Object 4, an action run when the document opens, as stored in an object stream.
HIDDEN_SCRIPT = b"4 0 << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"


def object_stream(filters: bytes, data: bytes) -> bytes:
    return pdf_with(stream_object(3, b"/Type /ObjStm /N 1 /First 4 " + filters, data))


def png_predicted(data: bytes, columns: int, tag: int) -> bytes:
    """``data`` encoded with a PNG predictor (1 Sub, 2 Up), one byte a pixel."""
    out, previous = b"", bytes(columns)
    for start in range(0, len(data), columns):
        row = data[start : start + columns].ljust(columns, b" ")
        if tag == 1:
            coded = bytes((row[i] - (row[i - 1] if i else 0)) & 0xFF for i in range(columns))
        else:
            coded = bytes((row[i] - previous[i]) & 0xFF for i in range(columns))
        out += bytes([tag]) + coded
        previous = row
    return out


# --- the checks themselves -------------------------------------------------------------------


def test_a_jpeg_is_re_encoded_without_exif_or_gps(db):
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    cleaned = clean_upload(upload("photo.jpg", original))

    assert cleaned.content_type == "image/jpeg"
    assert cleaned.content != original
    stored = Image.open(BytesIO(cleaned.content))
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Exif" not in cleaned.content and b"PhoneMaker" not in cleaned.content


def test_png_text_chunks_do_not_survive(db):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    cleaned = clean_upload(upload("a.png", image_bytes("PNG", pnginfo=info), "image/png"))

    assert b"<script>" not in cleaned.content
    assert cleaned.content_type == "image/jpeg"  # no transparency: stored as JPEG


def test_transparent_images_stay_png_and_webp_is_converted(db):
    transparent = clean_upload(upload("t.png", image_bytes("PNG", mode="RGBA"), "image/png"))
    webp = clean_upload(upload("w.webp", image_bytes("WEBP"), "image/webp"))

    assert transparent.content_type == "image/png"
    assert webp.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpg", b"<!doctype html><script>alert(document.cookie)</script>", "image/jpeg"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
            "image/svg+xml",
        ),
        ("photo.png", b'<?xml version="1.0"?><svg onload="alert(1)"/>', "image/png"),
        ("anim.gif", image_bytes("GIF"), "image/gif"),
        ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg"),  # an executable
        ("doc.pdf", b"PK\x03\x04" + b"\x00" * 100, "application/pdf"),  # a zip named .pdf
    ],
)
def test_the_type_comes_from_the_bytes_not_the_name_or_browser(db, name, content, content_type):
    with pytest.raises(Exception) as caught:
        clean_upload(upload(name, content, content_type))

    assert caught.value.code == "type"


def test_a_polyglot_keeps_only_the_pixels(db):
    polyglot = image_bytes("JPEG") + b"<html><script>alert(1)</script></html>"

    cleaned = clean_upload(upload("p.jpg", polyglot))

    assert b"<script>" not in cleaned.content


def test_a_broken_image_is_refused(db):
    truncated = image_bytes("PNG")[:60]

    with pytest.raises(Exception) as caught:
        clean_upload(upload("b.png", truncated, "image/png"))

    assert caught.value.code == "image"


def test_a_decompression_bomb_is_refused_before_decoding(db):
    # 8000 × 8000 = 64 million pixels (over the 24 million cap) in a file of a few kilobytes.
    bomb = image_bytes("PNG", size=(8000, 8000), mode="1")
    assert len(bomb) < 100_000

    with pytest.raises(Exception) as caught:
        clean_upload(upload("bomb.png", bomb, "image/png"))

    assert caught.value.code == "pixels"


def test_by_default_a_30_megapixel_image_is_refused_without_decoding_it(db, monkeypatch):
    # 6000 × 5000: under the former 40 million cap, over the default of 24 million.
    large = image_bytes("PNG", size=(6000, 5000), mode="1")

    def decoded(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)

    with pytest.raises(Exception) as caught:
        clean_upload(upload("large.png", large, "image/png"))

    assert caught.value.code == "pixels"
    assert "at most 24 million" in caught.value.message


def test_the_pixel_cap_is_a_setting(db, settings):
    settings.BAODAO_UPLOAD_MAX_PIXELS = 1000

    with pytest.raises(Exception) as caught:
        clean_upload(upload("p.jpg", image_bytes("JPEG", size=(40, 40))))

    assert caught.value.code == "pixels"


def test_a_plain_pdf_is_kept_as_it_is(db):
    cleaned = clean_upload(upload("report.pdf", MINIMAL_PDF, "application/pdf"))

    assert cleaned.content == MINIMAL_PDF
    assert cleaned.content_type == "application/pdf"


@pytest.mark.parametrize(
    "body",
    [
        b"3 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj",
        b"3 0 obj\n<< /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>\nendobj",
        b"3 0 obj\n<< /Type /EmbeddedFile /Length 3 >>\nstream\nabc\nendstream\nendobj",
        b"3 0 obj\n<< /S /Launch /F (cmd.exe) >>\nendobj",
        # Hidden in a compressed object stream.
        b"3 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
        + b"\nendstream\nendobj",
        # A web address opened with the document, without any script.
        b"3 0 obj\n<< /OpenAction << /S /URI /URI (https://evil.example/) >> >>\nendobj",
        b"3 0 obj\n<< /S /JavaScript /#4A#53 (app.alert(1)) >>\nendobj",
        b"3 0 obj\n<< /AA << /O 4 0 R >> >>\nendobj",
        b"3 0 obj\n<< /AcroForm << /Fields [] >> >>\nendobj",
        b"3 0 obj\n<< /S /SubmitForm /F (https://evil.example/) >>\nendobj",
        b"3 0 obj\n<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>\nendobj",
        # An embedded file stream need not say /Type /EmbeddedFile; the annotation shows it.
        b"3 0 obj\n<< /Subtype /FileAttachment /FS << /EF << /F 4 0 R >> >> >>\nendobj",
        b"3 0 obj\n<< /JS\x00(app.alert(1)) >>\nendobj",  # NUL is white space in a PDF
    ],
)
def test_pdfs_with_scripts_actions_or_embedded_files_are_refused(db, body):
    with pytest.raises(Exception) as caught:
        clean_upload(upload("x.pdf", pdf_with(body), "application/pdf"))

    assert caught.value.code == "pdf_active"


def test_names_in_a_flate_object_stream_behind_a_png_predictor_are_found(db):
    parms = b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >>"
    hidden = zlib.compress(png_predicted(HIDDEN_SCRIPT, 8, tag=1))
    assert b"JS" not in zlib.decompress(hidden)

    with pytest.raises(Exception) as caught:
        clean_upload(upload("x.pdf", object_stream(parms, hidden), "application/pdf"))

    assert caught.value.code == "pdf_active"


HEX_SCRIPT = HIDDEN_SCRIPT.hex().encode() + b">"


@pytest.mark.parametrize(
    "pdf",
    [
        object_stream(b"/Filter /ASCIIHexDecode", HEX_SCRIPT),
        object_stream(
            b"/Filter [/ASCII85Decode /FlateDecode]",
            base64.a85encode(zlib.compress(HIDDEN_SCRIPT)) + b"~>",
        ),
        object_stream(b"/Filter /ASCIIHex#44ecode", HEX_SCRIPT),
        object_stream(b"/Filter /AHx", HEX_SCRIPT),
        object_stream(b"/Filter /A85", HEX_SCRIPT),
        object_stream(b"/Filter /LZW", HEX_SCRIPT),
        object_stream(b"/Filter /RL", HEX_SCRIPT),
        object_stream(b"/Filter /Fl", zlib.compress(HEX_SCRIPT)),
        object_stream(b"/Filter [/FlateDecode /LZWDecode]", zlib.compress(HEX_SCRIPT)),
        object_stream(b"/Filter /Crypt", HEX_SCRIPT),
        object_stream(b"/Filter 9 0 R", HEX_SCRIPT),  # the filter kept in another object
        object_stream(b"/F /AHx", HEX_SCRIPT),  # some readers take /F for /Filter
        object_stream(b"/Filter /FlateDecode /DP << /Predictor 12 >>", zlib.compress(HEX_SCRIPT)),
        # An image codec on an object stream: its decoded pixels would be read as objects.
        object_stream(b"/Subtype /Image /Filter /CCITTFaxDecode", HEX_SCRIPT),
        object_stream(b"/Filter /DCT", HEX_SCRIPT),
    ],
)
def test_pdf_streams_with_filters_other_than_flate_and_image_codecs_are_refused(db, pdf):
    with pytest.raises(Exception) as caught:
        clean_upload(upload("x.pdf", pdf, "application/pdf"))

    assert caught.value.code == "pdf_unchecked"
    assert "cannot be checked; please send a plain PDF or a photo." in caught.value.message


def test_an_encrypted_pdf_is_refused(db):
    encrypted = pdf_with(
        b"5 0 obj\n<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O <00> /U <00> >>\nendobj\n"
        + stream_object(3, b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", bytes(range(64)))
        + b"\ntrailer\n<< /Root 1 0 R /Encrypt 5 0 R >>"
    )

    with pytest.raises(Exception) as caught:
        clean_upload(upload("x.pdf", encrypted, "application/pdf"))

    assert caught.value.code == "pdf_unchecked"


def test_a_pdf_whose_flate_stream_does_not_inflate_is_refused(db):
    broken = object_stream(b"/Filter /FlateDecode", b"not compressed")

    with pytest.raises(Exception) as caught:
        clean_upload(upload("x.pdf", broken, "application/pdf"))

    assert caught.value.code == "pdf"


def test_a_scanned_pdf_with_a_jpeg_a_compressed_page_and_an_xref_stream_is_kept(db):
    jpeg = image_bytes("JPEG", size=(16, 16))
    page = zlib.compress(b"q 16 0 0 16 0 0 cm /Im1 Do Q")
    xref = zlib.compress(png_predicted(bytes(range(40)), 5, tag=2))
    scan = pdf_with(
        stream_object(
            3,
            b"/Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode",
            jpeg,
        )
        + b"\n"
        + stream_object(4, b"/Filter [/FlateDecode]", page)
        + b"\n"
        + stream_object(
            5,
            b"/Type /XRef /Size 6 /W [1 3 1] /Root 1 0 R /Filter /FlateDecode "
            b"/DecodeParms << /Columns 5 /Predictor 12 >> /ID [<0a1b> <0a1b>]",
            xref,
        )
    )

    cleaned = clean_upload(upload("scan.pdf", scan, "application/pdf"))

    assert cleaned.content == scan


def test_oversize_files_are_refused_with_their_name(db, settings):
    settings.BAODAO_UPLOAD_MAX_BYTES = 1000

    with pytest.raises(Exception) as caught:
        clean_upload(upload("big.pdf", MINIMAL_PDF + b"%" * 1000, "application/pdf"))

    assert caught.value.code == "too_large"
    assert "big.pdf" in caught.value.message


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.jpg", "evil.jpg"),
        ("a\x00b\r\nc\u202egpj.exe", "abcgpj.exe"),
        ("   ", "attachment"),
        ("x" * 300 + ".jpeg", "x" * 95 + ".jpeg"),
        ("照片\u3000一.jpg", "照片 一.jpg"),
    ],
)
def test_display_names_lose_folders_control_characters_and_length(given, shown):
    assert display_name(given) == shown


# --- the forms ---------------------------------------------------------------------------------


@pytest.fixture
def meals(db):
    return category("meal_assistance")


def need_data(tree, cat, **extra) -> dict:
    return {
        "community": tree["a"].pk,
        "category": cat.pk,
        "title": "Lunch delivery",
        "description": "My mother cannot cook any more.",
        "target_group": "elderly_alone",
        "requester_name": "王大爷",
        "requester_phone": "13712345678",
        "website": "",
        **extra,
    }


def test_a_resident_attaches_photos_and_a_pdf_with_the_need(client, tree, meals, media):
    files = [
        upload("../../<img src=x onerror=alert(1)>.jpg", jpeg_with_gps()),
        upload("scan.pdf", MINIMAL_PDF, "application/pdf"),
    ]

    response = client.post(FORM_URL, need_data(tree, meals, attachments=files))

    assert response.status_code == 302
    need = Need.objects.get()
    attachments = list(need.attachments.order_by("id"))
    assert [a.content_type for a in attachments] == ["image/jpeg", "application/pdf"]
    assert attachments[0].display_name == "<img src=x onerror=alert(1)>.jpg"
    assert attachments[0].uploaded_by is None
    for attachment in attachments:
        assert STORED_PATH.match(attachment.file.name), attachment.file.name
        assert "onerror" not in attachment.file.name and "scan" not in attachment.file.name
    assert len(stored_files(media)) == 2
    added = AuditEvent.objects.filter(action="need.attachment_added")
    assert added.count() == 2
    assert {e.data["sha256"] for e in added} == {a.sha256 for a in attachments}


def test_a_worker_attaches_files_on_the_intake_form(client, tree, meals, worker, media):
    client.force_login(worker)
    data = need_data(tree, meals, channel="phone", urgency=2, grid="")
    data["attachments"] = [upload("p.webp", image_bytes("WEBP"), "image/webp")]

    response = client.post(PROXY_URL, data)

    assert response.status_code == 302
    attachment = NeedAttachment.objects.get()
    assert attachment.uploaded_by == worker
    assert attachment.download_name == "p.jpg"


def test_more_than_three_files_are_refused_and_nothing_is_stored(client, tree, meals, media):
    files = [upload(f"{i}.jpg", image_bytes()) for i in range(4)]

    response = client.post(FORM_URL, need_data(tree, meals, attachments=files))

    assert response.status_code == 400
    assert "Attach at most 3 files." in response.content.decode()
    assert not Need.objects.exists() and not stored_files(media)


def test_a_disguised_file_is_refused_on_the_form_with_an_escaped_name(client, tree, meals, media):
    html = upload("<b onmouseover=alert(1)>photo.jpg", b"<html><script>alert(1)</script></html>")

    response = client.post(FORM_URL, need_data(tree, meals, attachments=[html]))

    body = response.content.decode()
    assert response.status_code == 400
    assert "&lt;b onmouseover=alert(1)&gt;photo.jpg" in body and "<b onmouseover" not in body
    assert "is not a JPEG, PNG or WebP photo or a PDF document" in body
    assert not Need.objects.exists() and not stored_files(media)


def test_an_oversize_file_is_refused_on_the_form(client, tree, meals, media, settings):
    settings.BAODAO_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    big = upload("big.pdf", MINIMAL_PDF + b"%" * (5 * 1024 * 1024), "application/pdf")

    response = client.post(FORM_URL, need_data(tree, meals, attachments=[big]))

    assert response.status_code == 400
    assert "“big.pdf” is larger than 5.0\xa0MB." in response.content.decode()
    assert not stored_files(media)


def test_valid_files_with_an_invalid_form_store_nothing(client, tree, meals, media):
    data = need_data(
        tree, meals, requester_phone="123", attachments=[upload("a.jpg", image_bytes())]
    )

    response = client.post(FORM_URL, data)

    assert response.status_code == 400
    assert not stored_files(media) and not NeedAttachment.objects.exists()


def test_a_failure_after_the_files_are_written_removes_them(tree, meals, media, monkeypatch):
    from portal import webhooks

    def broken(**kwargs):
        raise RuntimeError("webhook outbox down")

    monkeypatch.setattr(webhooks, "emit", broken)
    files = [
        clean_upload(upload("a.jpg", image_bytes())),
        clean_upload(upload("b.jpg", image_bytes())),
    ]

    with pytest.raises(RuntimeError):
        submit_need(
            community=tree["a"],
            category=meals,
            title="t",
            description="d",
            requester_name="n",
            requester_phone="13712345678",
            attachments=files,
        )

    assert not Need.objects.exists() and not NeedAttachment.objects.exists()
    assert not stored_files(media)


# --- showing and serving -----------------------------------------------------------------------


@pytest.fixture
def need_with_files(tree, meals):
    return submit_need(
        community=tree["a"],
        category=meals,
        title="Broken stairs",
        description="See the photos",
        requester_name="李",
        requester_phone="13912345678",
        attachments=[
            clean_upload(upload("x/<svg onload=alert(1)>.jpg", jpeg_with_gps())),
            clean_upload(upload('报告 "final";\r\n.pdf', MINIMAL_PDF, "application/pdf")),
        ],
    )


def attachment_url(need, attachment) -> str:
    return reverse("resources:need_attachment", args=[need.pk, attachment.pk])


def test_the_detail_page_lists_attachments_escaped(client, worker, need_with_files):
    client.force_login(worker)
    image, pdf = need_with_files.attachments.order_by("id")

    body = client.get(reverse("resources:need_detail", args=[need_with_files.pk])).content.decode()

    assert "&lt;svg onload=alert(1)&gt;.jpg" in body
    assert "<svg onload" not in body
    assert f'src="{attachment_url(need_with_files, image)}"' in body
    assert f'href="{attachment_url(need_with_files, pdf)}" download' in body
    assert "/media/" not in body


def test_the_detail_page_costs_the_same_queries_for_one_or_many_attachments(
    client, worker, tree, meals, django_assert_num_queries
):
    client.force_login(worker)
    one = submit_need(
        community=tree["a"],
        category=meals,
        title="t",
        description="d",
        requester_name="n",
        requester_phone="13712345678",
        attachments=[clean_upload(upload("a.jpg", image_bytes()))],
    )
    three = submit_need(
        community=tree["a"],
        category=meals,
        title="t",
        description="d",
        requester_name="n",
        requester_phone="13712345678",
        attachments=[clean_upload(upload(f"{i}.jpg", image_bytes())) for i in range(3)],
    )
    client.get(reverse("resources:need_detail", args=[one.pk]))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(reverse("resources:need_detail", args=[one.pk]))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("resources:need_detail", args=[three.pk]))


def test_an_image_is_served_inline_with_its_sniffed_type_and_safe_headers(
    client, worker, need_with_files, django_assert_max_num_queries
):
    client.force_login(worker)
    image = need_with_files.attachments.get(content_type="image/jpeg")
    client.get(reverse("resources:need_detail", args=[need_with_files.pk]))

    with django_assert_max_num_queries(12):
        response = client.get(attachment_url(need_with_files, image))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline; ")
    content = b"".join(response.streaming_content)
    assert not Image.open(BytesIO(content)).getexif()
    assert AuditEvent.objects.filter(
        action="need.attachment_viewed", actor=worker, data__attachment=image.pk
    ).exists()


def test_a_pdf_is_a_download_with_an_encoded_file_name(client, worker, need_with_files):
    client.force_login(worker)
    pdf = need_with_files.attachments.get(content_type="application/pdf")

    response = client.get(attachment_url(need_with_files, pdf))

    disposition = response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert disposition == (
        f'attachment; filename="attachment-{pdf.pk}.pdf"; '
        "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22%3B.pdf"
    )
    assert "\r" not in disposition and "\n" not in disposition


def test_a_worker_of_another_community_gets_404(client, worker_b, need_with_files):
    client.force_login(worker_b)
    attachment = need_with_files.attachments.first()

    response = client.get(attachment_url(need_with_files, attachment))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="need.attachment_viewed").exists()


def test_members_of_the_community_see_the_need_but_not_its_files(
    client, settings, tree, need_with_files
):
    settings.LANGUAGE_CODE = "en"
    member = user_with_role(Role.MEMBER, tree["a"])
    client.force_login(member)
    attachment = need_with_files.attachments.first()

    detail = client.get(reverse("resources:need_detail", args=[need_with_files.pk]))

    assert detail.status_code == 200
    assert "Photos and documents" not in detail.content.decode()
    assert client.get(attachment_url(need_with_files, attachment)).status_code == 404


def test_an_attachment_under_another_needs_id_is_not_found(
    client, worker, tree, meals, need_with_files
):
    client.force_login(worker)
    other = submit_need(
        community=tree["a"],
        category=meals,
        title="t",
        description="d",
        requester_name="n",
        requester_phone="13712345678",
    )
    attachment = need_with_files.attachments.first()

    assert client.get(attachment_url(other, attachment)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_and_get_no_bytes(client, need_with_files):
    attachment = need_with_files.attachments.first()

    response = client.get(attachment_url(need_with_files, attachment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not getattr(response, "streaming", False)


def test_the_street_above_may_open_it(client, street_officer, need_with_files):
    client.force_login(street_officer)
    attachment = need_with_files.attachments.first()

    assert client.get(attachment_url(need_with_files, attachment)).status_code == 200


def test_media_files_are_not_served_by_url(client, worker, need_with_files):
    client.force_login(worker)
    attachment = need_with_files.attachments.first()

    assert client.get(f"/media/{attachment.file.name}").status_code == 404
    assert client.get(attachment.file.url).status_code == 404
