import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_version_without_login(client, redis_server, settings):
    settings.CELERY_BROKER_URL = redis_server.url
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": True, "broker": True}
    assert body["version"] == settings.APP_VERSION


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_FALLBACK=False)
def test_healthz_is_503_when_the_broker_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False
