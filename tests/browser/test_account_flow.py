"""The account journey in a real browser: sign-up with email verification,
sign-in by username or email, API keys on /settings/, and the avatar upload.

Every test also checks that the browser logged no JavaScript error.
"""

import re

import pytest
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")


def account_menu(page):
    return page.locator("details.menu summary.menu-button")


def assert_signed_in_as(page, name):
    expect(account_menu(page)).to_be_visible()
    expect(account_menu(page).locator(".menu-label")).to_have_text(name)


def assert_no_js_errors(page):
    assert page.js_errors == [], f"JavaScript errors in the browser console: {page.js_errors}"


def viewer(key):
    return Client().get("/api/v1/viewer", headers={"Authorization": f"Bearer {key}"})


def test_sign_up_verify_email_then_sign_in(page, mailoutbox):
    response = page.goto("/accounts/signup/")
    assert response.status == 200
    csp = response.headers.get("content-security-policy")
    assert csp, "no Content-Security-Policy header on the sign-up page"
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "script-src" in directives
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]

    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password1]", factories.PASSWORD)
    page.fill("input[name=password2]", factories.PASSWORD)
    page.click("form.form button[type=submit]")

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    expect(account_menu(page)).to_have_count(0)  # mandatory verification: not signed in yet

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.com"]
    match = CONFIRM_LINK.search(message.body)
    assert match, f"no confirmation link in the email:\n{message.body}"
    page.goto(match.group(0))
    expect(page.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(lambda url: "/accounts/confirm-email/" not in url)

    user = User.objects.get(username="ada")
    assert user.emailaddress_set.get(email="ada@example.com").verified

    sign_in(page, "ada", factories.PASSWORD)
    assert_signed_in_as(page, "ada")
    assert_no_js_errors(page)


def test_api_key_is_shown_once_works_and_revokes(page):
    owner = factories.user(username="grace", display_name="Grace H")
    sign_in(page, "grace", factories.PASSWORD)
    assert_signed_in_as(page, "Grace H")

    response = page.goto("/settings/")
    assert response.status == 200
    csp = response.headers.get("content-security-policy", "")
    assert "script-src" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]

    page.fill("#api-keys-panel input[name=name]", "laptop")
    page.locator("#api-keys-panel").get_by_role("button", name="Create key").click()
    new_key = page.locator("#new-key-value")
    expect(new_key).to_be_visible()
    key = new_key.input_value()
    assert key.startswith("ts_")
    prefix = key.split("_")[1]
    row = page.locator(f"#key-{prefix}")
    expect(row).to_contain_text("laptop")
    assert page.url.endswith("/settings/")  # htmx swapped the panel in place

    page.reload()
    expect(row).to_contain_text(f"ts_{prefix}_")
    expect(page.locator("#new-key-value")).to_have_count(0)
    html = page.content()
    assert prefix in html
    assert key not in html
    assert key.split("_", 2)[2] not in html  # not even the secret part

    answer = viewer(key)
    assert answer.status_code == 200, answer.content
    assert answer.json()["username"] == owner.username

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: f"/settings/api-keys/{prefix}/revoke/" in r.url) as revoked:
        row.get_by_role("button", name="Revoke key laptop").click()
    assert revoked.value.status == 200
    expect(row).to_have_count(0)
    assert page.url.endswith("/settings/")
    expect(page.locator("#api-keys-panel")).to_contain_text("You have no API keys")

    answer = viewer(key)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert_no_js_errors(page)


def test_sign_in_by_email_and_wrong_password(page):
    factories.user(username="linus", email="linus@example.com")

    sign_in(page, "linus@example.com", factories.PASSWORD)
    assert_signed_in_as(page, "linus")
    page.locator("details.menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(account_menu(page)).to_have_count(0)
    page.context.clear_cookies()

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "linus")
    page.fill("input[name=password]", "not-the-password-1")
    page.click("form.form button[type=submit]")
    expect(page.locator("form.form [role=alert]")).to_contain_text("not correct")
    assert "/accounts/login/" in page.url
    expect(account_menu(page)).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    page.goto("/settings/")
    assert "/accounts/login/" in page.url  # no session: settings asks to sign in
    assert_no_js_errors(page)


def test_avatar_upload_accepts_images_and_rejects_impostors(page, tmp_path):
    factories.user(username="margaret")
    sign_in(page, "margaret", factories.PASSWORD)
    page.goto("/settings/")
    avatar_form = page.locator("form[action='/settings/avatar/']")
    large = page.locator("img.avatar.avatar-large")
    expect(large).to_have_count(0)

    picture = tmp_path / "me.png"
    Image.new("RGB", (300, 200), (40, 120, 200)).save(picture, format="PNG")
    avatar_form.locator("input[type=file]").set_input_files(picture)
    avatar_form.get_by_role("button", name="Upload avatar").click()
    expect(page.get_by_text("Your new avatar is in place.")).to_be_visible()
    expect(large).to_have_count(1)
    first_src = large.get_attribute("src")
    assert first_src.endswith(".webp")
    # The image really loads (served from media, allowed by the CSP).
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", large.element_handle())

    evil = tmp_path / "evil.png"
    evil.write_text("#!/bin/sh\necho this is not a picture\n")
    avatar_form.locator("input[type=file]").set_input_files(evil)
    with page.expect_navigation() as navigation:
        avatar_form.get_by_role("button", name="Upload avatar").click()
    assert navigation.value.status == 400
    expect(avatar_form.locator(".field-errors")).to_contain_text("not a PNG, JPEG, WebP or GIF image")
    expect(large).to_have_count(1)
    assert large.get_attribute("src") == first_src
    # A 400 on the document is the expected answer, not a script error.
    errors = [e for e in page.js_errors if "status of 400" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"
