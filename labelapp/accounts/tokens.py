"""Creating, revoking and checking API tokens."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from labelapp.accounts.models import ApiToken, hash_token, new_token_text

MAX_TOKENS_PER_USER = 20
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    pass


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token text (shown once)."""
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name, e.g. the script that will use it.")
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You have {MAX_TOKENS_PER_USER} tokens; revoke one first.")
    text = new_token_text()
    token = ApiToken.objects.create(
        user=user, name=name[:100], token_hash=hash_token(text), hint=text[:8]
    )
    return token, text


def revoke_token(user: Any, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def user_for_token(text: str) -> Any | None:
    """The active user the token belongs to, or None."""
    if not text or len(text) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(text)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
