"""The console's front door against a stranger: a CSRF token on the sign-in form, and guessing slowed down."""

from __future__ import annotations

import time

from tests.conftest import MERCHANT_EMAIL, MERCHANT_PASSWORD, Console, Hub, post_sign_in


def test_the_sign_in_form_needs_the_token_the_page_gave(hub: Hub, merchant: Console):
    stranger = hub.client(None)
    forged = stranger.post("/console/sign-in", data={"email": MERCHANT_EMAIL, "password": MERCHANT_PASSWORD})
    assert forged.status_code == 403 and "expired" in forged.text
    assert "cannasync_session" not in stranger.cookies
    signed_in = post_sign_in(hub.client(None), MERCHANT_EMAIL, MERCHANT_PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"


def test_wrong_passwords_are_throttled_per_account_and_the_owner_waits_like_everyone(hub: Hub, merchant: Console):
    guesser = hub.client(None)
    answers = [post_sign_in(guesser, MERCHANT_EMAIL, f"guess-{n}").status_code for n in range(5)]
    assert answers == [401] * 5
    started = time.monotonic()
    blocked = post_sign_in(guesser, MERCHANT_EMAIL, "guess-6")
    assert blocked.status_code == 429 and "Too many wrong passwords" in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert time.monotonic() - started < 1.0, "a throttled attempt costs no password hash"
    # While the account is throttled even the right password waits: a guesser cannot tell which one was right.
    assert post_sign_in(hub.client(None), MERCHANT_EMAIL, MERCHANT_PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_throttled_too(hub: Hub, merchant: Console):
    spray = hub.client(None)
    answers = [post_sign_in(spray, f"user{n}@example.com", "Winter2026!").status_code for n in range(20)]
    assert answers == [401] * 20
    assert post_sign_in(spray, "user21@example.com", "Winter2026!").status_code == 429
    # The merchant's own account is not locked by someone else's spraying from the same address... but the
    # address is: the test client and the merchant share 127.0.0.1, so the merchant is told to wait as well.
    assert post_sign_in(hub.client(None), MERCHANT_EMAIL, MERCHANT_PASSWORD).status_code == 429


def test_a_right_password_clears_the_accounts_earlier_mistakes(hub: Hub, merchant: Console):
    client = hub.client(None)
    for n in range(4):
        assert post_sign_in(client, MERCHANT_EMAIL, f"typo-{n}").status_code == 401
    assert post_sign_in(client, MERCHANT_EMAIL, MERCHANT_PASSWORD).status_code == 303
    for n in range(4):
        assert post_sign_in(hub.client(None), MERCHANT_EMAIL, f"typo-again-{n}").status_code == 401
    assert post_sign_in(hub.client(None), MERCHANT_EMAIL, MERCHANT_PASSWORD).status_code == 303


def test_a_stale_console_link_answers_a_page_that_says_not_found(hub: Hub, merchant: Console):
    """A person who follows an old link reads a page (with a way back), not the API's JSON; the API keeps JSON."""
    for path in ("/console/orders/999999", "/console/no-such-page"):
        page = merchant.get(path)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>Not found</h1>" in page.text and 'href="/console"' in page.text
    assert "Order not found" in merchant.get("/console/orders/999999").text
    api = merchant.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
