"""Webhook URLs cannot make the platform reach its own network (SSRF): https only, public
addresses only (at subscription and at every attempt), no redirects followed, and no internal
error details read back through the deliveries."""

import http.server
import socket
import threading

import pytest

from portal import webhooks
from portal.errors import InvalidInput
from portal.models import WebhookDelivery, WebhookSubscription
from tests.api.conftest import submit_need_in

pytestmark = pytest.mark.django_db


def _subscribe(api, url):
    return api.post("/api/v1/webhooks/", {"url": url, "events": ["need.created"]}, format="json")


def test_a_plain_http_url_is_refused(tree, api_a):
    response = _subscribe(api_a, "http://partner.example/hook")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"url": ["Webhook URLs must use https."]}
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://[::1]/hook",
        "https://192.168.1.1:8443/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:127.0.0.1]/hook",
    ],
)
def test_an_internal_address_is_refused(tree, api_a, url):
    response = _subscribe(api_a, url)

    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    assert not WebhookSubscription.objects.exists()


def test_a_host_resolving_to_the_metadata_address_is_refused(tree, api_a, fake_dns):
    fake_dns["metadata.example"] = ["169.254.169.254"]

    response = _subscribe(api_a, "https://metadata.example/hook")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "url": ["Webhook URLs must point to a public internet address."]
    }


def test_a_host_with_one_private_address_among_public_ones_is_refused(tree, partner_a, fake_dns):
    client, _api = partner_a
    fake_dns["mixed.example"] = ["93.184.215.14", "10.1.2.3"]

    with pytest.raises(InvalidInput):
        webhooks.subscribe(client=client, url="https://mixed.example/", events=["need.created"])


def test_a_host_that_cannot_be_found_is_refused(tree, api_a):
    response = _subscribe(api_a, "https://nowhere.invalid/hook")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"url": ["The host of this URL cannot be found."]}


def test_a_host_that_turns_private_after_subscribing_gets_no_post(
    tree, subscribed, receiver, fake_dns
):
    subscribed("a")
    fake = receiver(200)
    submit_need_in(tree)
    fake_dns["partner.example"] = ["127.0.0.1"]

    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)

    assert fake.calls == []
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.last_status_code is None
    assert delivery.last_error == "destination refused: address not allowed"


def test_a_stored_http_subscription_gets_no_post(tree, subscribed, receiver):
    subscription, _secret = subscribed("a")
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url="http://partner.example/")
    fake = receiver(200)
    submit_need_in(tree)

    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)

    assert fake.calls == []
    assert delivery.last_error == "destination refused: not https"


def test_a_network_error_is_recorded_as_a_category_without_details(tree, subscribed, receiver):
    subscribed("a")
    receiver(ConnectionRefusedError("[Errno 111] Connection refused to 10.0.0.7:6379"))
    submit_need_in(tree)

    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)

    assert delivery.last_error == "connection failed"


class _Redirecting(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 — the name http.server calls
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(f"POST {self.path} {self.headers['Host']}")
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:6379/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_server(monkeypatch):
    """A server answering every request with a redirect to an internal address. The webhook
    connection is sent to it in plain text instead of to the checked public address it was
    pinned to (recorded in ``pinned``)."""
    _Redirecting.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pinned = []

    def connect(self):
        pinned.append(self._address)
        self.sock = socket.create_connection(server.server_address, self.timeout)

    monkeypatch.setattr(webhooks._PinnedHTTPSConnection, "connect", connect)
    yield _Redirecting.seen, pinned
    server.shutdown()
    server.server_close()


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    tree, subscribed, redirecting_server
):
    seen, pinned = redirecting_server
    subscribed("a")
    submit_need_in(tree)

    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)

    assert seen == ["POST /hook partner.example"]
    assert pinned == ["93.184.215.14"]
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302 (redirect not followed)"
