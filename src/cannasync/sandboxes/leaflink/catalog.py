"""Deterministic test data for the LeafLink sandbox: seller companies, brands, staff, customers, products and
orders received.

Companies, brands, staff, customers, payment terms and the first two products of each company are fixed
tables, the same for every seed, so tests and the demo can name them. The other products and every seeded
order come from ``random.Random`` streams seeded from the caller's ``seed``; their timestamps are offsets
before an ``as_of`` instant the caller passes (the sandbox passes its creation time unless told otherwise),
so the same ``(seed, products, as_of)`` always yields the same records, byte for byte.

The records are plain dicts in LeafLink's field names; the sandbox adds the derived fields (reserved
quantities, totals, available transitions) when it serves them. Order numbers are UUIDs drawn from the
seeded stream.

Some people and retailers match the Flourish sandbox's wholesale tables on purpose (cannasync issue 6):
the staff of company 1 and 2 are Flourish sales reps (same names and e-mail addresses), and four customers
are the Flourish destinations (same names and licence numbers), so a bridge can link them; the others are
new to Flourish.

Well-known records (the same for every seed)
--------------------------------------------
* Companies 1 "Great Lakes Growers" (facility 7001) and 2 "Lakeshore Botanicals" (facility 7002); keys
  in ``gateway.py``; webhook key ``ll-demo-webhook-key`` for both unless configured.
* Staff 101 Dana Whitfield, 102 Marcus Bell, 103 Tomasz Kowalczyk (company 1); 201 Alicia Moreno, 202
  Priya Raman, 203 Noah Fischer (company 2). All but Noah Fischer have the e-mail of a Flourish sandbox
  sales rep.
* Customers 1001-1009 (company 1) and 2001-2005 (company 2); 1001-1004 and 2001-2002 are the Flourish
  destinations (same names and licence numbers), the others are new to Flourish; 1006's display name is
  its nickname "Motor City Remedies - Midtown". 1008, 1009, 2004 and 2005 have no orders yet.
* Products ``10001`` (Glacier Lake Blue Dream 3.5g, ``GLK-FLW-W001``, quantity 480) and ``10002``
  (North Coast Sour Diesel 1g Cartridge, ``NCO-VAP-W002``, ``external_ids`` ``{"erp": "NC-4471"}``) of
  company 1, ``20001`` and ``20002`` of company 2; then seeded products ``<company>0003`` upwards
  (``products`` per company), the first five of them in the five other listing states. Products created
  through the API get ids from 90001.
* Seeded orders: nine for company 1 (Complete, Shipped, Fulfilled, Cancelled, Accepted, Backorder,
  Accepted, Submitted, Submitted, oldest first) and five for company 2 (Complete, Rejected, Accepted,
  Draft, Submitted), with 1-4 lines each (see ``SEED_STATUSES``). Of company 1's, the 2nd (Shipped) has
  ``external_id_seller`` ``INV-1092``, the 5th (Accepted) no payment option, the 7th (Accepted) the unsupported
  "LeafLink Financial" term; the 3rd order of each company has no sales rep.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]

#: The six listing states, in the order ``GET /listing-states/`` serves them (ids 1..6).
LISTING_STATES: tuple[str, ...] = ("Available", "Backorder", "Internal", "Unavailable", "Sample", "Archived")

UNITS_OF_MEASURE = ("Milligram", "Gram", "Kilogram", "Ounce", "Pound", "Unit", "Liter", "Milliliter")
STRAIN_CLASSIFICATIONS: Mapping[str, str] = {
    "sativa": "Sativa",
    "indica": "Indica",
    "hybrid": "Hybrid",
    "na": "N/A",
    "11-cbd": "1:1 CBD",
    "high-cbd": "High CBD",
    "sativa-hybrid": "Sativa Hybrid",
    "indica-hybrid": "Indica Hybrid",
}

#: Seller companies: (id, name, slug, LeafLink facility id).
COMPANIES: tuple[tuple[int, str, str, int], ...] = (
    (1, "Great Lakes Growers", "great-lakes-growers", 7001),
    (2, "Lakeshore Botanicals", "lakeshore-botanicals", 7002),
)

#: Brands: (id, company id, name, SKU code).
BRANDS: tuple[tuple[int, int, str, str], ...] = (
    (11, 1, "Glacier Lake", "GLK"),
    (12, 1, "North Coast", "NCO"),
    (21, 2, "Lakeshore Botanicals", "LKB"),
)

#: Company staff (sales reps): (id, company id, first, last, e-mail). Ids 101-103 and 201-202 are the
#: Flourish sandbox's sales reps 801, 802, 804, 805 and 803 (same people); 203 is known to LeafLink only.
STAFF: tuple[tuple[int, int, str, str, str], ...] = (
    (101, 1, "Dana", "Whitfield", "dana.whitfield@greatlakesprovisions.example"),
    (102, 1, "Marcus", "Bell", "marcus.bell@greatlakesprovisions.example"),
    (103, 1, "Tomasz", "Kowalczyk", "tomasz.kowalczyk@greatlakesprovisions.example"),
    (201, 2, "Alicia", "Moreno", "alicia.moreno@greatlakesprovisions.example"),
    (202, 2, "Priya", "Raman", "priya.raman@greatlakesprovisions.example"),
    (203, 2, "Noah", "Fischer", "noah.fischer@lakeshorebotanicals.example"),
)

#: Buyer companies (dispensaries on LeafLink): (partner id, name, nickname, licence, address, city, zipcode,
#: e-mail, phone). The first four are the Flourish sandbox's destinations 4001-4004.
BUYERS: tuple[tuple[int, str, str, str, str, str, str, str, str], ...] = (
    (
        5001,
        "Mitten Cannabis Co. - Detroit",
        "",
        "AU-R-001204",
        "4410 Woodward Ave",
        "Detroit",
        "48201",
        "buyer@mittencannabis.example",
        "3135550144",
    ),
    (
        5002,
        "Harbor Light Dispensary",
        "",
        "AU-R-000932",
        "118 E Front St",
        "Traverse City",
        "49684",
        "orders@harborlight.example",
        "2315550187",
    ),
    (
        5003,
        "Upper Peninsula Wellness",
        "",
        "AU-R-001577",
        "301 W Washington St",
        "Marquette",
        "49855",
        "purchasing@upwellness.example",
        "9065550121",
    ),
    (
        5004,
        "Kalamazoo Green Market",
        "",
        "AU-R-000645",
        "520 S Burdick St",
        "Kalamazoo",
        "49007",
        "wholesale@kzoogreen.example",
        "2695550163",
    ),
    (
        5005,
        "Good Vibrations Dispensary",
        "",
        "AU-R-002210",
        "17034 Highway 10",
        "Flint",
        "48502",
        "buying@goodvibes.example",
        "8105550110",
    ),
    (
        5006,
        "Motor City Remedies LLC",
        "Motor City Remedies - Midtown",
        "AU-R-002318",
        "3901 Cass Ave",
        "Detroit",
        "48201",
        "orders@motorcityremedies.example",
        "3135550177",
    ),
    (
        5007,
        "Sleeping Bear Provisions",
        "",
        "AU-R-002402",
        "9 N Main St",
        "Empire",
        "49630",
        "hello@sleepingbear.example",
        "2315550199",
    ),
    (
        5008,
        "Lansing Leaf Collective",
        "",
        "AU-R-002517",
        "600 E Michigan Ave",
        "Lansing",
        "48912",
        "wholesale@lansingleaf.example",
        "5175550123",
    ),
    (
        5009,
        "Grand River Greenery",
        "",
        "AU-R-002644",
        "45 Monroe Center St NW",
        "Grand Rapids",
        "49503",
        "buyer@grandrivergreenery.example",
        "6165550145",
    ),
    (
        5010,
        "Copper Country Cannabis",
        "",
        "AU-R-002771",
        "220 Shelden Ave",
        "Houghton",
        "49931",
        "orders@coppercountry.example",
        "9065550166",
    ),
)

#: Customer records per seller: (customer id, company id, partner id). A customer record is the seller's
#: CRM entry for a buyer; the same dispensary has one record per seller that sells to it.
CUSTOMERS: tuple[tuple[int, int, int], ...] = (
    (1001, 1, 5001),
    (1002, 1, 5002),
    (1003, 1, 5003),
    (1004, 1, 5004),
    (1005, 1, 5005),
    (1006, 1, 5006),
    (1007, 1, 5007),
    (1008, 1, 5008),
    (1009, 1, 5009),
    (2001, 2, 5001),
    (2002, 2, 5002),
    (2003, 2, 5005),
    (2004, 2, 5009),
    (2005, 2, 5010),
)
#: Customers that have no seeded order (new to the seller, and to Flourish when not a destination).
CUSTOMERS_WITHOUT_ORDERS: frozenset[int] = frozenset({1008, 1009, 2004, 2005})

#: Payment methods: id → name.
PAYMENT_METHODS: dict[int, str] = {1: "Cash", 2: "Check", 3: "Wire Transfer", 4: "ACH"}


@dataclass(frozen=True)
class PaymentTerm:
    """A LeafLink payment term: ``{"id", "term", "days", "code"}`` plus the method offered with it."""

    id: int
    term: str
    days: int | None
    code: str
    method_id: int
    #: False for terms internal to LeafLink that the Flourish integration does not support.
    supported: bool = True

    def record(self) -> JSON:
        return {"id": self.id, "term": self.term, "days": self.days, "code": self.code}


#: The payment terms every seller offers, in the order ``available_payment_options`` lists them. Ids and
#: codes follow the deprecated ``payment_term`` legacy table of the OpenAPI file (1-21); "LeafLink
#: Financial" (``llf``) is the one the Flourish integration does not support.
PAYMENT_TERMS: tuple[PaymentTerm, ...] = (
    PaymentTerm(20, "COD", None, "cod", 1),
    PaymentTerm(12, "Consignment", None, "consign", 2),
    PaymentTerm(8, "Net 3", 3, "net3", 4),
    PaymentTerm(2, "Net 7", 7, "net7", 4),
    PaymentTerm(5, "Net 10", 10, "net10", 4),
    PaymentTerm(9, "Net 14", 14, "net14", 4),
    PaymentTerm(3, "Net 15", 15, "net15", 4),
    PaymentTerm(6, "Net 20", 20, "net20", 4),
    PaymentTerm(4, "Net 30", 30, "net30", 4),
    PaymentTerm(7, "Net 60", 60, "net60", 4),
    PaymentTerm(14, "Net 90", 90, "net90", 4),
    PaymentTerm(10, "Pre-Payment", None, "prepay", 3),
    PaymentTerm(21, "LeafLink Financial", 30, "llf", 4, supported=False),
)
TERMS_BY_CODE: dict[str, PaymentTerm] = {term.code: term for term in PAYMENT_TERMS}

#: Product categories: name → (category id, sub-category id, SKU code, unit of measure, strain-bearing).
CATEGORIES: dict[str, tuple[int, int, str, str, bool]] = {
    "Flower": (1, 101, "FLW", "Unit", True),
    "Pre-Rolls": (2, 201, "PRE", "Unit", True),
    "Vapes": (3, 301, "VAP", "Unit", True),
    "Concentrates": (4, 401, "CON", "Unit", True),
    "Edibles": (5, 501, "EDI", "Unit", False),
    "Tinctures": (6, 601, "TIN", "Milliliter", False),
}
#: What each brand makes.
BRAND_CATEGORIES: dict[int, tuple[str, ...]] = {
    11: ("Flower", "Pre-Rolls", "Edibles"),
    12: ("Vapes", "Concentrates", "Tinctures"),
    21: ("Flower", "Vapes", "Tinctures"),
}
STRAINS: tuple[tuple[str, str], ...] = (
    ("Blue Dream", "hybrid"),
    ("Northern Lights", "indica"),
    ("Sour Diesel", "sativa"),
    ("Gelato", "hybrid"),
    ("Granddaddy Purple", "indica"),
    ("Jack Herer", "sativa"),
    ("Wedding Cake", "indica-hybrid"),
    ("Durban Poison", "sativa"),
    ("Lemon Haze", "sativa-hybrid"),
    ("Harlequin", "high-cbd"),
)
FLAVOURS: tuple[str, ...] = ("Black Cherry", "Wild Blueberry", "Lemon Ginger", "Dark Chocolate", "Peach Mango")
#: Form and size per category: (suffix, unit multiplier, wholesale price range in dollars).
FORMS: dict[str, tuple[tuple[str, int, tuple[int, int]], ...]] = {
    "Flower": (("3.5g", 12, (18, 30)), ("7g", 6, (32, 50)), ("14g", 4, (60, 90))),
    "Pre-Rolls": (("1g Pre-Roll", 24, (5, 9)), ("5pk Pre-Rolls", 12, (18, 28))),
    "Vapes": (("0.5g Cartridge", 12, (14, 22)), ("1g Cartridge", 12, (24, 36))),
    "Concentrates": (("1g Live Resin", 10, (22, 34)), ("1g Shatter", 10, (16, 26))),
    "Edibles": (("Gummies 100mg", 20, (8, 14)), ("Chocolate Bar 100mg", 12, (9, 15))),
    "Tinctures": (("Tincture 30ml", 6, (20, 32)), ("Tincture 15ml", 12, (12, 20))),
}

#: The first two products of each company are fixed (seed-independent): (id, brand id, category, name,
#: sku, quantity, wholesale dollars, external_ids).
WELL_KNOWN_PRODUCTS: tuple[tuple[int, int, str, str, str, int, int, JSON], ...] = (
    (10001, 11, "Flower", "Glacier Lake Blue Dream 3.5g", "GLK-FLW-W001", 480, 24, {}),
    (10002, 12, "Vapes", "North Coast Sour Diesel 1g Cartridge", "NCO-VAP-W002", 360, 30, {"erp": "NC-4471"}),
    (20001, 21, "Flower", "Lakeshore Botanicals Gelato 3.5g", "LKB-FLW-W001", 300, 26, {}),
    (20002, 21, "Tinctures", "Lakeshore Botanicals Harlequin Tincture 30ml", "LKB-TIN-W002", 120, 28, {}),
)

#: Seeded orders per company: status, in creation order (newest last).
SEED_STATUSES: dict[int, tuple[str, ...]] = {
    1: ("Complete", "Shipped", "Fulfilled", "Cancelled", "Accepted", "Backorder", "Accepted", "Submitted", "Submitted"),
    2: ("Complete", "Rejected", "Accepted", "Draft", "Submitted"),
}


@dataclass
class SeedLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal


@dataclass
class SeedOrder:
    """What the sandbox needs to build a seeded order (it computes everything derived)."""

    number: str
    company_id: int
    customer_id: int
    status: str
    lines: list[SeedLine]
    sales_rep_ids: list[int]
    payment_term_code: str | None
    external_id_seller: str | None
    created_on: datetime
    modified: datetime
    notes: str = ""


@dataclass
class Catalogue:
    products: list[JSON] = field(default_factory=list)
    orders: list[SeedOrder] = field(default_factory=list)


def money(amount: Decimal | int | str, currency: str = "USD") -> JSON:
    """A money object: ``{"amount": "12.50", "currency": "USD"}`` (amount a decimal string)."""
    return {"amount": str(Decimal(amount).quantize(Decimal("0.01"))), "currency": currency}


def quantity_text(value: Decimal | int) -> str:
    """Quantities as LeafLink writes them: a decimal string with four places (``"800.0000"``)."""
    return str(Decimal(value).quantize(Decimal("0.0001")))


def order_number(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic for a seeded stream)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _product(
    *,
    product_id: int,
    company_id: int,
    brand_id: int,
    category: str,
    name: str,
    sku: str,
    quantity: int,
    wholesale: Decimal,
    unit_multiplier: int,
    strain: str,
    listing_state: str,
    description: str,
    external_ids: JSON,
    thc: str | None,
    created_on: datetime,
) -> JSON:
    category_id, sub_category_id, _, unit, _ = CATEGORIES[category]
    retail = (wholesale * 2).quantize(Decimal("1"))
    data_items: list[JSON] = []
    if thc is not None:
        data_items.append(
            {"spec_type": "thc", "dosage_unit": "mg" if category == "Edibles" else "%", "decimal_value": thc}
        )
    return {
        "id": product_id,
        "company_id": company_id,
        "created_on": created_on,
        "last_edit": created_on,
        "modified": created_on,
        "name": name,
        "sku": sku,
        "description": description,
        "quantity": Decimal(quantity),
        "unit_multiplier": unit_multiplier,
        "retail_price": money(retail),
        "wholesale_price": money(wholesale),
        "sale_price": money(0),
        "minimum_order": quantity_text(1),
        "maximum_order": None,
        "is_medical_line_item": False,
        "AVAILABLE_FOR_SAMPLES": listing_state == "Sample",
        "featured": False,
        "tagline": None,
        "allow_fractional_quantities": False,
        "listing_state": listing_state,
        "inventory_management": "1",
        "unit_of_measure": unit,
        "category": category_id,
        "sub_category": sub_category_id,
        "brand": brand_id,
        "product_line": brand_id * 10 + category_id,
        "strain_classification": strain,
        "external_ids": dict(external_ids),
        "show_quantity": True,
        "product_data_items": data_items,
    }


def _description(name: str, category: str, strain: str) -> str:
    kind = {"na": "", "high-cbd": "high-CBD "}.get(strain, f"{strain.replace('-', ' ')} ")
    return f"<p>{name}: {kind}{category.lower()} made in small batches in Michigan.</p>"


def generate_catalogue(seed: int, products: int, as_of: datetime) -> Catalogue:
    """Products (``products`` per seller company, at least the two well-known ones) and seeded orders."""
    rng = random.Random(f"leaflink-products-{seed}")
    catalogue = Catalogue()
    per_company = max(products, 2)
    for company_id, _, _, _ in COMPANIES:
        fixed = [row for row in WELL_KNOWN_PRODUCTS if row[0] // 10000 == company_id]
        brands = [brand for brand in BRANDS if brand[1] == company_id]
        for index in range(per_company):
            created = as_of - timedelta(days=120 - index * 0.5, minutes=rng.randint(0, 600))
            if index < len(fixed):
                product_id, brand_id, category, name, sku, quantity, dollars, known_ids = fixed[index]
                strain = "na" if not CATEGORIES[category][4] else ("hybrid" if "Blue" in name else "sativa")
                if "Harlequin" in name:
                    strain = "high-cbd"
                catalogue.products.append(
                    _product(
                        product_id=product_id,
                        company_id=company_id,
                        brand_id=brand_id,
                        category=category,
                        name=name,
                        sku=sku,
                        quantity=quantity,
                        wholesale=Decimal(dollars),
                        unit_multiplier=12,
                        strain=strain,
                        listing_state="Available",
                        description=_description(name, category, strain),
                        external_ids=known_ids,
                        thc="21.4" if category == "Flower" else None,
                        created_on=created,
                    )
                )
                continue
            brand_id, _, brand_name, code = brands[index % len(brands)]
            category = rng.choice(BRAND_CATEGORIES[brand_id])
            suffix, multiplier, (low, high) = rng.choice(FORMS[category])
            if CATEGORIES[category][4]:
                strain_name, strain = rng.choice(STRAINS)
            else:
                strain_name, strain = rng.choice(FLAVOURS), "na"
            name = f"{brand_name} {strain_name} {suffix}"
            # Every listing state shows up early in each company's list; most products are Available.
            state_index = index - len(fixed)
            if state_index < len(LISTING_STATES) - 1:
                listing_state = LISTING_STATES[state_index + 1]
            else:
                listing_state = "Available" if rng.random() < 0.8 else rng.choice(LISTING_STATES)
            external: JSON = {}
            if rng.random() < 0.2:
                external = {"erp": f"{code}-{rng.randint(1000, 9999)}"}
            quantity = 0 if rng.random() < 0.08 else rng.randint(5, 60) * 10
            thc = None
            if category in ("Flower", "Pre-Rolls", "Vapes", "Concentrates"):
                thc = f"{rng.uniform(14, 88 if category in ('Vapes', 'Concentrates') else 30):.1f}"
            elif category == "Edibles":
                thc = "100.0"
            catalogue.products.append(
                _product(
                    product_id=company_id * 10000 + index + 1,
                    company_id=company_id,
                    brand_id=brand_id,
                    category=category,
                    name=name,
                    sku=f"{code}-{CATEGORIES[category][2]}-W{index + 1:03d}",
                    quantity=quantity,
                    wholesale=Decimal(rng.randint(low * 4, high * 4)) / 4,
                    unit_multiplier=multiplier,
                    strain=strain,
                    listing_state=listing_state,
                    description=_description(name, category, strain),
                    external_ids=external,
                    thc=thc,
                    created_on=created,
                )
            )
    catalogue.orders = _seed_orders(seed, catalogue.products, as_of)
    return catalogue


def _seed_orders(seed: int, products: Sequence[JSON], as_of: datetime) -> list[SeedOrder]:
    rng = random.Random(f"leaflink-orders-{seed}")
    supported = [term.code for term in PAYMENT_TERMS if term.supported]
    orders: list[SeedOrder] = []
    for company_id, _, _, _ in COMPANIES:
        orderable = [
            p
            for p in products
            if p["company_id"] == company_id
            and p["listing_state"] in ("Available", "Backorder")
            and p["quantity"] >= 50
        ]
        customers = [c for c, owner, _ in CUSTOMERS if owner == company_id and c not in CUSTOMERS_WITHOUT_ORDERS]
        reps = [s[0] for s in STAFF if s[1] == company_id]
        statuses = SEED_STATUSES[company_id]
        for index, status in enumerate(statuses):
            count = min(len(orderable), rng.randint(1, 4))
            chosen = rng.sample(orderable, count)
            lines = [
                SeedLine(
                    product_id=p["id"],
                    quantity=Decimal(rng.randint(1, 4) * p["unit_multiplier"]),
                    unit_price=Decimal(p["wholesale_price"]["amount"]),
                )
                for p in chosen
            ]
            term: str | None = supported[(index * 5 + company_id) % len(supported)]
            if company_id == 1 and index == 6:
                term = "llf"  # an unsupported term, to be reported and left alone
            elif company_id == 1 and index == 4:
                term = None  # no payment option chosen yet
            created = as_of - timedelta(days=(len(statuses) - index) * 3, minutes=rng.randint(0, 300))
            modified = created + timedelta(minutes=rng.randint(5, 120) if status not in ("Draft", "Submitted") else 0)
            orders.append(
                SeedOrder(
                    number=order_number(rng),
                    company_id=company_id,
                    customer_id=customers[index % len(customers)],
                    status=status,
                    lines=lines,
                    sales_rep_ids=[] if index == 2 else [reps[index % len(reps)]],
                    payment_term_code=term,
                    external_id_seller="INV-1092" if company_id == 1 and index == 1 else None,
                    created_on=created,
                    modified=modified,
                    notes="Please include samples" if index % 4 == 3 else "",
                )
            )
    return orders
