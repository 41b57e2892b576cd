"""Scripts authenticate with a bearer token made on the account page."""

from django.test import Client

from labelapp.accounts.models import ApiToken
from tests.web.people import Team


def make_token(client: Client, team: Team) -> str:
    client.force_login(team.labeler)
    response = client.post("/accounts/tokens/", {"name": "import script"})
    assert response.status_code == 201
    return response.context["new_token"]


def test_a_token_made_on_the_account_page_opens_the_api(client: Client, team: Team) -> None:
    token = make_token(client, team)

    response = Client().get("/api/projects", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["Pets"]
    assert response.json()["items"][0]["role"] == "labeler"


def test_only_the_tokens_hash_is_stored(client: Client, team: Team) -> None:
    token = make_token(client, team)

    stored = ApiToken.objects.get()

    assert token not in (stored.token_hash, stored.hint)
    assert token.startswith(stored.hint)


def test_a_revoked_token_is_refused(client: Client, team: Team) -> None:
    token = make_token(client, team)

    client.post(f"/accounts/tokens/{ApiToken.objects.get().pk}/revoke/")
    response = Client().get("/api/projects", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_someone_elses_token_cannot_be_revoked(client: Client, team: Team) -> None:
    make_token(client, team)
    client.force_login(team.viewer)

    client.post(f"/accounts/tokens/{ApiToken.objects.get().pk}/revoke/")

    assert ApiToken.objects.count() == 1


def test_a_wrong_token_is_refused(db: None) -> None:
    response = Client().get("/api/projects", HTTP_AUTHORIZATION="Bearer lbl_nonsense")

    assert response.status_code == 401


def test_the_browser_session_needs_the_csrf_token_to_change_data(team: Team) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(team.labeler)

    response = browser.post(
        f"/api/projects/{team.project.pk}/jobs",
        '{"kind": "train"}',
        content_type="application/json",
    )

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
