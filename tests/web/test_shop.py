"""The shopper's store over real HTTP: menu filters, product page, cart, checkout, and the order page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx2
import pytest

from cannasync.store.tables import Product
from cannasync.web.shop import gate
from cannasync.web.shop.display import total_thc
from tests.conftest import Connected, FlowhubSandbox, Hub, Sandbox, connect_flourish, connect_flowhub, wait_for

ADULT = {"first_name": "Sam", "last_name": "Okafor", "date_of_birth": "1990-06-01", "phone": "(734) 555-0142"}


@pytest.fixture
def shop(hub: Hub, flourish: Sandbox) -> Connected:
    """Flourish with Sync Orders and terpenes on, one menu sync done: a store worth shopping at."""
    link = connect_flourish(hub, flourish, sync_orders=True, sync_terpenes=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    return link


@pytest.fixture
def shopper(hub: Hub) -> Iterator[httpx2.Client]:
    """A browser without a sign-in: it keeps the cart cookie, and follows nothing by itself."""
    with hub.client(None) as client:
        client.cookies.set(gate.COOKIE, gate.ADULT)  # a shopper who passed the age gate (tested on its own)
        yield client


def product_ids(html: str, store_id: int) -> list[int]:
    return [int(found) for found in dict.fromkeys(re.findall(rf"/shop/{store_id}/products/(\d+)\"", html))]


def rows(hub: Hub, ids: list[int]) -> list[Product]:
    with hub.db.uow() as uow:
        return [row for i in ids if (row := uow.catalog.product(i)) is not None]


def in_stock(hub: Hub, link: Connected, at_least: int = 3) -> list[Product]:
    with hub.db.uow() as uow:
        products, _ = uow.catalog.products(link.store_id, limit=500)
    found = [p for p in products if p.pos_quantity - p.held_quantity >= at_least and p.rec_price_cents]
    assert len(found) >= 3
    return found


def available(hub: Hub, product_id: int) -> int:
    with hub.db.uow() as uow:
        row = uow.catalog.product(product_id)
        assert row is not None
        return int(row.pos_quantity - row.held_quantity)


def add(shopper: httpx2.Client, store_id: int, product_id: int, quantity: int = 1) -> None:
    answer = shopper.post(f"/shop/{store_id}/cart/add", data={"product_id": product_id, "quantity": quantity})
    assert answer.status_code == 303, answer.text


def checkout_key(shopper: httpx2.Client, store_id: int) -> str:
    page = shopper.get(f"/shop/{store_id}/checkout")
    assert page.status_code == 200, page.text
    found = re.search(r'name="key" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def pickup(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "fulfillment": "pickup", "customer_type": "recreational", **ADULT, **fields}


def order_count(hub: Hub, store_id: int) -> int:
    with hub.db.uow() as uow:
        return len(uow.orders.for_store(store_id, limit=200))


# --- menu and product page ----------------------------------------------------------------------------------


def test_the_menu_lists_what_is_in_stock_a_page_at_a_time(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    page = shopper.get(f"/shop/{shop.store_id}")
    assert page.status_code == 200
    assert "Great Lakes Ann Arbor" in page.text and "Shop the menu" in page.text
    ids = product_ids(page.text, shop.store_id)
    assert 0 < len(ids) <= 24
    assert all(p.visible and p.pos_quantity > p.held_quantity for p in rows(hub, ids))
    assert "Show more" in page.text
    more = shopper.get(f"/shop/{shop.store_id}", params={"page": 2}, headers={"HX-Request": "true"})
    assert "<html" not in more.text  # only the next cards, appended by htmx
    assert not set(product_ids(more.text, shop.store_id)) & set(ids)


def test_menu_filters_narrow_the_results(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    everything = shopper.get(f"/shop/{shop.store_id}")
    total = int(re.search(r"<b>(\d+)</b> products?", everything.text).group(1))  # type: ignore[union-attr]

    def narrowed(**params: str) -> list[Product]:
        page = shopper.get(f"/shop/{shop.store_id}", params=params)
        assert page.status_code == 200
        count = int(re.search(r"<b>(\d+)</b> products?", page.text).group(1))  # type: ignore[union-attr]
        assert 0 < count < total, params
        return rows(hub, product_ids(page.text, shop.store_id))

    category = rows(hub, product_ids(everything.text, shop.store_id))[0].category
    assert {p.category for p in narrowed(category=category)} == {category}
    assert {p.strain_type for p in narrowed(strain="Indica")} == {"Indica"}
    for product in narrowed(thc="20-25"):
        thc = total_thc(product.cannabinoids)
        assert thc is not None and 20 <= float(thc.rstrip("%")) < 25.05, (product.name, thc)
    for product in narrowed(terpene="Limonene"):
        assert "Limonene" in {t["name"] for t in product.terpenes}
    strongest = narrowed(category=category, sort="potency")
    values = [float((total_thc(p.cannabinoids) or "0").split("%")[0].split()[0]) for p in strongest]
    assert values == sorted(values, reverse=True)


def test_the_age_gate_asks_once_then_edibles_filter_by_mg_and_search_finds_plurals(
    hub: Hub, shop: Connected, shopper: httpx2.Client
) -> None:
    """One store (its sync is the cost) for the gate and the menu's filters."""
    product = in_stock(hub, shop)[0]
    wanted = f"/shop/{shop.store_id}/products/{product.id}"
    with hub.client(None) as newcomer:
        gate_page = newcomer.get(wanted)
        assert gate_page.status_code == 200 and 'data-testid="age-gate"' in gate_page.text
        assert product.name.replace("'", "&#39;") not in gate_page.text  # no menu before the answer
        assert f'name="next" value="{wanted}"' in gate_page.text
        assert "18 or older with a medical card" in gate_page.text  # this store has medical prices
        added = newcomer.post(f"/shop/{shop.store_id}/cart/add", data={"product_id": product.id, "quantity": 1})
        assert added.status_code == 303 and added.headers["location"] == f"/shop/{shop.store_id}/age"
        unanswered = newcomer.post(f"/shop/{shop.store_id}/age", data={"next": wanted})
        assert unanswered.status_code == 422 and "age is required" in unanswered.text
        too_young = newcomer.post(f"/shop/{shop.store_id}/age", data={"age": "no", "next": wanted})
        assert too_young.status_code == 403 and "can't shop here yet" in too_young.text
        assert gate.COOKIE not in newcomer.cookies  # nothing remembered: the next visit asks again
        elsewhere = newcomer.post(f"/shop/{shop.store_id}/age", data={"age": gate.MEDICAL, "next": "//evil.example"})
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == f"/shop/{shop.store_id}"
        cookie = elsewhere.headers["set-cookie"]  # a medical answer is this store's only
        assert cookie.startswith(f"{gate.medical_cookie(shop.store_id)}=") and f"Path=/shop/{shop.store_id};" in cookie
        shown = newcomer.get(wanted)
        assert shown.status_code == 200 and "Add to cart" in shown.text and 'data-testid="age-gate"' not in shown.text

        # An 18-20-year-old patient is not let into a store that sells to adults 21 and over only.
        adult_use = hub.api.post("/api/v1/stores", json={"name": "Adult-use only"}).json()["id"]
        asked = newcomer.get(f"/shop/{adult_use}")
        assert asked.status_code == 200 and 'data-testid="age-gate"' in asked.text
        assert f'value="{gate.MEDICAL}"' not in asked.text  # no medical answer offered
        forged = newcomer.post(f"/shop/{adult_use}/age", data={"age": gate.MEDICAL, "next": f"/shop/{adult_use}"})
        assert forged.status_code == 422 and "21 and over only" in forged.text and "set-cookie" not in forged.headers
        assert 'data-testid="age-gate"' in newcomer.get(f"/shop/{adult_use}/cart").text
        assert newcomer.get("/shop/not-a-store").status_code in (404, 422)  # a medical cookie is read by number

        answered = newcomer.post(f"/shop/{shop.store_id}/age", data={"age": gate.ADULT, "next": wanted})
        assert answered.status_code == 303 and answered.headers["location"] == wanted
        cookie = answered.headers["set-cookie"]
        assert cookie.startswith(f"{gate.COOKIE}=21;") and "Path=/shop;" in cookie
        assert "Max-Age=2592000" in cookie and "HttpOnly" in cookie
        for everywhere in (wanted, f"/shop/{adult_use}"):  # 21 and over is remembered for every store
            shown = newcomer.get(everywhere)
            assert shown.status_code == 200 and 'data-testid="age-gate"' not in shown.text, everywhere

    def menu(**params: str) -> tuple[str, list[Product]]:
        page = shopper.get(f"/shop/{shop.store_id}", params={**params})
        assert page.status_code == 200, params
        found = rows(hub, product_ids(page.text, shop.store_id))
        assert found, params
        return page.text, found

    def thc_mg(product: Product) -> float:
        return next(float(c["value"]) for c in product.cannabinoids if c["name"] == "THC" and c["unit"] == "mg")

    page, edibles = menu(category="Edibles")
    assert "THC per package" in page and "Under 15%" not in page  # mg ranges for edibles, not percentages
    _, packs = menu(category="Edibles", thc="mg100")
    assert all(10 < thc_mg(p) <= 100 for p in packs)
    _, strong = menu(category="Edibles", thc="mg500")
    assert all(100 < thc_mg(p) <= 500 for p in strong) and {p.id for p in strong}.isdisjoint(p.id for p in packs)
    flower = menu(category="Flower")[0]
    assert "Under 15%" in flower and "THC per package" not in flower
    brand = edibles[0].brand or ""
    assert {p.brand for p in menu(brand=brand)[1]} == {brand}
    assert all(2000 <= (p.rec_price_cents or 0) < 4000 for p in menu(price="20-40")[1])
    gummies = menu(q="gummy")[1]  # the singular finds "Gummies"
    assert all("gumm" in f"{p.name} {p.pos_category} {p.subcategory}".lower() for p in gummies)
    assert {p.id for p in menu(q="GUMMIES")[1]} == {p.id for p in gummies}
    assert {p.strain_type for p in menu(q="indica")[1]} <= {"Indica", "Indica Hybrid"}  # strain words


