"""API tokens: the reader's tokens page (made with a secret shown once, revoked, capped) and the bearer auth that
reads them (unknown, revoked and closed accounts' tokens 401; a missing scope or a restricted reader 403)."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comments import services as comment_services
from comments.models import Comment
from newsroom import services
from newsroom.models import ApiToken
from tests.factories import ArticleFactory, UserFactory, api_token

pytestmark = pytest.mark.django_db

TOKENS = reverse("account_tokens")
POST = "/api/v1/me/comments/"


def api_post(client, secret, payload, **headers):
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return client.post(POST, json.dumps(payload), content_type="application/json", headers=headers)


def test_the_account_page_links_to_the_tokens_page(client):
    client.force_login(UserFactory())
    assert f'href="{TOKENS}"' in client.get(reverse("account")).content.decode()


def test_the_tokens_page_needs_a_signed_in_reader(client):
    response = client.get(TOKENS)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_new_token_shows_its_secret_once_and_only_its_hash_is_kept(client):
    reader = UserFactory()
    client.force_login(reader)
    response = client.post(TOKENS, {"name": "Phone app", "scopes": ["comments:write"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=reader)
    html = response.content.decode()
    secret = html.split("<p><code>", 1)[1].split("</code>", 1)[0]
    assert secret.startswith("nrt_") and len(secret) > 40
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in token.key_hash
    assert token.prefix == secret[:12] and token.scopes == ["comments:write"] and token.name == "Phone app"
    assert "Copy it now: it is shown only once." in html
    again = client.get(TOKENS).content.decode()
    assert secret not in again
    assert "Phone app" in again and f"{token.prefix}…" in again and "never used" in again
    assert "Post, reply to, edit and delete your comments" in again


def test_a_refused_token_form_keeps_what_was_typed(client):
    client.force_login(UserFactory())
    response = client.post(TOKENS, {"name": "Tablet"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Tablet"' in html and "Choose what the token may do." in html
    assert not ApiToken.objects.exists()
    response = client.post(TOKENS, {"name": "  \u202e ", "scopes": ["comments:react"]})
    assert response.status_code == 400 and "Give the token a name" in response.content.decode()
    response = client.post(TOKENS, {"name": "Tablet", "scopes": ["admin:everything"]})
    assert response.status_code == 400 and 'value="Tablet"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_reader_holds_at_most_the_cap_of_working_tokens(client):
    reader = UserFactory()
    for number in range(services.TOKEN_LIMIT):
        api_token(reader, name=f"app {number}")
    client.force_login(reader)
    response = client.post(TOKENS, {"name": "One too many", "scopes": ["comments:write"]})
    assert response.status_code == 400
    assert f"You have {services.TOKEN_LIMIT} working tokens" in response.content.decode()
    assert 'value="One too many"' in response.content.decode()
    services.token_revoke(token=reader.api_tokens.first())
    assert client.post(TOKENS, {"name": "Now it fits", "scopes": ["comments:write"]}).status_code == 200
    assert reader.api_tokens.filter(revoked_at=None).count() == services.TOKEN_LIMIT


def test_revoking_a_token_stops_it_at_once(client):
    reader = UserFactory()
    token, secret = api_token(reader)
    story = ArticleFactory()
    assert api_post(client, secret, {"story": story.pk, "body": "Before"}).status_code == 201
    client.force_login(reader)
    response = client.post(reverse("account_token_revoke", args=[token.pk]), follow=True)
    assert "is revoked: it no longer works." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "My app" not in client.get(TOKENS).content.decode()
    client.logout()
    response = api_post(client, secret, {"story": story.pk, "body": "After"})
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"errors": [{"field": None, "message": "Sign in with a valid token."}]}
    assert Comment.objects.count() == 1


def test_a_reader_cannot_revoke_someone_elses_token(client):
    token, secret = api_token()
    client.force_login(UserFactory())
    assert client.post(reverse("account_token_revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("account_token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer nrt_not-a-token-of-ours", "Bearer ", "Basic cmVhZGVyOnBhc3N3b3Jk", "Bearer \u00e9\u00e9"],
    ids=["none", "unknown", "empty", "basic", "latin-1"],
)
def test_writes_without_a_working_token_are_401_and_store_nothing(client, authorization):
    story = ArticleFactory()
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(
        POST, json.dumps({"story": story.pk, "body": "Hi"}), content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "Sign in with a valid token."
    assert not Comment.objects.exists()


def test_a_signed_in_browsers_session_is_no_way_to_write(client):
    """CSRF safety: a page elsewhere can make the reader's browser send their cookie, never their token."""
    reader = UserFactory()
    api_token(reader)
    client.force_login(reader)
    response = api_post(client, None, {"story": ArticleFactory().pk, "body": "Forged?"})
    assert response.status_code == 401
    assert not Comment.objects.exists()


