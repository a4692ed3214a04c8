import pytest

from accounts.models import ApiKey, User
from tests import factories

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


class TestViewer:
    def test_good_key_names_the_caller(self, api_client, user):
        response = api_client.as_user(user).get("/api/v1/viewer")
        assert response.status_code == 200
        assert response.json() == {
            "username": user.username,
            "email": user.email,
            "display_name": user.username,
            "is_service": False,
            "is_system_admin": False,
            "teams": [],
        }

    def test_system_admin_is_flagged(self, api_client, superuser):
        assert api_client.as_user(superuser).get("/api/v1/viewer").json()["is_system_admin"] is True

    def test_no_key_is_401(self, api_client):
        response = api_client.get("/api/v1/viewer")
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"

    @pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ts_00000000_abc", "Basic Zm9vOmJhcg==", "Bearer "])
    def test_bad_key_is_401(self, api_client, user, header):
        response = api_client.get("/api/v1/viewer", headers={"Authorization": header})
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"

    def test_key_with_right_prefix_but_wrong_secret_is_401(self, api_client, user):
        key = factories.api_key(user)
        forged = key[:12] + "x" * (len(key) - 12)
        response = api_client.get("/api/v1/viewer", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401

    def test_revoked_key_is_401_at_once(self, api_client, user):
        api_client.as_user(user)
        assert api_client.get("/api/v1/viewer").status_code == 200
        prefix = api_client.key.split("_")[1]
        assert api_client.delete(f"/api/v1/api-keys/{prefix}").status_code == 204
        response = api_client.get("/api/v1/viewer")
        assert response.status_code == 401
        assert "revoked" in error_of(response)["message"]

    def test_key_of_deactivated_user_is_401(self, api_client, user):
        api_client.as_user(user)
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert api_client.get("/api/v1/viewer").status_code == 401

    def test_bad_key_wins_over_a_signed_in_session(self, client, user):
        client.force_login(user)
        assert client.get("/api/v1/viewer").status_code == 200
        response = client.get("/api/v1/viewer", headers={"Authorization": "Bearer ts_bad_key"})
        assert response.status_code == 401

    def test_use_records_last_used(self, api_client, user):
        api_client.as_user(user)
        assert ApiKey.objects.get().last_used_at is None
        api_client.get("/api/v1/viewer")
        assert ApiKey.objects.get().last_used_at is not None


class TestSessionAuth:
    def test_session_reads_work(self, client, user):
        client.force_login(user)
        assert client.get("/api/v1/viewer").json()["username"] == user.username

    def test_session_writes_need_csrf(self, user):
        from django.test import Client

        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        response = browser.post("/api/v1/api-keys", data={"name": "x"}, content_type="application/json")
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
        assert not ApiKey.objects.exists()
        browser.get("/settings/")  # sets the CSRF cookie
        token = browser.cookies["csrftoken"].value
        response = browser.post(
            "/api/v1/api-keys", data={"name": "x"}, content_type="application/json", headers={"X-CSRFToken": token}
        )
        assert response.status_code == 201

    def test_service_account_session_is_refused(self, client):
        bot = factories.user(username="bot", is_service=True)
        client.force_login(bot)
        assert client.get("/api/v1/viewer").status_code == 401


class TestCreateUser:
    payload = {"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-enough-secret-7"}

    def test_system_admin_creates_a_user(self, api_client, superuser):
        response = api_client.as_user(superuser).post("/api/v1/users", self.payload)
        assert response.status_code == 201
        assert response.json() == {"username": "newcomer", "email": "newcomer@example.com"}
        created = User.objects.get(username="newcomer")
        assert created.check_password(self.payload["password"])
        assert created.emailaddress_set.get().verified

    def test_non_admin_is_403_and_nothing_is_created(self, api_client, user):
        response = api_client.as_user(user).post("/api/v1/users", self.payload)
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
        assert not User.objects.filter(username="newcomer").exists()

    def test_anonymous_is_401(self, api_client):
        assert api_client.post("/api/v1/users", self.payload).status_code == 401

    def test_bad_json_is_400(self, api_client, superuser):
        response = api_client.as_user(superuser).post("/api/v1/users", raw="{not json")
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "invalid"
        assert "JSON" in error["message"]
        assert "body" in error["fields"]

    def test_missing_fields_are_named(self, api_client, superuser):
        response = api_client.as_user(superuser).post("/api/v1/users", {"username": "x"})
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "invalid"
        assert set(error["fields"]) == {"email", "password"}
        assert error["fields"]["email"] == ["This field is required."]

    def test_wrong_types_are_named(self, api_client, superuser):
        response = api_client.as_user(superuser).post("/api/v1/users", {**self.payload, "username": ["a"]})
        assert response.status_code == 400
        assert "username" in error_of(response)["fields"]

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"username": "has space"}, "username"),
            ({"email": "not-an-email"}, "email"),
            ({"password": "123"}, "password"),
            ({"password": "password"}, "password"),
        ],
    )
    def test_invalid_values_are_refused(self, api_client, superuser, change, field):
        response = api_client.as_user(superuser).post("/api/v1/users", {**self.payload, **change})
        assert response.status_code == 400
        assert field in error_of(response)["fields"]
        assert not User.objects.filter(email="newcomer@example.com").exists()

    def test_taken_username_and_email_are_refused(self, api_client, superuser):
        factories.user(username="newcomer", email="newcomer@example.com")
        response = api_client.as_user(superuser).post("/api/v1/users", {**self.payload, "username": "NEWCOMER"})
        assert response.status_code == 400
        assert set(error_of(response)["fields"]) == {"username", "email"}
        assert User.objects.filter(username__iexact="newcomer").count() == 1