def test_search_matches_names_and_brands_and_treats_percent_as_a_letter(
    hub: Hub, shop: Connected, shopper: httpx2.Client
) -> None:
    product = in_stock(hub, shop)[0]
    page = shopper.get(f"/shop/{shop.store_id}", params={"q": product.name[:12]})
    assert product.id in product_ids(page.text, shop.store_id)
    assert "Nothing matches" in shopper.get(f"/shop/{shop.store_id}", params={"q": "%%%"}).text


def test_the_product_page_shows_potency_terpenes_and_prices(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    with hub.db.uow() as uow:
        products, _ = uow.catalog.products(shop.store_id, limit=500)
    product = next(p for p in products if p.terpenes and p.cannabinoids and p.pos_quantity > p.held_quantity)
    page = shopper.get(f"/shop/{shop.store_id}/products/{product.id}")
    assert page.status_code == 200
    assert product.name.replace("'", "&#39;") in page.text
    assert "Total THC" in page.text and str(total_thc(product.cannabinoids)) in page.text
    for terpene in product.terpenes:
        assert terpene["name"] in page.text
    assert f"${product.rec_price_cents / 100:,.2f}" in page.text
    assert "Add to cart" in page.text


def test_unknown_stores_products_and_orders_get_the_store_404(
    hub: Hub, shop: Connected, shopper: httpx2.Client
) -> None:
    for path in ("/shop/9999", f"/shop/{shop.store_id}/products/999999", "/shop/9999/cart"):
        answer = shopper.get(path)
        assert answer.status_code == 404, path
        assert "404" in answer.text and "<html" in answer.text
    assert "isn't on the menu" in shopper.get(f"/shop/{shop.store_id}/products/999999").text


# --- cart ---------------------------------------------------------------------------------------------------


def test_the_cart_is_priced_on_the_server(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    first, second = in_stock(hub, shop)[:2]
    add(shopper, shop.store_id, first.id, 2)
    add(shopper, shop.store_id, second.id)
    add(shopper, shop.store_id, second.id)  # adding again adds to the line
    page = shopper.get(f"/shop/{shop.store_id}/cart")
    assert page.status_code == 200
    expected = 2 * (first.rec_price_cents or 0) + 2 * (second.rec_price_cents or 0)
    assert f"${expected / 100:,.2f}" in page.text
    assert 'aria-label="Cart, 4 items"' in page.text

    changed = shopper.post(f"/shop/{shop.store_id}/cart/update", data={f"qty_{first.id}": "1", f"qty_{second.id}": "2"})
    assert changed.status_code == 303
    page = shopper.get(f"/shop/{shop.store_id}/cart")
    expected = (first.rec_price_cents or 0) + 2 * (second.rec_price_cents or 0)
    assert f"${expected / 100:,.2f}" in page.text
    shopper.post(f"/shop/{shop.store_id}/cart/update", data={"remove": str(second.id)})
    page = shopper.get(f"/shop/{shop.store_id}/cart")
    assert second.name.replace("'", "&#39;") not in page.text and 'aria-label="Cart, 1 item"' in page.text


def test_a_tampered_cart_cookie_is_read_safely(hub: Hub, shop: Connected) -> None:
    first = in_stock(hub, shop)[0]
    cookie = f"cart_{shop.store_id}={first.id}x2-999999x4-junk-{first.id}x-1"
    with hub.client(None) as stranger:
        page = stranger.get(f"/shop/{shop.store_id}/cart", headers={"Cookie": f"{cookie}; {gate.COOKIE}={gate.ADULT}"})
    assert page.status_code == 200 and 'aria-label="Cart, 2 items"' in page.text
    assert f"${2 * (first.rec_price_cents or 0) / 100:,.2f}" in page.text


def test_the_cart_never_holds_more_than_is_available(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    product = in_stock(hub, shop)[0]
    add(shopper, shop.store_id, product.id, 99)
    assert shopper.cookies.get(f"cart_{shop.store_id}") == f"{product.id}x{min(available(hub, product.id), 99)}"


def test_a_line_takes_as_many_as_the_store_has_and_a_huge_number_is_told_the_stock(
    hub: Hub, shop: Connected, shopper: httpx2.Client
) -> None:
    """No cap of the shop's own: 120 of an accessory (no purchase limit counts it) go into the cart and through
    checkout when the store has them; asking for far more is told the stock, never a server error."""
    with hub.db.uow() as uow:
        products, _ = uow.catalog.products(shop.store_id, limit=500)
        accessory = next(p for p in products if p.category == "Accessories" and p.rec_price_cents)
        accessory.pos_quantity, accessory.held_quantity = 150, 0  # the store restocked
        accessory_id, name = accessory.id, accessory.name
    store = shop.store_id
    page = shopper.get(f"/shop/{store}/products/{accessory_id}")
    assert re.search(r'<input type="number" name="quantity" value="1" min="1" max="150"', page.text), page.text

    added = shopper.post(f"/shop/{store}/cart/add", data={"product_id": accessory_id, "quantity": 120})
    assert added.status_code == 303 and "added=120" in added.headers["location"], added.headers
    assert shopper.cookies.get(f"cart_{store}") == f"{accessory_id}x120"
    page = shopper.get(added.headers["location"])
    assert "Added 120 to your cart" in page.text and 'max="30"' in page.text

    huge = shopper.post(f"/shop/{store}/cart/add", data={"product_id": accessory_id, "quantity": str(10**12)})
    assert huge.status_code == 303 and "refused=1" in huge.headers["location"], huge.headers
    assert shopper.cookies.get(f"cart_{store}") == f"{accessory_id}x150"
    page = shopper.get(huge.headers["location"])
    assert page.status_code == 200 and "You already have all 150 in your cart" in page.text
    cart = shopper.get(f"/shop/{store}/cart")
    assert f'name="qty_{accessory_id}" value="150" min="1" max="150"' in cart.text

    key = checkout_key(shopper, store)
    placed = shopper.post(f"/shop/{store}/checkout", data=pickup(key))
    assert placed.status_code == 303, placed.text
    assert available(hub, accessory_id) == 0
    order = shopper.get(placed.headers["location"])
    assert html.escape(name) in order.text and "150 ×" in order.text


def test_quick_add_from_the_menu_answers_htmx_with_the_cart_button(
    hub: Hub, shop: Connected, shopper: httpx2.Client
) -> None:
    product = in_stock(hub, shop)[0]
    answer = shopper.post(
        f"/shop/{shop.store_id}/cart/add", data={"product_id": product.id}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200 and 'id="cart-button"' in answer.text and "<html" not in answer.text


# --- checkout -----------------------------------------------------------------------------------------------


def test_checkout_places_an_order_that_holds_stock(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    product = in_stock(hub, shop)[0]
    before = available(hub, product.id)
    add(shopper, shop.store_id, product.id, 2)
    key = checkout_key(shopper, shop.store_id)
    answer = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key, email="Sam@Example.com", notes="Hi"))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/shop/{shop.store_id}/orders/{key}"
    assert available(hub, product.id) == before - 2
    assert not shopper.cookies.get(f"cart_{shop.store_id}")  # the cart is emptied
    page = shopper.get(answer.headers["location"])
    assert page.status_code == 200 and "received your order" in page.text
    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(shop.store_id, f"shop-{key}")
        assert order is not None
        assert (order.customer.phone, order.customer.email, order.is_medical) == (
            "7345550142",
            "sam@example.com",
            False,
        )
        assert order.total_cents == 2 * (product.rec_price_cents or 0)
        assert f"Order #{order.number}" in page.text


def test_a_double_submit_places_one_order(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    product = in_stock(hub, shop)[0]
    add(shopper, shop.store_id, product.id)
    key = checkout_key(shopper, shop.store_id)
    cart = dict(shopper.cookies)
    first = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key))
    shopper.cookies.update(cart)  # the second click left before the first answer cleared the cart
    second = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key))
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert order_count(hub, shop.store_id) == 1


