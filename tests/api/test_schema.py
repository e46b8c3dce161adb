"""The OpenAPI schema is valid and changes only on purpose.

When you change the API on purpose, refresh the committed snapshot and review its diff:

    .venv/bin/python manage.py spectacular --lang en --validate --fail-on-warn --file tests/api/schema.yaml
"""

from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

SNAPSHOT = Path(__file__).with_name("schema.yaml")
REFRESH = "manage.py spectacular --lang en --validate --fail-on-warn --file tests/api/schema.yaml"


@pytest.fixture
def generated(tmp_path) -> str:
    """Generate the schema the way the refresh command does, validating it, warnings fatal."""
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(target)
    )
    return target.read_text()


def test_the_schema_is_valid_openapi_without_warnings(generated):
    assert generated.startswith("openapi: 3.")


def test_the_schema_matches_the_committed_snapshot(generated):
    assert generated == SNAPSHOT.read_text(), (
        f"The API schema changed. If that was intended, run: {REFRESH}"
    )


def test_every_operation_documents_the_error_shape(generated):
    import yaml

    schema = yaml.safe_load(generated)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert "404" in operation["responses"], f"{method} {path}"
            assert "429" in operation["responses"], f"{method} {path}"


@pytest.mark.django_db
def test_the_schema_is_served_without_a_key():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Baodao partner API"


@pytest.mark.django_db
def test_the_interactive_docs_render_from_vendored_files():
    response = APIClient().get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/" in page


@pytest.mark.django_db
def test_an_unknown_api_url_is_a_json_404():
    response = APIClient().post("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
