import pytest

from tests.web.people import team  # noqa: F401


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Tests that sign in with a password need not pay for a production-strength hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