class TestApiKeys:
    def test_create_shows_the_key_once_and_stores_only_a_digest(self, api_client, user):
        response = api_client.as_user(user).post("/api/v1/api-keys", {"name": "gpu-box"})
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == "gpu-box"
        assert body["key"].startswith(f"ts_{body['prefix']}_")
        stored = ApiKey.objects.get(prefix=body["prefix"])
        assert body["key"] not in (stored.digest, stored.prefix, stored.name)
        assert len(stored.digest) == 64
        listed = api_client.get("/api/v1/api-keys").json()
        assert listed["next"] is None
        assert all("key" not in row for row in listed["results"])
        assert [row["prefix"] for row in listed["results"]][0] == body["prefix"]
        # the new key itself works
        assert api_client.get("/api/v1/viewer", headers={"Authorization": f"Bearer {body['key']}"}).status_code == 200

    def test_list_fields(self, api_client, user):
        rows = api_client.as_user(user).get("/api/v1/api-keys").json()["results"]
        assert set(rows[0]) >= {"prefix", "name", "created_at", "last_used_at"}
        assert rows[0]["created_at"].endswith("+00:00")

    def test_list_shows_only_my_active_keys(self, api_client, user):
        other = factories.user()
        factories.api_key(other, name="theirs")
        api_client.as_user(user)
        revoked = factories.api_key(user, name="old")
        api_client.delete(f"/api/v1/api-keys/{revoked.split('_')[1]}")
        names = [row["name"] for row in api_client.get("/api/v1/api-keys").json()["results"]]
        assert names == ["test key"]

    def test_list_pages(self, api_client, user):
        api_client.as_user(user)
        for n in range(4):
            factories.api_key(user, name=f"k{n}")
        first = api_client.get("/api/v1/api-keys?limit=3").json()
        assert len(first["results"]) == 3 and first["next"]
        second = api_client.get(first["next"].replace("http://testserver", "")).json()
        assert len(second["results"]) == 2 and second["next"] is None
        assert api_client.get("/api/v1/api-keys?limit=0").status_code == 400

    @pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 3}])
    def test_bad_names_are_refused(self, api_client, user, body):
        api_client.as_user(user)
        response = api_client.post("/api/v1/api-keys", body)
        assert response.status_code == 400
        assert "name" in error_of(response)["fields"]
        assert ApiKey.objects.count() == 1  # only the client's own key

    def test_cannot_revoke_someone_elses_key(self, api_client, user):
        other = factories.user()
        theirs = factories.api_key(other)
        response = api_client.as_user(user).delete(f"/api/v1/api-keys/{theirs.split('_')[1]}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
        assert ApiKey.objects.get(prefix=theirs.split("_")[1]).is_active

    def test_revoking_twice_is_404(self, api_client, user):
        api_client.as_user(user)
        key = factories.api_key(user, name="spare")
        prefix = key.split("_")[1]
        assert api_client.delete(f"/api/v1/api-keys/{prefix}").status_code == 204
        assert api_client.delete(f"/api/v1/api-keys/{prefix}").status_code == 404


class TestApiSurface:
    def test_openapi_schema_lists_the_endpoints(self, client):
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        paths = response.json()["paths"]
        assert {"/api/v1/viewer", "/api/v1/users", "/api/v1/api-keys", "/api/v1/api-keys/{prefix}"} <= set(paths)

    def test_docs_page_is_served_without_a_cdn(self, client):
        response = client.get("/api/v1/docs")
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn." not in html and "unpkg" not in html
        assert "/static/ninja/swagger-ui-bundle" in html

    def test_unknown_api_path_answers_in_the_error_shape(self, client):
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
