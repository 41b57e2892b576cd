"""Signing in and out, and changing one's password."""

from django.contrib.auth.models import User
from django.test import Client

OLD, NEW = "first long passphrase", "second long passphrase"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


def test_sign_in_then_out(client: Client, db: None) -> None:
    User.objects.create_user("erin", password=OLD)

    signed_in = client.post("/accounts/login/", {"username": "erin", "password": OLD})
    signed_out = client.post("/accounts/logout/")

    assert signed_in.status_code == 302
    assert signed_out.status_code == 302
    assert client.get("/").status_code == 302  # signed out again


def test_a_wrong_password_is_explained(client: Client, db: None) -> None:
    User.objects.create_user("erin", password=OLD)

    response = client.post("/accounts/login/", {"username": "erin", "password": "guess"})

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_change_password(client: Client, db: None) -> None:
    user = User.objects.create_user("erin", password=OLD)
    client.force_login(user)

    response = client.post(
        "/accounts/password/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
