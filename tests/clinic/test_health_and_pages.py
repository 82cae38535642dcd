import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_says_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


@pytest.mark.django_db
def test_landing_explains_the_offer_and_leads_to_booking(client):
    body = client.get("/").content.decode()
    assert "iontophoresis" in body
    assert "Book a consultation" in body
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in body  # no CDN
    assert "cdn" not in body.lower()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_styled_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


@pytest.mark.django_db
def test_styled_403_page_for_a_missing_role(patient_client):
    response = patient_client.get("/admin/")
    assert response.status_code in (302, 403)
    response = patient_client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert b"not available to you" in response.content


def test_500_page_renders_without_a_database(rf):
    from clinic.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


@pytest.mark.django_db
def test_S14_next_cannot_redirect_off_site(client, patient_user, password):
    response = client.post(
        "/accounts/login/?next=https://evil.example/steal",
        {"login": patient_user.email, "password": password},
    )
    assert response.status_code == 302
    assert not response.url.startswith("https://evil.example")
