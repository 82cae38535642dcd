import pytest


@pytest.mark.django_db
def test_landing_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Book a consultation" in response.content


def test_staff_client_reaches_home(staff_client):
    response = staff_client.get("/home/")
    assert response.status_code in (200, 302)
