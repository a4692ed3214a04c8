"""Identity: API key authentication on every API call, and the settings page."""

from django.test import Client

from accounts.services import api_key_create, user_create


def run(median_ms):
    user = user_create(username="bench", email="bench@example.com", password="a-long-bench-secret-1")
    for n in range(20):
        api_key_create(actor=user, name=f"key {n}")
    key = api_key_create(actor=user, name="bench").key
    api = Client(headers={"Authorization": f"Bearer {key}"})
    browser = Client()
    browser.force_login(user)
    anonymous = Client()

    def viewer():
        assert api.get("/api/v1/viewer").status_code == 200

    def bad_key():
        assert anonymous.get("/api/v1/viewer", headers={"Authorization": "Bearer ts_00000000_nope"}).status_code == 401

    def health():
        assert anonymous.get("/health").status_code == 200

    def settings_page():
        assert browser.get("/settings/").status_code == 200

    return [
        ("GET /api/v1/viewer (Bearer key)", *median_ms(viewer), "< 5 ms"),
        ("GET /api/v1/viewer (unknown key, 401)", *median_ms(bad_key), "< 5 ms"),
        ("GET /health", *median_ms(health), "< 2 ms"),
        ("GET /settings/ (21 keys)", *median_ms(settings_page, repeat=100), "< 20 ms"),
    ]
