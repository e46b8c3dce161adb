"""Notifications: stored once per event and person, sent through channels once, read in the inbox."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone, translation

from portal import notify
from portal.models import Notification
from tests.factories import UserFactory

INBOX = reverse("notifications")

SENT: list[dict] = []


class RecordingChannel(notify.Channel):
    def send(self, *, recipient, subject, body, url):
        SENT.append({"recipient": recipient.pk, "subject": subject, "body": body, "url": url})


class BrokenChannel(notify.Channel):
    def send(self, *, recipient, subject, body, url):
        raise ConnectionError("gateway down")


def gateway(*, phone, message):
    SENT.append({"phone": phone, "message": message})


PARAMS = {
    "number": "BD2601010001",
    "title": "Shopping help",
    "community": "Community A",
    "area": "Street 1",
    "level": 1,
    "due_at": "2026-01-02T10:00:00+08:00",
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def recording(settings):
    SENT.clear()
    settings.BAODAO_NOTIFICATION_CHANNELS = ["tests.portal.test_notifications.RecordingChannel"]
    return SENT


def send(users, key="event:1", **kwargs):
    return notify.notify(
        recipients=users,
        kind=kwargs.pop("kind", "need.escalated"),
        params=kwargs.pop("params", PARAMS),
        url=kwargs.pop("url", "/staff/needs/1/"),
        dedupe_key=key,
    )


def test_notify_creates_one_row_per_recipient(db, recording):
    users = UserFactory.create_batch(2)
    assert send(users) == 2
    assert Notification.objects.filter(dedupe_key="event:1").count() == 2


def test_notify_twice_with_the_same_key_notifies_nobody_twice(
    db, recording, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = send([user])
    with django_capture_on_commit_callbacks(execute=True):
        second = send([user])
    assert (first, second) == (1, 0)
    assert Notification.objects.count() == 1
    assert len(recording) == 1


def test_notify_sends_only_to_the_recipients_who_are_new(
    db, recording, django_capture_on_commit_callbacks
):
    old, new = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        send([old])
    recording.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send([old, new]) == 1
    assert [message["recipient"] for message in recording] == [new.pk]


def test_channels_are_called_only_after_commit(db, recording, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send([UserFactory()])
    assert recording == []
    assert len(callbacks) == 1


def test_inactive_users_are_not_notified(db, recording):
    assert send([UserFactory(is_active=False)]) == 0


def test_unknown_kind_is_refused(db, recording):
    with pytest.raises(ValueError):
        send([UserFactory()], kind="no.such.kind")


def test_channel_renders_subject_and_body_from_the_kind(
    db, recording, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send([UserFactory()])
    (message,) = recording
    assert message["subject"] == "Need BD2601010001 escalated to Street 1"
    assert "Shopping help" in message["body"]
    assert "2026-01-02 10:00" in message["body"]
    assert message["url"] == "/staff/needs/1/"


def test_a_failing_channel_is_logged_and_the_next_channel_still_sends(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    SENT.clear()
    settings.BAODAO_NOTIFICATION_CHANNELS = [
        "tests.portal.test_notifications.BrokenChannel",
        "tests.portal.test_notifications.RecordingChannel",
    ]
    with caplog.at_level(logging.ERROR, logger="baodao.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            assert send([UserFactory()]) == 1
    assert len(SENT) == 1
    assert "BrokenChannel failed" in caplog.text


def test_console_channel_logs_each_new_notification(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    settings.BAODAO_NOTIFICATION_CHANNELS = ["portal.notify.ConsoleChannel"]
    user = UserFactory(real_name="王芳")
    with caplog.at_level(logging.INFO, logger="baodao.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            send([user])
            send([user])
    lines = [r for r in caplog.records if r.name == "baodao.notify"]
    assert len(lines) == 1
    assert "王芳" in lines[0].getMessage()
    assert "BD2601010001" in lines[0].getMessage()


def test_email_channel_mails_users_with_an_email(db, settings, django_capture_on_commit_callbacks):
    settings.BAODAO_NOTIFICATION_CHANNELS = ["portal.notify.EmailChannel"]
    settings.BAODAO_SITE_URL = "https://baodao.example"
    with_email = UserFactory(email="wang@example.com")
    without_email = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        send([with_email, without_email])
    (message,) = mail.outbox
    assert message.to == ["wang@example.com"]
    assert message.subject == "Need BD2601010001 escalated to Street 1"
    assert "https://baodao.example/staff/needs/1/" in message.body


def test_sms_channel_calls_the_configured_gateway(db, settings, django_capture_on_commit_callbacks):
    SENT.clear()
    settings.BAODAO_NOTIFICATION_CHANNELS = ["portal.notify.SmsChannel"]
    settings.BAODAO_SMS_GATEWAY = "tests.portal.test_notifications.gateway"
    user = UserFactory(phone="13900002222")
    with django_capture_on_commit_callbacks(execute=True):
        send([user])
    assert SENT == [{"phone": "13900002222", "message": SENT[0]["message"]}]
    assert "BD2601010001" in SENT[0]["message"]


def test_sms_channel_without_a_gateway_is_improperly_configured(settings):
    settings.BAODAO_SMS_GATEWAY = ""
    with pytest.raises(ImproperlyConfigured):
        notify.SmsChannel()


def test_misconfigured_channels_do_not_undo_the_notification(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    settings.BAODAO_NOTIFICATION_CHANNELS = ["portal.notify.SmsChannel"]
    settings.BAODAO_SMS_GATEWAY = ""
    with caplog.at_level(logging.ERROR, logger="baodao.notify"):
        with django_capture_on_commit_callbacks(execute=True):
            assert send([UserFactory()]) == 1
    assert Notification.objects.count() == 1
    assert "misconfigured" in caplog.text


def test_render_uses_the_active_language(db):
    notification = Notification(kind="need.due_soon", params=PARAMS, dedupe_key="k")
    with translation.override("zh-hans"):
        subject, _body = notify.render(notification)
    assert subject != "Need BD2601010001 is due for acceptance soon"
    assert "BD2601010001" in subject


# The inbox page.


def make_notification(user, key, *, read=False, **kwargs):
    return Notification.objects.create(
        recipient=user,
        kind="need.due_soon",
        params=PARAMS,
        url=kwargs.get("url", "/staff/needs/1/"),
        dedupe_key=key,
        read_at=timezone.now() if read else None,
    )


def test_inbox_needs_sign_in(client, db):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_inbox_shows_only_the_users_own_notifications(client, db):
    me, other = UserFactory(), UserFactory()
    make_notification(me, "mine")
    make_notification(other, "theirs")
    client.force_login(me)
    response = client.get(INBOX)
    assert [item["notification"].dedupe_key for item in response.context["items"]] == ["mine"]


def test_inbox_lists_unread_before_read(client, db):
    me = UserFactory()
    make_notification(me, "unread-old")
    make_notification(me, "read-new", read=True)
    client.force_login(me)
    response = client.get(INBOX)
    keys = [item["notification"].dedupe_key for item in response.context["items"]]
    assert keys == ["unread-old", "read-new"]
    assert "Need BD2601010001 is due for acceptance soon" in response.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, db):
    me = UserFactory()
    notification = make_notification(me, "mine", url="/staff/needs/7/")
    client.force_login(me)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/staff/needs/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_needs_post(client, db):
    me = UserFactory()
    notification = make_notification(me, "mine")
    client.force_login(me)
    assert client.get(reverse("notification_open", args=[notification.pk])).status_code == 405


def test_opening_another_users_notification_is_not_found(client, db):
    me, other = UserFactory(), UserFactory()
    theirs = make_notification(other, "theirs")
    client.force_login(me)
    response = client.post(reverse("notification_open", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_never_redirects_off_site(client, db):
    me = UserFactory()
    notification = make_notification(me, "mine", url="https://evil.example/")
    client.force_login(me)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == INBOX


def test_mark_all_read_touches_only_the_users_own(client, db):
    me, other = UserFactory(), UserFactory()
    make_notification(me, "one")
    make_notification(me, "two")
    theirs = make_notification(other, "theirs")
    client.force_login(me)
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_nav_shows_the_unread_count(client, db):
    me = UserFactory()
    make_notification(me, "one")
    make_notification(me, "two")
    make_notification(me, "three", read=True)
    client.force_login(me)
    body = client.get(INBOX).content.decode()
    assert "Notifications, 2 unread" in body


def test_unread_count_is_zero_when_signed_out(client, db):
    response = client.get(reverse("login"))
    assert response.context["unread_notifications"] == 0


def test_inbox_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries):
    me = UserFactory()
    for i in range(30):
        make_notification(me, f"k{i}", read=i % 2 == 0)
    client.force_login(me)
    with django_assert_max_num_queries(7):
        response = client.get(INBOX)
    assert len(response.context["items"]) == 25