def test_missing_fields_are_named_and_what_was_typed_is_kept(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    add(shopper, shop.store_id, in_stock(hub, shop)[0].id)
    key = checkout_key(shopper, shop.store_id)
    data = pickup(key, first_name="", phone="12", fulfillment="delivery", line1="12 Elm St", state="Michigan")
    answer = shopper.post(f"/shop/{shop.store_id}/checkout", data=data)
    assert answer.status_code == 422
    for message in ("Enter your first name", "Enter a 10-digit phone number", "Two letters", "Enter the city"):
        assert message in answer.text
    assert 'value="12 Elm St"' in answer.text and f'value="{key}"' in answer.text
    assert order_count(hub, shop.store_id) == 0


def test_an_out_of_stock_answer_keeps_the_form(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    product = in_stock(hub, shop)[0]
    add(shopper, shop.store_id, product.id, 3)
    key = checkout_key(shopper, shop.store_id)
    with hub.db.uow() as uow:  # someone else bought all but one in the meantime
        row = uow.catalog.product(product.id)
        assert row is not None
        row.held_quantity = row.pos_quantity - 1
    answer = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key, notes="Back door please"))
    assert answer.status_code == 409
    assert "only 1 of" in answer.text and "left" in answer.text
    assert "Back door please" in answer.text and 'value="Okafor"' in answer.text
    assert order_count(hub, shop.store_id) == 0