def test_a_closed_or_disabled_account_s_tokens_stop_working(client):
    story = ArticleFactory()
    closing, closing_secret = api_token()
    disabled, disabled_secret = api_token()
    services.account_delete(user=closing.user)
    disabled.user.is_active = False
    disabled.user.save()
    for secret in (closing_secret, disabled_secret):
        assert api_post(client, secret, {"story": story.pk, "body": "Hello"}).status_code == 401
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("kind", "days", "message"),
    [("suspension", 3, "Your account may not comment until"), ("ban", None, "Your account may no longer comment.")],
)
def test_a_suspended_or_banned_readers_tokens_are_refused_with_the_sites_words(client, kind, days, message):
    token, secret = api_token()
    comment_services.reader_restrict(
        user=token.user, moderator=UserFactory(is_staff=True), kind=kind, days=days, reason="Abuse"
    )
    for response in (
        api_post(client, secret, {"story": ArticleFactory().pk, "body": "Hello"}),
        client.put("/api/v1/me/likes/1/", headers={"Authorization": f"Bearer {secret}"}),
    ):
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert error["message"].startswith(message) and error["message"].endswith("Reason: Abuse")
    assert not Comment.objects.exists()


def test_a_token_without_the_scope_is_403_naming_the_scope(client):
    _token, react_only = api_token(None, ApiToken.Scope.COMMENTS_REACT)
    response = api_post(client, react_only, {"story": ArticleFactory().pk, "body": "Hello"})
    assert response.status_code == 403
    assert "comments:write" in response.json()["errors"][0]["message"]
    assert not Comment.objects.exists()
    _token, write_only = api_token(None, ApiToken.Scope.COMMENTS_WRITE)
    comment = Comment.objects.get(
        pk=api_post(client, write_only, {"story": ArticleFactory().pk, "body": "Hi"}).json()["id"]
    )
    response = client.put(f"/api/v1/me/likes/{comment.pk}/", headers={"Authorization": f"Bearer {react_only}"})
    assert response.status_code == 200
    response = client.put(f"/api/v1/me/likes/{comment.pk}/", headers={"Authorization": f"Bearer {write_only}"})
    assert response.status_code == 403 and "comments:react" in response.json()["errors"][0]["message"]


def test_last_used_is_written_at_most_once_a_minute(client, django_assert_num_queries):
    token, secret = api_token()
    story = ArticleFactory()
    assert api_post(client, secret, {"story": story.pk, "body": "One"}).status_code == 201
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    assert api_post(client, secret, {"story": story.pk, "body": "Two"}).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    assert api_post(client, secret, {"story": story.pk, "body": "Three"}).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at > first
    client.force_login(token.user)
    assert "last used" in client.get(TOKENS).content.decode()


def test_an_admin_revokes_a_leaked_token_without_ever_seeing_a_secret(client):
    token, secret = api_token()
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    changelist = reverse("admin:newsroom_apitoken_changelist")
    html = client.get(changelist, {"q": token.prefix}).content.decode()
    assert token.prefix in html and secret not in html and token.key_hash not in html
    assert token.key_hash not in client.get(reverse("admin:newsroom_apitoken_change", args=[token.pk])).content.decode()
    response = client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert "1 token revoked." in response.content.decode()
    assert api_post(client, secret, {"story": ArticleFactory().pk, "body": "Leaked"}).status_code == 401
