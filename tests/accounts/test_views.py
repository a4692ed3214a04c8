import re

import pytest
from allauth.account.models import EmailAddress

from accounts.models import ApiKey, User
from tests import factories

pytestmark = pytest.mark.django_db


class TestSettingsPage:
    def test_needs_sign_in(self, client):
        response = client.get("/settings/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_shows_profile_emails_and_empty_key_state(self, client, user):
        client.force_login(user)
        html = client.get("/settings/").content.decode()
        assert user.email in html
        assert "Verified" in html
        assert "You have no API keys" in html

    def test_profile_saves_display_name(self, client, user):
        client.force_login(user)
        response = client.post("/settings/profile/", {"display_name": "  Grace Hopper "})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.display_name == "Grace Hopper"
        assert "Grace Hopper" in client.get("/settings/").content.decode()

    def test_profile_too_long_is_a_field_error(self, client, user):
        client.force_login(user)
        response = client.post("/settings/profile/", {"display_name": "x" * 151})
        assert response.status_code == 400
        assert "at most 150 characters" in response.content.decode()
        user.refresh_from_db()
        assert user.display_name == ""


class TestApiKeysPage:
    def test_create_shows_the_key_once(self, client, user):
        client.force_login(user)
        response = client.post("/settings/api-keys/", {"name": "laptop"})
        assert response.status_code == 200
        match = re.search(r'value="(ts_[0-9a-f]{8}_[^"]+)"', response.content.decode())
        assert match, "the new key is shown"
        key = match.group(1)
        assert ApiKey.objects.get().name == "laptop"
        again = client.get("/settings/").content.decode()
        assert key not in again
        assert f"ts_{key.split('_')[1]}_" in again  # the prefix identifies it

    def test_htmx_create_returns_only_the_panel(self, client, user):
        client.force_login(user)
        response = client.post("/settings/api-keys/", {"name": "ci"}, headers={"HX-Request": "true"})
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="api-keys-panel">')
        assert "<html" not in html
        assert "Copy it now" in html

    def test_blank_name_is_a_field_error_and_creates_nothing(self, client, user):
        client.force_login(user)
        response = client.post("/settings/api-keys/", {"name": ""}, headers={"HX-Request": "true"})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        assert not ApiKey.objects.exists()

    def test_revoke_in_place(self, client, user):
        client.force_login(user)
        key = factories.api_key(user, name="old box")
        prefix = key.split("_")[1]
        response = client.post(f"/settings/api-keys/{prefix}/revoke/", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "old box" not in response.content.decode()
        assert not ApiKey.objects.get().is_active
        assert client.get("/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}).status_code == 401

    def test_revoke_without_javascript_redirects_with_a_message(self, client, user):
        client.force_login(user)
        prefix = factories.api_key(user).split("_")[1]
        response = client.post(f"/settings/api-keys/{prefix}/revoke/", follow=True)
        assert "was revoked" in response.content.decode()

    def test_cannot_revoke_another_persons_key(self, client, user):
        other_key = factories.api_key(factories.user())
        client.force_login(user)
        response = client.post(f"/settings/api-keys/{other_key.split('_')[1]}/revoke/")
        assert response.status_code == 404
        assert ApiKey.objects.get().is_active

    def test_list_query_count_is_flat(self, client, user, django_assert_max_num_queries):
        client.force_login(user)
        for n in range(3):
            factories.api_key(user, name=f"k{n}")
        with django_assert_max_num_queries(12) as few:
            client.get("/settings/")
        for n in range(40):
            factories.api_key(user, name=f"more{n}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get("/settings/")


class TestSignUpAndSignIn:
    def test_sign_up_requires_email_verification(self, client, mailoutbox):
        response = client.post(
            "/accounts/signup/",
            {"email": "new@example.com", "username": "newbie", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/accounts/confirm-email/"
        assert len(mailoutbox) == 1
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
        client.logout()
        login = client.post("/accounts/login/", {"login": "newbie", "password": "a-long-secret-77"})
        assert login.status_code == 302 and login["Location"] == "/accounts/confirm-email/"
        assert "_auth_user_id" not in client.session
        client.post(link.split("testserver", 1)[1])
        assert EmailAddress.objects.get(email="new@example.com").verified
        login = client.post("/accounts/login/", {"login": "new@example.com", "password": "a-long-secret-77"})
        assert login.status_code == 302
        assert client.session["_auth_user_id"] == str(User.objects.get(username="newbie").pk)

    def test_sign_up_with_a_taken_email_does_not_reveal_it(self, client, user, mailoutbox):
        response = client.post(
            "/accounts/signup/",
            {"email": user.email, "username": "someone", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        # the same answer as for a new address; the owner is told by email instead
        assert response.status_code == 302
        assert response["Location"] == "/accounts/confirm-email/"
        assert not User.objects.filter(username="someone").exists()
        assert mailoutbox[0].to == [user.email]

    def test_password_reset_does_not_reveal_accounts(self, client, user, mailoutbox):
        known = client.post("/accounts/password/reset/", {"email": user.email})
        unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
        assert known.status_code == unknown.status_code == 302
        assert known["Location"] == unknown["Location"]

    def test_closed_sign_up(self, client, settings):
        settings.OPEN_SIGNUP = False  # the operator's hard switch
        response = client.get("/accounts/signup/")
        assert "Sign Up Closed" in response.content.decode()
        client.post(
            "/accounts/signup/",
            {"email": "x@example.com", "username": "x", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        assert not User.objects.filter(username="x").exists()
        assert "Sign up" not in client.get("/").content.decode()

    def test_service_accounts_cannot_sign_in(self, client):
        factories.user(username="robot", password="a-long-secret-77", is_service=True)
        response = client.post("/accounts/login/", {"login": "robot", "password": "a-long-secret-77"})
        assert "_auth_user_id" not in client.session
        assert "Service accounts use API keys" in response.content.decode()

    def test_service_accounts_cannot_use_the_admin_login(self, client):
        factories.user(username="robot", password="a-long-secret-77", is_service=True, is_staff=True)
        client.post("/admin/login/", {"username": "robot", "password": "a-long-secret-77"})
        assert "_auth_user_id" not in client.session

    def test_login_rate_limit(self, client, user):
        for _ in range(5):
            client.post("/accounts/login/", {"login": user.username, "password": "wrong"})
        response = client.post("/accounts/login/", {"login": user.username, "password": factories.PASSWORD})
        assert "Too many failed login attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session


class TestSecondEmail:
    def test_add_and_verify_a_second_address_then_sign_in_with_it(self, client, user, mailoutbox):
        client.force_login(user)
        response = client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})
        assert response.status_code == 302
        added = EmailAddress.objects.get(email="second@example.com")
        assert not added.verified and not added.primary
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
        client.post(link.split("testserver", 1)[1])
        added.refresh_from_db()
        assert added.verified
        assert "second@example.com" in client.get("/settings/").content.decode()
        client.logout()
        client.post("/accounts/login/", {"login": "second@example.com", "password": factories.PASSWORD})
        assert client.session["_auth_user_id"] == str(user.pk)

    def test_another_accounts_address_stays_theirs(self, client, user, mailoutbox):
        other = factories.user()
        client.force_login(user)
        client.post("/accounts/email/", {"action_add": "", "email": other.email})
        # allauth answers as for any address (no enumeration) but never verifies it for us
        assert not EmailAddress.objects.filter(user=user, email=other.email, verified=True).exists()
        owner = EmailAddress.objects.get(user=other, email=other.email)
        assert owner.verified and owner.primary
        client.logout()
        client.post("/accounts/login/", {"login": other.email, "password": factories.PASSWORD})
        assert client.session["_auth_user_id"] == str(other.pk)
