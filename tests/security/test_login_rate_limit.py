"""Five failed sign-ins for one username from one address lock that pair for 15 minutes."""

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from labelapp.security_login import attempts


@pytest.fixture(autouse=True)
def fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", password="right horse battery")


def _sign_in(password: str, username: str = "alice", address: str = "10.0.0.1") -> object:
    client = Client(REMOTE_ADDR=address)
    return client.post(reverse("login"), {"username": username, "password": password})


def _fail(times: int, username: str = "alice", address: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert _sign_in("wrong", username, address).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_four_failures_still_allow_the_right_password(alice: User) -> None:
    _fail(4)
    assert _sign_in("right horse battery").status_code == 302  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_sixth_attempt_is_refused_even_with_the_right_password(alice: User) -> None:
    # Given five failed attempts for alice from one address
    _fail(5)
    # When the right password is sent from there
    response = _sign_in("right horse battery")
    # Then it is refused with a message saying how long to wait
    assert response.status_code == 429  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "Too many failed sign-in attempts; try again in 15 minutes." in body
    assert response["Retry-After"] == "900"  # type: ignore[index]
    assert "_auth_user_id" not in response.wsgi_request.session  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_lock_is_per_username_and_address(alice: User) -> None:
    User.objects.create_user("bob", password="another long secret")
    _fail(5)
    assert _sign_in("right horse battery", address="10.0.0.2").status_code == 302  # type: ignore[attr-defined]
    assert _sign_in("another long secret", "bob").status_code == 302  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_usernames_differing_in_case_share_a_count(alice: User) -> None:
    _fail(3, "alice")
    _fail(2, "ALICE")
    assert _sign_in("right horse battery").status_code == 429  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_successful_sign_in_clears_the_count(alice: User) -> None:
    _fail(4)
    assert _sign_in("right horse battery").status_code == 302  # type: ignore[attr-defined]
    _fail(4)
    assert _sign_in("right horse battery").status_code == 302  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_lock_ends_with_the_window(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(5)
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(attempts.time, "time", lambda: later)
    assert attempts.minutes_locked("alice", "10.0.0.1") == 0


@pytest.mark.django_db
def test_the_message_counts_down_in_minutes(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(5)
    later = time.time() + 14 * 60 + 30
    monkeypatch.setattr(attempts.time, "time", lambda: later)
    assert attempts.minutes_locked("alice", "10.0.0.1") == 1
    assert attempts.lockout_message(1) == "Too many failed sign-in attempts; try again in 1 minute."


@pytest.mark.django_db
def test_a_hostile_username_is_counted_without_error(alice: User) -> None:
    odd = "<script>alert(1)</script>' OR 1=1 --"
    _fail(5, odd)
    assert _sign_in("whatever", odd).status_code == 429  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_an_overlong_or_null_username_is_a_form_error(alice: User) -> None:
    # Such names never reach a password check, so they need no count; they must not fail.
    _fail(6, "x" * 5000 + "\x00")


@pytest.mark.django_db
def test_the_admin_sign_in_shares_the_limit(alice: User) -> None:
    _fail(5)
    client = Client(REMOTE_ADDR="10.0.0.1")
    response = client.post(
        reverse("admin:login"), {"username": "alice", "password": "right horse battery"}
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_the_address_the_proxy_saw_counts(alice: User, settings: object) -> None:
    settings.BEHIND_PROXY = True  # type: ignore[attr-defined]

    def sign_in(password: str, forwarded: str) -> int:
        client = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
        response = client.post(reverse("login"), {"username": "alice", "password": password})
        return response.status_code  # type: ignore[no-any-return]

    for forged in range(5):  # a forged first entry does not make each attempt look new
        assert sign_in("wrong", f"192.0.2.{forged}, 203.0.113.7") == 200

    assert sign_in("right horse battery", "203.0.113.7") == 429
    assert sign_in("right horse battery", "203.0.113.8") == 302  # another client, same proxy