def test_a_too_young_shopper_is_told_why(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    add(shopper, shop.store_id, in_stock(hub, shop)[0].id)
    key = checkout_key(shopper, shop.store_id)
    young = (date.today() - timedelta(days=365 * 19)).isoformat()
    answer = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key, date_of_birth=young))
    assert answer.status_code == 422 and "You must be 21 or older" in answer.text


def test_medical_checkout_uses_medical_prices(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    product = next((p for p in in_stock(hub, shop) if p.med_price_cents), None)
    if product is None:
        pytest.skip("no medical prices in this catalogue")
    medical_price = product.med_price_cents or 0
    add(shopper, shop.store_id, product.id)
    summary = shopper.get(f"/shop/{shop.store_id}/checkout/summary", params={"customer_type": "medical"})
    assert f"${medical_price / 100:,.2f}" in summary.text and "Medical prices" in summary.text
    key = checkout_key(shopper, shop.store_id)
    data = pickup(key, customer_type="medical", medical_id="MED-100200")
    answer = shopper.post(f"/shop/{shop.store_id}/checkout", data=data)
    assert answer.status_code == 303, answer.text
    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(shop.store_id, f"shop-{key}")
        assert order is not None and order.is_medical and order.total_cents == medical_price


def test_flowhub_asks_for_a_medical_card_and_its_expiry(
    hub: Hub, flowhub: FlowhubSandbox, shopper: httpx2.Client
) -> None:
    link = connect_flowhub(hub, flowhub, sync_orders=True)
    assert hub.first_sync(link.integration_id)["status"] == "succeeded"
    product = in_stock(hub, link)[0]
    add(shopper, link.store_id, product.id)
    form = shopper.get(f"/shop/{link.store_id}/checkout").text
    expiry = re.search(r'for="f-medical_id_expiration">Card expires <span class="(\w+)"', form)
    assert expiry and expiry.group(1) == "req"  # Flowhub needs medExp: the form says so before it is sent
    key = checkout_key(shopper, link.store_id)

    no_card = shopper.post(f"/shop/{link.store_id}/checkout", data=pickup(key, customer_type="medical"))
    assert no_card.status_code == 422 and "Enter your medical card number" in no_card.text
    no_expiry = shopper.post(
        f"/shop/{link.store_id}/checkout", data=pickup(key, customer_type="medical", medical_id="MMJ-44-1000")
    )
    assert no_expiry.status_code == 422 and "expiry date" in no_expiry.text
    no_phone = shopper.post(f"/shop/{link.store_id}/checkout", data=pickup(key, phone="", email="sam@example.com"))
    assert no_phone.status_code == 422 and "needs your phone number" in no_phone.text
    assert order_count(hub, link.store_id) == 0

    expires = (date.today() + timedelta(days=200)).isoformat()
    data = pickup(
        key, customer_type="medical", medical_id="MMJ-44-1000", medical_id_expiration=expires, phone="", email="s@x.io"
    )
    placed = shopper.post(f"/shop/{link.store_id}/checkout", data=data)
    assert placed.status_code == 303, re.findall(r"(?:field-error|notice error)[^>]*>([^<]+)", placed.text)
    assert order_count(hub, link.store_id) == 1


# --- the order page -----------------------------------------------------------------------------------------


def test_the_order_page_follows_the_status(
    hub: Hub, shop: Connected, flourish: Sandbox, shopper: httpx2.Client
) -> None:
    from cannasync.flows import checkout

    add(shopper, shop.store_id, in_stock(hub, shop)[0].id)
    key = checkout_key(shopper, shop.store_id)
    url = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key)).headers["location"]
    status_url = f"{url}/status"
    first = shopper.get(status_url)
    assert "received your order" in first.text and 'hx-trigger="every 4s"' in first.text

    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(shop.store_id, f"shop-{key}")
        assert order is not None
        order_id = order.id
    checkout.confirm_order(hub.db, order_id)
    pushed = wait_for(lambda: hub.order(order_id)["pos_order_id"], "the push")
    assert "Being prepared" in shopper.get(status_url).text

    flourish.move(pushed, "Packed")
    hub.sync(shop.integration_id, "order_status")
    ready = shopper.get(url)
    assert "Ready for pickup" in ready.text and "Confirmed" in ready.text  # the timeline keeps each step

    flourish.move(pushed, "Completed")
    hub.sync(shop.integration_id, "order_status")
    done = shopper.get(status_url)
    assert "Completed" in done.text and "hx-trigger" not in done.text  # an ended order stops polling


def test_a_cancelled_order_says_so(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    from cannasync.flows import checkout

    add(shopper, shop.store_id, in_stock(hub, shop)[0].id)
    key = checkout_key(shopper, shop.store_id)
    url = shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key)).headers["location"]
    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(shop.store_id, f"shop-{key}")
        assert order is not None
    checkout.cancel_order(hub.db, order.id, source="merchant", reason="out of stock")
    page = shopper.get(url)
    assert "Cancelled" in page.text and "hx-trigger" not in page.text


def test_an_order_page_cannot_be_guessed(hub: Hub, shop: Connected, shopper: httpx2.Client) -> None:
    add(shopper, shop.store_id, in_stock(hub, shop)[0].id)
    key = checkout_key(shopper, shop.store_id)
    shopper.post(f"/shop/{shop.store_id}/checkout", data=pickup(key))
    with hub.db.uow() as uow:
        order = uow.orders.by_idempotency_key(shop.store_id, f"shop-{key}")
        assert order is not None
    for made_up in (str(order.id), order.number, "A" * 32, key[:-1] + ("A" if key[-1] != "A" else "B")):
        assert shopper.get(f"/shop/{shop.store_id}/orders/{made_up}").status_code == 404, made_up
    assert shopper.get(f"/shop/{shop.store_id + 1}/orders/{key}").status_code == 404  # another store's address
    assert shopper.get(f"/shop/{shop.store_id}/orders/{key}").status_code == 200
