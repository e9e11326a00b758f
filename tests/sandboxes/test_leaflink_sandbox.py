"""The LeafLink sandbox, exercised as a client would: over real HTTP against uvicorn on loopback.

Every 2xx body the sandbox serves on a vendor route is validated against LeafLink's OpenAPI file
(``shared/reference/leaflink-marketplace-v2.openapi.yml``) with openapi-core. The file cannot be used
as it is: it fails openapi-spec-validator, and in places contradicts its own examples. ``load_spec`` applies
the repairs listed in ``REPAIRS``, ``CONTRADICTIONS`` and ``ADDITIONS`` (each one first asserts that the
problem is still there, so a new version of the file makes this test say so instead of silently passing),
then ``TIGHTENING`` makes the check stricter than the file (closed objects, every property required), so a
field the sandbox forgets or misspells fails too. ``test_the_vendor_file_is_broken_exactly_where_documented``
pins the list.

The sandbox is served by the shared slot server of ``tests/sandboxes/conftest.py``; a second one stands for the
hub receiving webhooks.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import OpenAPIV30SpecValidator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.sandboxes.conftest import SlotServer
from werkzeug.datastructures import Headers, ImmutableMultiDict

from cannasync.sandboxes.leaflink import LeafLinkSandbox, create_app, sign

API = "/api/v2"
KEY_1, KEY_2 = "ll-key-company-1", "ll-key-company-2"
# A copy of shared/reference/leaflink-marketplace-v2.openapi.yml kept in the repository, so a clone tests alone.
SPEC_FILE = Path(__file__).resolve().parent / "vendor_specs" / "leaflink-marketplace-v2.openapi.yml"
AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}-06:00$")


# --------------------------------------------------------------------------------------------------
# The OpenAPI file, repaired where it is broken


def _at(spec: dict[str, Any], *path: str) -> Any:
    node: Any = spec
    for part in path:
        node = node[part]
    return node


def _repair_operation_id_typo(spec: dict[str, Any]) -> None:
    """``/batch-documents/`` GET and POST spell ``operationID`` (not a field of an Operation Object)."""
    for method in ("get", "post"):
        operation = _at(spec, "paths", "/batch-documents/", method)
        assert "operationID" in operation
        operation["operationId"] = operation.pop("operationID")


def _repair_objet(spec: dict[str, Any]) -> None:
    """``BuyerOrderResponse.line_items[].product.brand`` has ``type: objet``."""
    brand = _at(spec, "components", "schemas", "BuyerOrderResponse", "properties", "line_items", "items")
    brand = brand["properties"]["product"]["properties"]["brand"]
    assert brand["type"] == "objet"
    brand["type"] = "object"


_BOGUS_PARAMETERS = (
    "PaymentTerm",
    "PaymentMethods",
    "PaymentMethod",
    "AvailablePaymentOptionsCustomer",
    "AvailablePaymentOptions",
    "SelectedPaymentOption",
)


def _repair_parameters_used_as_schemas(spec: dict[str, Any]) -> None:
    """Six ``components/parameters`` entries are not Parameter Objects (no ``in``; ``PaymentMethod`` even
    spells ``tile`` and ``Description``) and are ``$ref``'d from schemas (CustomerCreate, CustomerUpdate,
    Order, BuyerOrderResponse) as if they were schemas; two of them also use ``type: bool``. Each reference
    is replaced by the parameter's ``schema`` and the entries are removed. (None of the responses the
    sandbox serves uses them.)"""
    parameters = spec["components"]["parameters"]
    for name in _BOGUS_PARAMETERS:
        assert "in" not in parameters[name], name

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/parameters/") and ref.rsplit("/", 1)[1] in _BOGUS_PARAMETERS:
                return fix(copy.deepcopy(parameters[ref.rsplit("/", 1)[1]]["schema"]))
            if node.get("type") == "bool":
                node = {**node, "type": "boolean"}
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(value) for value in node]
        return node

    spec["components"]["schemas"] = fix(spec["components"]["schemas"])
    for name in _BOGUS_PARAMETERS:
        del parameters[name]


def _repair_strains_path_parameter(spec: dict[str, Any]) -> None:
    """``GET /strains/{id}/`` does not declare its ``id`` path parameter."""
    operation = _at(spec, "paths", "/strains/{id}/", "get")
    assert not any(p.get("name") == "id" for p in operation.get("parameters", []))
    operation.setdefault("parameters", []).append(
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    )


#: A payment option as LeafLink's example shows it (``selected_payment_option`` and each
#: ``available_payment_options`` entry).
PAYMENT_OPTION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "is_default": {"type": "boolean"},
        "payment_program": {"type": "string", "nullable": True},
        "payment_strategy": {"type": "string", "nullable": True},
        "payment_method": {
            "type": "object",
            "required": ["id", "method"],
            "properties": {"id": {"type": "integer"}, "method": {"type": "string"}},
        },
        "payment_term": {
            "type": "object",
            "required": ["id", "term", "days", "code"],
            "properties": {
                "id": {"type": "integer"},
                "term": {"type": "string"},
                "days": {"type": "integer", "nullable": True},
                "code": {"type": "string"},
            },
        },
    },
}


def _repair_selected_payment_option(spec: dict[str, Any]) -> None:
    """``OrderResponse.selected_payment_option`` holds an example object where a schema belongs (so it
    constrains nothing, and the spec validator rejects it): replaced by a schema of that example, nullable
    (an order may have no option chosen)."""
    prop = _at(spec, "components", "schemas", "OrderResponse", "properties", "selected_payment_option")
    assert "type" not in prop and prop["id"] == 1732313
    _at(spec, "components", "schemas", "OrderResponse", "properties")["selected_payment_option"] = {
        **copy.deepcopy(PAYMENT_OPTION),
        "nullable": True,
    }


#: Structural repairs: without them openapi-spec-validator rejects the file and openapi-core cannot load it.
REPAIRS: tuple[Callable[[dict[str, Any]], None], ...] = (
    _repair_operation_id_typo,
    _repair_objet,
    _repair_parameters_used_as_schemas,
    _repair_strains_path_parameter,
    _repair_selected_payment_option,
)

_PRODUCT_SCHEMAS = ("ProductResponse", "ProductUpdateResponse")
#: Fields the schemas declare non-nullable but LeafLink's own examples show as null (the sandbox serves null).
NULL_IN_EXAMPLES: dict[str, tuple[str, ...]] = {
    "OrderResponse": ("delivery_info",),
    **{
        name: (
            "drop_date",
            "dropped",
            "maximum_order",
            "tagline",
            "extern_acct_id",
            "parent",
            "grow_type",
            "extern_sts_ids",
            "base_units_per_unit",
        )
        for name in _PRODUCT_SCHEMAS
    },
}


def _contradiction_available_transitions(spec: dict[str, Any]) -> None:
    """``available_transitions`` is typed ``string``; the example (``["fulfilled", "rejected"]``) and the
    docs ("lists the allowed next states") say a list of strings: the sandbox serves a list."""
    prop = _at(spec, "components", "schemas", "OrderResponse", "properties", "available_transitions")
    assert prop["type"] == "string"
    prop.update({"type": "array", "items": {"type": "string"}})


def _contradiction_is_combination(spec: dict[str, Any]) -> None:
    """``is_combination`` is typed ``string``; the example has ``false``: the sandbox serves a boolean."""
    prop = _at(spec, "components", "schemas", "OrderResponse", "properties", "is_combination")
    assert prop["type"] == "string"
    prop["type"] = "boolean"


def _contradiction_nulls(spec: dict[str, Any]) -> None:
    """See ``NULL_IN_EXAMPLES``: ``nullable: true`` is added to exactly those fields."""
    for schema, names in NULL_IN_EXAMPLES.items():
        for name in names:
            prop = _at(spec, "components", "schemas", schema, "properties", name)
            assert not prop.get("nullable"), (schema, name)
            if "$ref" in prop:  # inlined: OAS 3.0 ignores siblings of $ref, and allOf would refuse null
                inline = copy.deepcopy(_at(spec, *prop["$ref"].removeprefix("#/").split("/")))
                _at(spec, "components", "schemas", schema, "properties")[name] = {**inline, "nullable": True}
            else:
                prop["nullable"] = True


def _contradiction_status_filter(spec: dict[str, Any]) -> None:
    """The ``status`` and ``status__not`` filters of ``GET /orders-received/`` say "Multiple statuses can be
    submitted as comma-separated list. Case Insensitive." but their schema is an enum of single lower-case
    values, which refuses ``accepted,submitted`` and ``Accepted``: the enum becomes a case-insensitive
    pattern of a comma list of those values."""
    for parameter in _at(spec, "paths", "/orders-received/", "get", "parameters"):
        if parameter["name"] in ("status", "status__not"):
            values = parameter["schema"].pop("enum")
            assert "draft" in values and "Multiple statuses" in parameter["description"]
            one = "(" + "|".join(values) + ")"
            parameter["schema"]["pattern"] = f"(?i)^{one}(,{one})*$"


def _contradiction_buyer_page_links(spec: dict[str, Any]) -> None:
    """``GET /buyer/orders/`` types the page's ``next`` and ``previous`` as non-nullable strings, while its own
    example has ``"next": null, "previous": null`` (as every other list, DRF's pagination): they become
    nullable."""
    schema = _at(spec, "paths", "/buyer/orders/", "get", "responses", "200", "content", "application/json", "schema")
    assert schema["example"]["next"] is None and schema["example"]["previous"] is None
    for name in ("next", "previous"):
        assert not schema["properties"][name].get("nullable")
        schema["properties"][name]["nullable"] = True


#: Where the file contradicts itself (its examples or its own descriptions) and the sandbox follows the
#: example or the description.
CONTRADICTIONS: tuple[Callable[[dict[str, Any]], None], ...] = (
    _contradiction_buyer_page_links,
    _contradiction_status_filter,
    _contradiction_available_transitions,
    _contradiction_is_combination,
    _contradiction_nulls,
)


def _addition_order_fields(spec: dict[str, Any]) -> None:
    """``OrderResponse`` lacks ``available_payment_options`` (in LeafLink's example) and ``line_items``
    (added by ``include_children=line_items``); both are declared, so they are checked, not let through."""
    properties = _at(spec, "components", "schemas", "OrderResponse", "properties")
    assert "available_payment_options" not in properties and "line_items" not in properties
    properties["available_payment_options"] = {"type": "array", "items": copy.deepcopy(PAYMENT_OPTION)}
    properties["line_items"] = {"type": "array", "items": {"$ref": "#/components/schemas/LineItemResponse"}}


ADDITIONS: tuple[Callable[[dict[str, Any]], None], ...] = (_addition_order_fields,)

#: Schemas closed (``additionalProperties: false``) and with every property required, for the check.
SERVED_SCHEMAS = (
    "OrderResponse",
    "LineItemResponse",
    "ProductResponse",
    "ProductUpdateResponse",
    "CustomerResponse",
    "BrandResponse",
    "CompanyStaffResponse",
    "LightCompanyCustomer",
    "LightCompanyStaff",
    "UnitDenomination",
    "ComplianceLicense",
    "Address",
)
#: Optional even under tightening: only present with ``include_children=line_items``.
OPTIONAL = {("OrderResponse", "line_items")}


def _close(schema: dict[str, Any], optional: frozenset[str] = frozenset(), *, top: bool = True) -> None:
    """Closed objects; every property required at the top, and in nested objects that declare no
    ``required`` of their own (``product_data_items`` entries keep theirs: only ``spec_type``)."""
    if schema.get("type") == "object" and "properties" in schema:
        schema["additionalProperties"] = False
        if top or "required" not in schema:
            schema["required"] = [name for name in schema["properties"] if name not in optional]
        for prop in schema["properties"].values():
            _close(prop, top=False)
    elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _close(schema["items"], top=False)


def _tighten(spec: dict[str, Any]) -> None:
    """Test-only: the served schemas and every paged envelope are closed and fully required; a customer's
    ``available_payment_options`` (an array whose ``properties`` apply to nothing and whose ``items`` is
    ``{}`` in the file, so it constrains nothing) is checked as a list of payment options."""
    schemas = spec["components"]["schemas"]
    options = schemas["CustomerResponse"]["properties"]["available_payment_options"]
    assert options["type"] == "array" and options["items"] == {} and "properties" in options
    schemas["CustomerResponse"]["properties"]["available_payment_options"] = {
        "type": "array",
        "items": copy.deepcopy(PAYMENT_OPTION),
    }
    for name in SERVED_SCHEMAS:
        _close(schemas[name], frozenset(prop for schema, prop in OPTIONAL if schema == name))
    for path in spec["paths"].values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for answer in operation["responses"].values():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if set(schema.get("properties", {})) == {"count", "next", "previous", "results"}:
                    schema["additionalProperties"] = False
                    schema["required"] = ["count", "next", "previous", "results"]


TIGHTENING: tuple[Callable[[dict[str, Any]], None], ...] = (_tighten,)


def raw_spec() -> dict[str, Any]:
    if not SPEC_FILE.exists():
        pytest.fail(f"LeafLink's OpenAPI file is missing: {SPEC_FILE}")
    # libyaml's loader when the build has it: the pure-Python one takes seconds on this 12,000-line file.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC_FILE.read_text(), Loader=loader)  # type: ignore[no-any-return]


def load_spec(*, tighten: bool = True) -> dict[str, Any]:
    spec = raw_spec()
    for step in (*REPAIRS, *CONTRADICTIONS, *ADDITIONS, *(TIGHTENING if tighten else ())):
        step(spec)
    return spec


@dataclass
class SpecRequest:
    """openapi-core's ``Request`` protocol for a call the sandbox answered, moved onto LeafLink's host."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str = "application/json"
    host_url: str = "https://app.leaflink.com"


@dataclass
class SpecResponse:
    """openapi-core's ``Response`` protocol."""

    status_code: int
    data: bytes
    headers: Headers
    content_type: str


class Validator:
    """Validates sandbox answers (and the bodies we send) against the repaired OpenAPI file."""

    def __init__(self) -> None:
        self.api = OpenAPI.from_dict(load_spec())
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, response: httpx2.Response) -> Any:
        assert 200 <= response.status_code < 300, (response.status_code, response.text)
        sent = response.request
        method = sent.method.lower()
        request = SpecRequest(
            method=method,
            path=sent.url.path,
            parameters=RequestParameters(
                query=ImmutableMultiDict(list(sent.url.params.multi_items())),
                header=Headers(dict(sent.headers)),
            ),
            body=sent.content or None,
        )
        answer = SpecResponse(
            status_code=response.status_code,
            data=response.content,
            headers=Headers(dict(response.headers)),
            content_type=response.headers.get("content-type", "application/json"),
        )
        for check, args in ((self.api.validate_request, (request,)), (self.api.validate_response, (request, answer))):
            if check is self.api.validate_request and not (method in ("post", "patch") and sent.content):
                continue
            try:
                check(*args)
            except Exception as error:
                problems = getattr(error.__cause__, "schema_errors", None) or [error]
                listed = "; ".join(
                    f"{list(getattr(p, 'absolute_path', []))}: {getattr(p, 'message', str(p))[:160]}"
                    for p in problems[:12]
                )
                side = "request" if check is self.api.validate_request else "response"
                raise AssertionError(f"{method.upper()} {sent.url.path} {side} not valid: {listed}") from None
        self.seen.add((method.upper(), template(sent.url.path)))
        return response.json() if response.content else None


#: A product create with ProductCreate's required fields, as the file lists them (the contract suite sends it too).
PRODUCT_CREATE = {
    "name": "Glacier Lake Jack Herer 7g",
    "description": "<p>Sativa flower.</p>",
    "sku": "GLK-FLW-10031",
    "quantity": "96",
    "retail_price": {"amount": "70.00", "currency": "USD"},
    "wholesale_price": {"amount": "35.00", "currency": "USD"},
    "sale_price": {"amount": "0.00", "currency": "USD"},
    "minimum_order": "1",
    "maximum_order": "500",
    "listing_state": "Available",
    "inventory_management": "1",
    "unit_of_measure": "Unit",
    "unit_denomination": 1,
    "category": 1,
    "sub_category": 101,
    "seller": 1,
    "brand": 11,
    "manufacturer": 1,
    "strain_classification": "sativa",
    "license": 2601,
    "external_ids": {"cannasync": "10031"},
}


def template(path: str) -> str:
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}/", "/{number}/", path)
    path = re.sub(r"/transition/[^/]+/", "/transition/{action}/", path)
    return re.sub(r"/\d+/", "/{id}/", path)


@pytest.fixture(scope="module")
def validate() -> Validator:
    return Validator()


# --------------------------------------------------------------------------------------------------
# Servers


@dataclass
class Receiver:
    """The hub's side of webhooks: records every POST to ``/hooks/{name}`` with its raw body and headers."""

    url: str = ""
    status: int = 200
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.posts.append((request.path_params["name"], await request.body(), dict(request.headers)))
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])


@pytest.fixture(scope="module")
def receiver_server(slot_servers: Callable[[], SlotServer]) -> Receiver:
    server = slot_servers()
    receiver = Receiver(url=server.url)
    server.plug(receiver.app())
    return receiver


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.posts.clear()
    receiver_server.status = 200
    return receiver_server


@dataclass
class Running:
    """A running sandbox: its URL, its state, a client per company and an anonymous one."""

    url: str
    sandbox: LeafLinkSandbox
    one: httpx2.Client
    two: httpx2.Client
    anonymous: httpx2.Client

    def control(self, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        return self.anonymous.request(method, f"/_sandbox/{path}", **kwargs)

    def product(self, product_id: int, client: httpx2.Client | None = None) -> dict[str, Any]:
        response = (client or self.one).get(f"{API}/products/{product_id}/")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def order(self, number: str, client: httpx2.Client | None = None) -> dict[str, Any]:
        response = (client or self.one).get(
            f"{API}/orders-received/{number}/", params={"include_children": "line_items"}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def orders(self, client: httpx2.Client | None = None, **params: Any) -> list[dict[str, Any]]:
        response = (client or self.one).get(f"{API}/orders-received/", params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        return response.json()["results"]  # type: ignore[no-any-return]

    def place(self, **body: Any) -> dict[str, Any]:
        body = {"company_id": 1, "customer_id": 1005, "lines": [{"product_id": 10001, "quantity": 12}], **body}
        response = self.control("POST", "orders", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def transition(self, number: str, action: str, client: httpx2.Client | None = None) -> httpx2.Response:
        return (client or self.one).post(f"{API}/orders-received/{number}/transition/{action}/")


@pytest.fixture
def start(slot_server: SlotServer) -> Iterator[Callable[..., Running]]:
    url = slot_server.url
    clients: list[httpx2.Client] = []

    def client(authorization: str | None) -> httpx2.Client:
        headers = {"Authorization": authorization} if authorization else {}
        made = httpx2.Client(base_url=url, headers=headers, timeout=5)
        clients.append(made)
        return made

    def _start(**options: Any) -> Running:
        app = create_app(**options)
        slot_server.plug(app)
        return Running(url, app.state.sandbox, client(f"App {KEY_1}"), client(f"Token {KEY_2}"), client(None))

    yield _start
    for made in clients:
        made.close()
    slot_server.plug(None)


@pytest.fixture
def leaflink(start: Callable[..., Running]) -> Running:
    return start(seed=1, as_of=AS_OF)


def detail(response: httpx2.Response) -> str:
    body = response.json()
    assert set(body) == {"detail"}, body
    return body["detail"]  # type: ignore[no-any-return]


def first(orders: list[dict[str, Any]], status: str) -> dict[str, Any]:
    return next(order for order in orders if order["status"] == status)


# --------------------------------------------------------------------------------------------------
# The OpenAPI file


def test_the_vendor_file_is_broken_exactly_where_documented() -> None:
    spec = raw_spec()
    errors = list(OpenAPIV30SpecValidator(spec).iter_errors())
    # operationID x2, OrderResponse, BuyerOrderResponse, six bogus parameters, the example-as-schema seen from
    # inside, the undeclared strains path parameter and the 'objet' type seen from inside.
    assert len(errors) == 13, [e.message[:120] for e in errors]

    repaired = raw_spec()
    for step in REPAIRS:
        step(repaired)
    assert list(OpenAPIV30SpecValidator(repaired).iter_errors()) == []

    # LeafLink's own examples against the repaired file, before and after the contradictions are resolved:
    # what is left are the schema-typed fields where the example shows another type, and the sandbox follows
    # the schema there (see the sandbox's choice 7).
    from openapi_schema_validator import OAS30Validator

    def example_errors(document: dict[str, Any]) -> set[tuple[str, str]]:
        schemas = document["components"]["schemas"]
        found: set[tuple[str, str]] = set()
        for name in ("OrderResponse", "ProductResponse", "ProductUpdateResponse"):
            validator = OAS30Validator({"components": document["components"], **schemas[name]})
            for error in validator.iter_errors(schemas[name]["example"]):
                found.add((name, ".".join(str(p) for p in error.absolute_path)))
        return found

    before = example_errors(repaired)
    for step in (*CONTRADICTIONS, *ADDITIONS):
        step(repaired)
    after = example_errors(repaired)
    schema_typed = {
        ("OrderResponse", "payment_balance"),
        ("OrderResponse", "shipping_charge.amount"),
        ("OrderResponse", "total.amount"),
        *(
            (name, prop)
            for name in _PRODUCT_SCHEMAS
            for prop in (
                "available_inventory",
                "children_count",
                "has_deals_eligible_children",
                "image_count",
                "inventory_management",
                "price_schedule_price",
                "retail_price.amount",
                "sale_price.amount",
                "wholesale_price.amount",
            )
        ),
    }
    assert after == schema_typed
    resolved = {("OrderResponse", "available_transitions"), ("OrderResponse", "is_combination")}
    resolved |= {(schema, prop) for schema, props in NULL_IN_EXAMPLES.items() for prop in props}
    assert before == after | resolved


def test_every_route_answers_as_the_openapi_file_says(leaflink: Running, validate: Validator) -> None:
    one = leaflink.one
    # Lists with their filters and paging.
    validate(one.get(f"{API}/products/", params={"limit": 100}))
    validate(one.get(f"{API}/products/", params={"limit": 5, "offset": 5, "listing_state": "Available,Backorder"}))
    validate(one.get(f"{API}/orders-received/", params={"limit": 100, "include_children": "line_items"}))
    validate(one.get(f"{API}/orders-received/", params={"status": "accepted,submitted", "limit": 2}))
    validate(one.get(f"{API}/line-items/", params={"limit": 100}))
    validate(one.get(f"{API}/customers/", params={"limit": 100}))
    validate(one.get(f"{API}/brands/"))
    validate(one.get(f"{API}/company-staff/"))
    validate(leaflink.two.get(f"{API}/products/"))
    validate(leaflink.two.get(f"{API}/orders-received/", params={"include_children": "line_items"}))
    validate(leaflink.two.get(f"{API}/customers/"))

    # Single records.
    validate(one.get(f"{API}/products/10001/"))
    validate(one.get(f"{API}/customers/1006/"))
    validate(one.get(f"{API}/brands/11/"))
    validate(one.get(f"{API}/company-staff/101/"))
    orders = leaflink.orders()
    for order in orders:
        validate(one.get(f"{API}/orders-received/{order['number']}/"))
        validate(one.get(f"{API}/orders-received/{order['number']}/", params={"include_children": "line_items"}))
        lines = validate(one.get(f"{API}/orders-received/{order['number']}/line-items/"))
        validate(one.get(f"{API}/line-items/{lines[0]['id']}/"))

    # Writes, with bodies the file accepts (they are validated as requests too).
    created = validate(
        one.post(
            f"{API}/products/",
            json=PRODUCT_CREATE,
        )
    )
    validate(one.patch(f"{API}/products/{created['id']}/", json={"quantity": "80", "description": "<p>New.</p>"}))
    new = validate(
        one.post(
            f"{API}/orders-received/",
            json={
                "seller": 1,
                "customer": {"id": 1002},
                "status": "Draft",
                "external_id_seller": "FL-OUT-77",
                "line_items": [
                    {
                        "product": "10001",
                        "quantity": "24",
                        "ordered_unit_price": {"amount": "24.00", "currency": "USD"},
                        "sale_price": {"amount": "0.00", "currency": "USD"},
                    }
                ],
                "sales_reps": [{"id": 102}],
                "payment_term": "Net 30",
            },
        )
    )
    validate(one.patch(f"{API}/orders-received/{new['number']}/", json={"notes": "Dock 3", "discount": 5}))
    line = validate(
        one.post(
            f"{API}/line-items/",
            json={
                "order": new["number"],
                "product": "10002",
                "quantity": "12",
                "ordered_unit_price": {"amount": "30.00", "currency": "USD"},
                "sale_price": {"amount": "28.00", "currency": "USD"},
            },
        )
    )
    validate(one.patch(f"{API}/line-items/{line['id']}/", json={"quantity": "24"}))
    validate(one.delete(f"{API}/line-items/{line['id']}/"))
    for action in ("submit", "accept", "fulfill", "ship", "complete"):
        validate(leaflink.transition(new["number"], action))
    draft = validate(
        one.post(
            f"{API}/orders-received/",
            json={
                "seller": 1,
                "customer": {"id": 1003},
                "status": "Draft",
                "line_items": [
                    {
                        "product": "10002",
                        "quantity": "6",
                        "ordered_unit_price": {"amount": "30.00", "currency": "USD"},
                        "sale_price": {"amount": "0.00", "currency": "USD"},
                    }
                ],
            },
        )
    )
    validate(one.delete(f"{API}/orders-received/{draft['number']}/"))
    # Orders in every state the machine reaches, including combined ones.
    placed = [leaflink.place(customer_id=1008), leaflink.place(customer_id=1008)]
    leaflink.control("POST", "orders/combine", json={"numbers": [o["number"] for o in placed]})
    leaflink.control("POST", f"orders/{first(orders, 'Submitted')['number']}/status", json={"status": "Backorder"})
    for order in leaflink.orders(include_children="line_items"):
        validate(one.get(f"{API}/orders-received/{order['number']}/", params={"include_children": "line_items"}))

    served = {
        ("GET", "/api/v2/products/"),
        ("POST", "/api/v2/products/"),
        ("GET", "/api/v2/products/{id}/"),
        ("PATCH", "/api/v2/products/{id}/"),
        ("GET", "/api/v2/orders-received/"),
        ("POST", "/api/v2/orders-received/"),
        ("GET", "/api/v2/orders-received/{number}/"),
        ("PATCH", "/api/v2/orders-received/{number}/"),
        ("DELETE", "/api/v2/orders-received/{number}/"),
        ("POST", "/api/v2/orders-received/{number}/transition/{action}/"),
        ("GET", "/api/v2/orders-received/{number}/line-items/"),
        ("GET", "/api/v2/line-items/"),
        ("POST", "/api/v2/line-items/"),
        ("GET", "/api/v2/line-items/{id}/"),
        ("PATCH", "/api/v2/line-items/{id}/"),
        ("DELETE", "/api/v2/line-items/{id}/"),
        ("GET", "/api/v2/customers/"),
        ("GET", "/api/v2/customers/{id}/"),
        ("GET", "/api/v2/brands/"),
        ("GET", "/api/v2/brands/{id}/"),
        ("GET", "/api/v2/company-staff/"),
        ("GET", "/api/v2/company-staff/{id}/"),
    }
    assert validate.seen >= served
    # Those are all the vendor routes the sandbox serves, but for /listing-states/ (not in the file) and the
    # read-only lists checked in the next test.
    routes = {
        (method, re.sub(r":\w+}", "}", route.path))
        for route in create_app().routes
        if isinstance(route, Route) and route.path.startswith(API)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert routes == served | OTHER_LISTS | {("GET", "/api/v2/listing-states/")}


#: The read-only lists (sandboxes/leaflink: directory, order_lists, inventory, buyer_orders) and their records.
OTHER_LISTS = {
    ("GET", f"{API}{path}")
    for path in (
        "/companies/",
        "/companies/{id}/",
        "/order-event-logs/",
        "/order-event-logs/{id}/",
        "/order-payments/",
        "/order-payments/{id}/",
        "/orders-received/{number}/payments/",
        "/order-sales-reps/",
        "/order-sales-reps/{id}/",
        "/batches/",
        "/batches/{id}/",
        "/contacts/",
        "/contacts/{id}/",
        "/licenses/",
        "/licenses/{id}/",
        "/license-types/",
        "/license-types/{id}/",
        "/product-categories/",
        "/product-categories/{id}/",
        "/inventory/items/",
        "/inventory/items/{id}/",
        "/inventory/facilities/",
        "/inventory/facilities/{id}/",
        "/buyer/orders/",
    )
}


def test_the_other_lists_answer_as_the_openapi_file_says(leaflink: Running, validate: Validator) -> None:
    """Every read-only list and its records, for both companies, validate against the file; lists are pages."""
    retailer = httpx2.Client(base_url=leaflink.url, headers={"Authorization": "App ll-key-retailer-5005"}, timeout=5)
    with retailer:
        for client in (leaflink.one, leaflink.two):
            for template_path in sorted(path for _, path in OTHER_LISTS if "{" not in path and "buyer" not in path):
                page = validate(client.get(template_path, params={"limit": 100}))
                assert page["count"] == len(page["results"]) > 0, template_path
                detail_path = f"{template_path}{page['results'][0]['id']}/"
                assert validate(client.get(detail_path)) == page["results"][0]
            number = next(p["order"] for p in validate(client.get(f"{API}/order-payments/"))["results"])
            assert [p["order"] for p in validate(client.get(f"{API}/orders-received/{number}/payments/"))] == [number]
            assert validate(client.get(f"{API}/buyer/orders/"))["count"] == 0  # brands buy nothing here
        bought = validate(retailer.get(f"{API}/buyer/orders/", params={"include_children": "line_items"}))
        assert bought["count"] > 0 and all(o["buyer"]["id"] == "5005" for o in bought["results"])
        assert all(o["line_items"] for o in bought["results"])
        validate(retailer.get(f"{API}/buyer/orders/", params={"limit": 1}))  # a page with a next link
    assert {(m, template(p)) for m, p in validate.seen} >= OTHER_LISTS


def test_the_check_is_strict(leaflink: Running, validate: Validator) -> None:
    """A field too many, a missing one, or a wrong type fails the validation used above."""
    response = leaflink.one.get(f"{API}/products/10001/")
    validate(response)
    for damage in (
        lambda p: p.update(extra=1),
        lambda p: p.pop("reserved_qty"),
        lambda p: p.update(quantity=480),
        lambda p: p.update(listing_state="Live"),
    ):
        body = response.json()
        damage(body)
        forged = httpx2.Response(200, json=body, request=response.request)
        with pytest.raises(AssertionError, match="response not valid"):
            validate(forged)


# --------------------------------------------------------------------------------------------------
# Transport, auth, paging


def test_paths_must_end_with_a_slash(leaflink: Running) -> None:
    response = leaflink.one.get(f"{API}/products")
    assert response.status_code == 400 and "/api/v2/products/" in detail(response)
    response = leaflink.one.post(f"{API}/orders-received/abc/transition/accept", params={"x": "1"})
    assert response.status_code == 400 and "/api/v2/orders-received/abc/transition/accept/?x=1" in detail(response)
    assert leaflink.anonymous.get(f"{API}/products").status_code == 400  # before authentication
    assert leaflink.one.get(f"{API}/nothing-here/").status_code == 404
    assert detail(leaflink.anonymous.get(f"{API}/nothing-here/")) == "Not found."
    response = leaflink.one.put(f"{API}/products/10001/", json={})
    assert response.status_code == 405 and detail(response) == 'Method "PUT" not allowed.'


def test_auth_needs_app_or_token_and_a_key_sees_one_company(leaflink: Running) -> None:
    def answer(header: str | None) -> tuple[int, str]:
        headers = {"Authorization": header} if header is not None else {}
        response = leaflink.anonymous.get(f"{API}/brands/", headers=headers)
        return response.status_code, detail(response) if response.status_code == 401 else ""

    assert answer(None) == (401, "Authentication credentials were not provided.")
    assert answer(f"Bearer {KEY_1}") == (401, "Authentication credentials were not provided.")
    assert answer("App") == (401, "Invalid token header. No credentials provided.")
    assert answer(f"App  {KEY_1}") == (401, "Invalid token header. Token string should not contain spaces.")
    assert answer("App nope") == (401, "Invalid token.")
    assert answer(f"app {KEY_1}")[0] == 200 and answer(f"Token {KEY_1}")[0] == 200
    assert leaflink.anonymous.get(f"{API}/brands/").headers["WWW-Authenticate"] == "App"

    assert [b["name"] for b in leaflink.one.get(f"{API}/brands/").json()["results"]] == ["Glacier Lake", "North Coast"]
    assert [b["name"] for b in leaflink.two.get(f"{API}/brands/").json()["results"]] == ["Lakeshore Botanicals"]
    # Another company's records are 404s.
    assert leaflink.two.get(f"{API}/products/10001/").status_code == 404
    assert leaflink.two.get(f"{API}/customers/1001/").status_code == 404
    assert leaflink.two.get(f"{API}/brands/11/").status_code == 404
    number = leaflink.orders()[0]["number"]
    assert leaflink.two.get(f"{API}/orders-received/{number}/").status_code == 404
    assert leaflink.transition(number, "reject", leaflink.two).status_code == 404
    assert {p["seller"] for p in leaflink.two.get(f"{API}/products/").json()["results"]} == {2}


def test_paging_envelope_follows_drf(leaflink: Running) -> None:
    first_page = leaflink.one.get(f"{API}/products/", params={"limit": 15, "brand": 11}).json()
    assert set(first_page) == {"count", "next", "previous", "results"}
    total = first_page["count"]
    assert total == len([p for p in leaflink.control("GET", "products").json() if p["brand"] == 11])
    assert first_page["previous"] is None and len(first_page["results"]) == 15
    assert first_page["next"] == f"{leaflink.url}{API}/products/?brand=11&limit=15&offset=15"
    seen = list(first_page["results"])
    page = first_page
    while page["next"]:
        page = leaflink.one.get(page["next"]).json()
        seen.extend(page["results"])
    assert len(seen) == total and len({p["id"] for p in seen}) == total
    second = leaflink.one.get(first_page["next"]).json()
    assert second["previous"] == f"{leaflink.url}{API}/products/?brand=11&limit=15"
    third = leaflink.one.get(f"{API}/products/", params={"limit": 5, "offset": 12}).json()
    assert third["previous"] == f"{leaflink.url}{API}/products/?limit=5&offset=7"
    # Defaults and fallbacks: 50 by default, 100 at most, nonsense means the default.
    assert len(leaflink.one.get(f"{API}/products/").json()["results"]) == 40
    assert (
        leaflink.one.get(f"{API}/products/", params={"limit": "x", "offset": "-3"}).json()["results"][0]["id"] == 10001
    )
    assert leaflink.one.get(f"{API}/products/", params={"offset": 500}).json()["results"] == []


def test_limits_default_to_50_and_cap_at_100(start: Callable[..., Running]) -> None:
    running = start(seed=2, products=130, rate_limit_per_minute=None)
    assert len(running.one.get(f"{API}/products/").json()["results"]) == 50
    body = running.one.get(f"{API}/products/", params={"limit": 500}).json()
    assert body["count"] == 130 and len(body["results"]) == 100 and "limit=100" in body["next"]


# --------------------------------------------------------------------------------------------------
# Products


def test_products_carry_inventory_prices_and_listing_states(leaflink: Running) -> None:
    products = leaflink.one.get(f"{API}/products/", params={"limit": 100}).json()["results"]
    assert {p["listing_state"] for p in products} == {
        "Available",
        "Backorder",
        "Internal",
        "Unavailable",
        "Sample",
        "Archived",
    }
    for product in products:
        assert Decimal(product["available_inventory"]) == Decimal(product["quantity"]) - Decimal(
            product["reserved_qty"]
        )
        assert set(product["wholesale_price"]) == {"amount", "currency"}
        assert STAMP.match(product["modified"]) and STAMP.match(product["created_on"])
    known = leaflink.product(10002)
    assert known["name"] == "North Coast Sour Diesel 1g Cartridge" and known["sku"] == "NCO-VAP-W002"
    assert known["external_ids"] == {"erp": "NC-4471"} and known["brand"] == 12
    assert sum(1 for p in products if p["external_ids"]) >= 2
    assert sum(1 for p in products if not p["external_ids"]) > len(products) / 2
    states = leaflink.one.get(f"{API}/listing-states/").json()["results"]
    assert states == [
        {"id": 1, "name": "Available"},
        {"id": 2, "name": "Backorder"},
        {"id": 3, "name": "Internal"},
        {"id": 4, "name": "Unavailable"},
        {"id": 5, "name": "Sample"},
        {"id": 6, "name": "Archived"},
    ]


def test_product_filters(leaflink: Running) -> None:
    def ids(**params: Any) -> list[int]:
        response = leaflink.one.get(f"{API}/products/", params={"limit": 100, **params})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["results"]]

    products = leaflink.control("GET", "products").json()
    mine = [p for p in products if p["seller"] == 1]
    assert ids(sku="glk-flw-w001,NCO-VAP-W002,LKB-FLW-W001") == [10001, 10002]
    assert ids(listing_state="internal") == [p["id"] for p in mine if p["listing_state"] == "Internal"]
    assert ids(listing_state="6") == ids(listing_state="Archived") == ids(archived="true")
    assert ids(brand=12) == [p["id"] for p in mine if p["brand"] == 12]
    assert ids(external_id_key="erp", external_id_values="NC-4471") == [10002]
    assert leaflink.one.get(f"{API}/products/", params={"listing_state": "Live"}).status_code == 400
    assert leaflink.one.get(f"{API}/products/", params={"brand": "x"}).status_code == 400

    leaflink.one.patch(f"{API}/products/10003/", json={"quantity": 7})
    changed = leaflink.product(10003)
    assert ids(modified__gte=changed["modified"]) == [10003]
    assert ids(modified__gt=changed["modified"]) == []
    assert len(ids(modified__lt=changed["modified"])) == len(mine) - 1
    assert ids(created_on__gte="2999-01-01") == []
    bad = leaflink.one.get(f"{API}/products/", params={"modified__gte": "yesterday"})
    assert bad.status_code == 400 and bad.json() == {"modified__gte": ["Enter a valid date/time."]}
    assert ids(id=10002, fields_include="id") == [10002]
    assert leaflink.one.get(f"{API}/products/10002/", params={"fields_include": "id,sku"}).json() == {
        "id": 10002,
        "sku": "NCO-VAP-W002",
    }


def test_create_and_update_products_keep_the_listing_state(leaflink: Running) -> None:
    minimal = leaflink.one.post(
        f"{API}/products/", json={"name": "Glacier Lake Gelato 3.5g", "sku": "X-1", "brand": 11}
    )
    assert minimal.status_code == 201, minimal.text
    product = minimal.json()
    assert product["id"] >= 90001 and product["listing_state"] == "Available" and product["seller"] == 1
    missing = leaflink.one.post(f"{API}/products/", json={"sku": "X-2"})
    assert missing.status_code == 400 and set(missing.json()) == {"name", "brand"}
    assert leaflink.one.post(f"{API}/products/", json={"name": "n", "sku": "s", "brand": 21}).status_code == 400
    assert leaflink.two.post(f"{API}/products/", json={"name": "n", "sku": "s", "brand": 21}).status_code == 201

    internal = next(p for p in leaflink.control("GET", "products").json() if p["listing_state"] == "Internal")
    answer = leaflink.one.patch(
        f"{API}/products/{internal['id']}/",
        json={
            "quantity": "250",
            "description": "<p>From Flourish.</p>",
            "wholesale_price": {"amount": 19.5, "currency": "USD"},
            "external_ids": {"cannasync": "10044"},
        },
    )
    assert answer.status_code == 200, answer.text
    updated = answer.json()
    assert "product_data_items" not in updated  # ProductUpdateResponse
    assert updated["listing_state"] == "Internal" and updated["quantity"] == "250.0000"
    assert updated["wholesale_price"] == {"amount": "19.50", "currency": "USD"}
    assert updated["external_ids"] == {"cannasync": "10044"} and updated["modified"] > internal["modified"]
    assert (
        leaflink.one.patch(f"{API}/products/{internal['id']}/", json={"listing_state": "Sample"}).json()[
            "listing_state"
        ]
        == "Sample"
    )
    for bad in ({"listing_state": "Live"}, {"quantity": -1}, {"quantity": "lots"}, {"external_ids": {"k" * 37: "v"}}):
        assert leaflink.one.patch(f"{API}/products/10001/", json=bad).status_code == 400, bad
    both = leaflink.one.patch(f"{API}/products/10001/", json={"quantity": 1, "available_inventory": 1})
    assert both.status_code == 400


# --------------------------------------------------------------------------------------------------
# Orders


def test_orders_look_like_leaflinks_example(leaflink: Running) -> None:
    orders = leaflink.orders(include_children="line_items")
    assert [o["status"] for o in reversed(orders)] == [
        "Complete",
        "Shipped",
        "Fulfilled",
        "Cancelled",
        "Accepted",
        "Backorder",
        "Accepted",
        "Submitted",
        "Submitted",
    ]
    assert [o["created_on"] for o in orders] == sorted((o["created_on"] for o in orders), reverse=True)
    for order in orders:
        assert UUID.match(order["number"]) and order["short_id"] == order["number"][-8:]
        assert order["order_number"] == order["number"] and order["seller"] == 1 and order["facility_id"] == 7001
        assert set(order["customer"]) == {"id", "display_name", "ext_acct_id", "delinquent"}
        assert order["line_items"] and all(line["order"] == order["number"] for line in order["line_items"])
        total = sum(
            Decimal(line["quantity"]) * Decimal(line["ordered_unit_price"]["amount"]) for line in order["line_items"]
        )
        assert Decimal(order["total"]["amount"]) == total
    accepted = first(orders, "Accepted")
    assert accepted["available_transitions"] == ["fulfilled", "rejected"]
    assert any(o["external_id_seller"] == "INV-1092" and o["order_seller_number"] == "INV-1092" for o in orders)
    assert any(o["sales_reps"] == [] for o in orders)
    assert {r["user"] for o in orders for r in o["sales_reps"]} <= {"Dana Whitfield", "Marcus Bell", "Tomasz Kowalczyk"}
    assert "line_items" not in leaflink.orders()[0]
    two = leaflink.orders(leaflink.two)
    assert [o["status"] for o in reversed(two)] == ["Complete", "Rejected", "Accepted", "Draft", "Submitted"]


def test_order_filters(leaflink: Running) -> None:
    orders = leaflink.orders()

    def numbers(**params: Any) -> set[str]:
        return {o["number"] for o in leaflink.orders(**params)}

    assert numbers(status="SUBMITTED,accepted") == {
        o["number"] for o in orders if o["status"] in ("Submitted", "Accepted")
    }
    assert numbers(status__not="complete,cancelled") == {
        o["number"] for o in orders if o["status"] not in ("Complete", "Cancelled")
    }
    bad = leaflink.one.get(f"{API}/orders-received/", params={"status": "shipped,lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert numbers(external_id_seller="INV-1092") == numbers(order_id="INV-1092")
    assert len(numbers(external_id_seller="INV-1092")) == 1
    target = orders[3]["number"]
    assert numbers(number=target) == numbers(order_id=target) == {target}
    assert numbers(sales_rep=101) == {o["number"] for o in orders if 101 in [r["id"] for r in o["sales_reps"]]}
    assert numbers(customer="midtown") == {o["number"] for o in orders if o["customer"]["id"] == 1006}
    brands = {str(p["id"]): p["brand"] for p in leaflink.control("GET", "products").json()}
    with_lines = leaflink.orders(include_children="line_items")
    glacier = {o["number"] for o in with_lines if any(brands[li["product"]] == 11 for li in o["line_items"])}
    assert numbers(brand=11) == glacier and glacier
    assert all(o["brand"] in (11, None) for o in with_lines if o["number"] in glacier)

    leaflink.transition(first(orders, "Submitted")["number"], "accept")
    changed = leaflink.order(first(orders, "Submitted")["number"])
    assert numbers(modified__gte=changed["modified"]) == {changed["number"]}
    assert numbers(modified__gt=changed["modified"]) == set()
    placed = leaflink.place()
    assert numbers(created_on__gte=placed["created_on"]) == {placed["number"]}
    naive = datetime.fromisoformat(placed["created_on"]).replace(tzinfo=None).isoformat()
    assert placed["number"] in numbers(created_on__gte=naive)  # naive values are read at UTC-06:00


def test_transitions_follow_available_transitions(leaflink: Running) -> None:
    order = leaflink.place(status="Draft")
    assert order["status"] == "Draft" and order["available_transitions"] == ["submitted", "cancelled"]
    refused = leaflink.transition(order["number"], "accept")
    assert refused.status_code == 400 and "Draft" in detail(refused) and "submitted, cancelled" in detail(refused)
    unknown = leaflink.transition(order["number"], "teleport")
    assert unknown.status_code == 400 and "submit" in detail(unknown)
    steps = [
        ("submit", "Submitted", ["accepted", "backorder", "rejected", "cancelled"]),
        ("accept", "Accepted", ["fulfilled", "rejected"]),
        ("fulfill", "Fulfilled", ["shipped"]),
        ("ship", "Shipped", ["complete"]),
        ("complete", "Complete", []),
    ]
    for action, status, available in steps:
        response = leaflink.transition(order["number"], action)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == status and body["available_transitions"] == available
        assert body["user"] == "great-lakes-growers.api" and body["line_items"]
    assert leaflink.order(order["number"])["ship_date"] is not None
    assert leaflink.transition(order["number"], "cancel").status_code == 400
    # The seller API cannot cancel an Accepted order; the buyer can.
    accepted = leaflink.place()
    leaflink.transition(accepted["number"], "accept")
    assert leaflink.transition(accepted["number"], "cancel").status_code == 400
    assert leaflink.control("POST", f"orders/{accepted['number']}/cancel").json()["status"] == "Cancelled"
    assert leaflink.control("POST", f"orders/{accepted['number']}/cancel").status_code == 409
    # Backorder is reached only in the seller's UI (control route), then accepted through the API.
    backorder = leaflink.place()
    assert (
        leaflink.control("POST", f"orders/{backorder['number']}/status", json={"status": "Backorder"}).status_code
        == 200
    )
    assert leaflink.order(backorder["number"])["available_transitions"] == ["accepted", "rejected", "cancelled"]
    assert leaflink.transition(backorder["number"], "accept").json()["status"] == "Accepted"
    assert leaflink.control("POST", f"orders/{backorder['number']}/status", json={"status": "Draft"}).status_code == 409
    assert leaflink.control("POST", f"orders/{backorder['number']}/status", json={"status": "Lost"}).status_code == 422


def test_reserved_qty_follows_submitted_and_accepted_orders(leaflink: Running) -> None:
    def reserved(product_id: int) -> tuple[Decimal, Decimal, Decimal]:
        product = leaflink.product(product_id)
        return tuple(Decimal(product[f]) for f in ("quantity", "reserved_qty", "available_inventory"))  # type: ignore[return-value]

    expected = Decimal(0)
    for order in leaflink.orders(include_children="line_items"):
        if order["status"] in ("Submitted", "Accepted"):
            expected += sum(
                (Decimal(li["quantity"]) for li in order["line_items"] if li["product"] == "10001"), Decimal(0)
            )
    quantity, start, available = reserved(10001)
    assert start == expected and available == quantity - start

    draft = leaflink.place(status="Draft", lines=[{"product_id": 10001, "quantity": 24}])
    assert reserved(10001)[1] == start
    leaflink.transition(draft["number"], "submit")
    assert reserved(10001)[1] == start + 24
    leaflink.transition(draft["number"], "accept")
    assert reserved(10001)[1] == start + 24
    leaflink.control("PATCH", f"orders/{draft['number']}", json={"lines": [{"product_id": 10001, "quantity": 36}]})
    assert reserved(10001)[1] == start + 36
    leaflink.transition(draft["number"], "fulfill")
    assert reserved(10001) == (quantity, start, quantity - start)  # fulfilment releases, stock unchanged

    backordered = leaflink.place(lines=[{"product_id": 10001, "quantity": 12}])
    assert reserved(10001)[1] == start + 12
    leaflink.control("POST", f"orders/{backordered['number']}/status", json={"status": "Backorder"})
    assert reserved(10001)[1] == start
    # available_inventory is writable: quantity becomes available + reserved.
    leaflink.one.patch(f"{API}/products/10001/", json={"available_inventory": "100"})
    assert reserved(10001) == (100 + start, start, Decimal(100))
    assert leaflink.product(10001)["listing_state"] == "Available"


def test_create_and_patch_orders_and_payment_terms(leaflink: Running) -> None:
    body: dict[str, Any] = {
        "seller": 1,
        "customer": {"id": 1004},
        "status": "Submitted",
        "line_items": [
            {
                "product": 10002,
                "quantity": 12,
                "ordered_unit_price": {"amount": 30, "currency": "USD"},
                "sale_price": {"amount": 0, "currency": "USD"},
            }
        ],
        "selected_payment_option": {"payment_method_id": 1, "payment_term_id": 20},
        "sales_reps": [{"id": 103}],
        "external_ids": {"cannasync": "OUT-9"},
    }
    created = leaflink.one.post(f"{API}/orders-received/", json=body)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["manual"] is True and order["status"] == "Submitted" and order["total"]["amount"] == "360.00"
    assert order["payment_term"] == "COD" and order["selected_payment_option"]["payment_term"]["code"] == "cod"
    assert order["sales_reps"] == [{"id": 103, "user": "Tomasz Kowalczyk"}]
    assert len(order["available_payment_options"]) == 13

    for wrong in (
        {**body, "seller": 2},
        {**body, "customer": {"id": 2001}},
        {**body, "status": "Accepted"},
        {**body, "line_items": []},
        {**body, "line_items": [{"product": 20001, "quantity": 1}]},
        {**body, "selected_payment_option": {"payment_method_id": 4, "payment_term_id": 20}},
        {k: v for k, v in body.items() if k != "customer"},
    ):
        assert leaflink.one.post(f"{API}/orders-received/", json=wrong).status_code == 400, wrong

    number = order["number"]

    def patch(change: dict[str, Any]) -> dict[str, Any]:
        response = leaflink.one.patch(f"{API}/orders-received/{number}/", json=change)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    assert patch({"payment_term": "net60"})["payment_term"] == "Net 60"
    net15 = patch({"selected_payment_option": {"payment_method_id": 4, "payment_term_id": 3}})
    assert net15["payment_term"] == "Net 15" and net15["payment_methods"] == ["ACH"]
    assert patch({"payment_term": None})["selected_payment_option"] is None
    assert leaflink.one.patch(f"{API}/orders-received/{number}/", json={"payment_term": "Net 45"}).status_code == 400
    changed = patch({"discount": 10, "discount_type": "%", "shipping_charge": {"amount": "15", "currency": "USD"}})
    assert changed["total"]["amount"] == "339.00"
    paid = patch({"paid": True, "paid_date": "2025-06-02", "external_id_seller": "FL-1", "status": "Complete"})
    assert paid["payment_balance"] == "0.00" and paid["order_seller_number"] == "FL-1" and paid["status"] == "Submitted"

    # The seeded book: one order carries the unsupported "LeafLink Financial" term, one none at all.
    seeded = leaflink.orders()
    assert [o["payment_term"] for o in seeded].count("LeafLink Financial") == 1
    assert any(o["selected_payment_option"] is None for o in seeded)
    supported = {"COD", "Consignment", "Pre-Payment", *(f"Net {d}" for d in (3, 7, 10, 14, 15, 20, 30, 60, 90))}
    offered = {option["payment_term"]["term"] for option in seeded[0]["available_payment_options"]}
    assert offered == supported | {"LeafLink Financial"}


def test_line_items_through_the_api_and_the_buyer(leaflink: Running) -> None:
    order = leaflink.place(lines=[{"product_id": 10001, "quantity": 12}, {"product_id": 10002, "quantity": 6}])
    lines = leaflink.one.get(f"{API}/orders-received/{order['number']}/line-items/").json()
    assert [li["product"] for li in lines] == ["10001", "10002"] and lines[0]["quantity"] == "12.0000"
    listed = leaflink.one.get(f"{API}/line-items/", params={"order": order["number"]}).json()
    assert listed["count"] == 2 and [li["id"] for li in listed["results"]] == [li["id"] for li in lines]
    patched = leaflink.one.patch(f"{API}/line-items/{lines[0]['id']}/", json={"quantity": 24})
    assert patched.status_code == 200 and patched.json()["quantity"] == "24.0000"
    assert leaflink.order(order["number"])["user"] == "great-lakes-growers.api"
    assert leaflink.two.patch(f"{API}/line-items/{lines[0]['id']}/", json={"quantity": 1}).status_code == 404

    # The buyer edits: a line for a product already there keeps its id; the others are new.
    edited = leaflink.control(
        "PATCH",
        f"orders/{order['number']}",
        json={"lines": [{"product_id": 10001, "quantity": 48}, {"product_id": 10003, "quantity": 6}]},
    ).json()
    assert [li["id"] == lines[0]["id"] for li in edited["line_items"]] == [True, False]
    assert edited["user"] == "buying@goodvibes.example" and edited["modified"] > order["modified"]
    leaflink.transition(order["number"], "accept")
    leaflink.transition(order["number"], "fulfill")
    assert leaflink.one.patch(f"{API}/line-items/{lines[0]['id']}/", json={"quantity": 1}).status_code == 400
    assert (
        leaflink.control(
            "PATCH", f"orders/{order['number']}", json={"lines": [{"product_id": 10001, "quantity": 1}]}
        ).status_code
        == 409
    )


def test_combining_orders(leaflink: Running) -> None:
    a = leaflink.place(customer_id=1009, lines=[{"product_id": 10001, "quantity": 12}])
    b = leaflink.place(customer_id=1009, lines=[{"product_id": 10002, "quantity": 6}], sales_rep_id=102)
    leaflink.transition(b["number"], "accept")
    response = leaflink.control("POST", "orders/combine", json={"numbers": [a["number"], b["number"]]})
    assert response.status_code == 201, response.text
    combined = response.json()
    assert combined["status"] == "Submitted" and combined["is_combination"] is True
    assert [li["product"] for li in combined["line_items"]] == ["10001", "10002"]
    assert {li["id"] for li in combined["line_items"]}.isdisjoint(
        {li["id"] for li in a["line_items"] + b["line_items"]}
    )
    for original in (a, b):
        assert leaflink.order(original["number"])["status"] == "Combined"
        assert leaflink.order(original["number"])["available_transitions"] == []
    assert {o["number"] for o in leaflink.orders(status="combined")} == {a["number"], b["number"]}
    # Only open orders of one customer combine.
    other = leaflink.place(customer_id=1005)
    assert (
        leaflink.control("POST", "orders/combine", json={"numbers": [combined["number"], other["number"]]}).status_code
        == 409
    )
    assert (
        leaflink.control("POST", "orders/combine", json={"numbers": [a["number"], other["number"]]}).status_code == 409
    )
    assert leaflink.control("POST", "orders/combine", json={"numbers": [other["number"]]}).status_code == 422


def test_customers_brands_staff_and_a_new_dispensary(leaflink: Running) -> None:
    customers = leaflink.one.get(f"{API}/customers/").json()["results"]
    names = [c["name"] for c in customers]
    assert names[:4] == [
        "Mitten Cannabis Co. - Detroit",
        "Harbor Light Dispensary",
        "Upper Peninsula Wellness",
        "Kalamazoo Green Market",
    ]
    assert customers[0]["license_number"] == "AU-R-001204" and customers[0]["owner"] == 1
    ordered = {o["customer"]["id"] for o in leaflink.orders()}
    assert {1008, 1009}.isdisjoint(ordered)
    midtown = next(o for o in leaflink.orders() if o["customer"]["id"] == 1006)
    assert midtown["customer"]["display_name"] == "Motor City Remedies - Midtown"
    staff = leaflink.one.get(f"{API}/company-staff/").json()["results"]
    assert [(s["id"], s["display_name"], s["email"]) for s in staff] == [
        (101, "Dana Whitfield", "dana.whitfield@greatlakesprovisions.example"),
        (102, "Marcus Bell", "marcus.bell@greatlakesprovisions.example"),
        (103, "Tomasz Kowalczyk", "tomasz.kowalczyk@greatlakesprovisions.example"),
    ]
    created = leaflink.control(
        "POST", "customers", json={"company_id": 2, "name": "Petoskey Stone Supply", "zipcode": "49770"}
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["owner"] == 2 and leaflink.two.get(f"{API}/customers/{customer['id']}/").status_code == 200
    assert leaflink.one.get(f"{API}/customers/{customer['id']}/").status_code == 404
    since = leaflink.two.get(f"{API}/customers/", params={"created_on__gte": customer["created_on"]}).json()
    assert [c["id"] for c in since["results"]] == [customer["id"]]
    order = leaflink.place(company_id=2, customer_id=customer["id"], lines=[{"product_id": 20001, "quantity": 12}])
    assert order["customer"] == {
        "id": customer["id"],
        "display_name": "Petoskey Stone Supply",
        "ext_acct_id": None,
        "delinquent": False,
    }
    assert leaflink.control("POST", "customers", json={"company_id": 3, "name": "x"}).status_code == 422


# --------------------------------------------------------------------------------------------------
# Webhooks


def test_webhooks_are_signed_and_fire_on_api_writes_too(leaflink: Running, receiver: Receiver) -> None:
    config = leaflink.control("POST", "config", json={"webhook_url": f"{receiver.url}/hooks/one", "company_id": 1})
    assert config.status_code == 200
    leaflink.control(
        "POST", "config", json={"webhook_url": f"{receiver.url}/hooks/two", "company_id": 2, "webhook_key": "k2"}
    )
    placed = leaflink.place()
    leaflink.transition(placed["number"], "accept")  # the hub's own write echoes back
    leaflink.one.patch(f"{API}/products/10001/", json={"quantity": "300"})
    leaflink.control("PATCH", "products/10002", json={"listing_state": "Unavailable"})
    made = leaflink.two.post(
        f"{API}/products/", json={"name": "Lakeshore Botanicals Gelato 7g", "sku": "L-7", "brand": 21}
    )
    assert leaflink.sandbox.wait_for_webhooks()

    events = [(name, json.loads(raw)) for name, raw, _ in receiver.posts]
    assert [(name, body["event"]) for name, body in events] == [
        ("one", "order.created"),
        ("one", "order.updated"),
        ("one", "product.updated"),
        ("one", "product.updated"),
        ("two", "product.created"),
    ]
    for (name, raw, headers), (_, body) in zip(receiver.posts, events, strict=True):
        key = "k2" if name == "two" else "ll-demo-webhook-key"
        expected = base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(headers["ll-signature"], expected) and sign(key, raw) == expected
        assert headers["content-type"] == "application/json"
        assert set(body) == {"event", "event_id", "company_id", "sent_at", "data"}
    assert events[0][1]["data"]["number"] == placed["number"] and events[0][1]["data"]["line_items"]
    assert events[1][1]["data"]["status"] == "Accepted" and events[1][1]["data"]["user"] == "great-lakes-growers.api"
    assert events[2][1]["data"]["quantity"] == "300.0000" and "product_data_items" in events[2][1]["data"]
    assert events[3][1]["data"]["listing_state"] == "Unavailable"
    assert events[4][1]["data"]["id"] == made.json()["id"] and events[4][1]["company_id"] == 2
    assert len({body["event_id"] for _, body in events}) == 5

    log = leaflink.control("GET", "webhooks").json()
    assert [entry["status_code"] for entry in log] == [200] * 5 and log[0]["signature"] == receiver.posts[0][2][
        "ll-signature"
    ]
    # Not retried: a failing receiver is logged once per event.
    receiver.status = 500
    leaflink.control("DELETE", "webhooks")
    leaflink.transition(placed["number"], "reject")
    assert leaflink.sandbox.wait_for_webhooks()
    assert [entry["status_code"] for entry in leaflink.sandbox.webhook_log] == [500]
    leaflink.control("POST", "config", json={"webhook_url": None})
    leaflink.one.patch(f"{API}/products/10001/", json={"quantity": "301"})
    assert leaflink.sandbox.wait_for_webhooks() and len(leaflink.sandbox.webhook_log) == 1
    assert leaflink.control("POST", "config", json={"webhook_url": "ftp://x"}).status_code == 422


# --------------------------------------------------------------------------------------------------
# Rate limit, faults, request counts, determinism


def test_rate_limit_answers_429_with_retry_after_per_key(leaflink: Running) -> None:
    assert leaflink.control("POST", "rate-limit", json={"per_minute": 3}).json() == {"per_minute": 3}
    answers = [leaflink.one.get(f"{API}/brands/") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert detail(answers[3]).startswith("Request was throttled. Expected available in ")
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert leaflink.two.get(f"{API}/brands/").status_code == 200  # each key has its own minute
    assert leaflink.anonymous.get(f"{API}/brands/").status_code == 401  # 401 before the limit
    assert leaflink.control("GET", "orders").status_code == 200  # control routes are never limited
    leaflink.control("POST", "rate-limit", json={"per_minute": None})
    assert leaflink.one.get(f"{API}/brands/").status_code == 200
    assert leaflink.control("POST", "rate-limit", json={"per_minute": 0}).status_code == 422
    assert leaflink.sandbox.rate_limit_per_minute is None
    assert LeafLinkSandbox().rate_limit_per_minute == 300


def test_injected_faults(leaflink: Running) -> None:
    fault = {
        "method": "GET",
        "path_prefix": f"{API}/products/",
        "status": 503,
        "count": 2,
        "after": 1,
        "retry_after": 2,
    }
    assert leaflink.control("POST", "faults", json=fault).status_code == 201
    answers = [leaflink.one.get(f"{API}/products/") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 503, 503, 200]
    assert detail(answers[1]) == "Injected fault" and answers[1].headers["Retry-After"] == "2"
    leaflink.control("POST", "faults", json={"status": 500, "count": 5})
    assert len(leaflink.control("GET", "faults").json()) == 1
    assert leaflink.control("DELETE", "faults").status_code == 204
    assert leaflink.control("POST", "faults", json={"status": 200}).status_code == 422

    fault = {
        "mode": "timeout_after_commit",
        "delay_seconds": 0.8,
        "method": "POST",
        "path_prefix": f"{API}/orders-received/",
    }
    leaflink.control("POST", "faults", json=fault)
    number = first(leaflink.orders(), "Submitted")["number"]
    with pytest.raises(httpx2.TimeoutException):
        leaflink.one.post(f"{API}/orders-received/{number}/transition/accept/", timeout=0.3)
    assert leaflink.order(number)["status"] == "Accepted"  # LeafLink committed


def test_the_kits_other_fault_kinds_break_leaflink_answers_too(leaflink: Running) -> None:
    """Resets, cut answers and a reset after the commit: the kinds every sandbox shares (sandboxes/_kit)."""
    leaflink.control("POST", "faults", json={"mode": "reset", "method": "GET", "path_prefix": f"{API}/brands/"})
    with pytest.raises(httpx2.TransportError):
        leaflink.one.get(f"{API}/brands/")
    assert leaflink.one.get(f"{API}/brands/").status_code == 200  # spent after one

    whole = leaflink.one.get(f"{API}/products/")
    leaflink.control("POST", "faults", json={"mode": "truncate", "method": "GET", "path_prefix": f"{API}/products/"})
    with pytest.raises(httpx2.RemoteProtocolError, match=r"incomplete|complete message body"):
        leaflink.one.get(f"{API}/products/")
    assert leaflink.one.get(f"{API}/products/").content == whole.content

    number = first(leaflink.orders(), "Submitted")["number"]
    fault = {"mode": "reset_after_commit", "method": "POST", "path_prefix": f"{API}/orders-received/"}
    leaflink.control("POST", "faults", json=fault)
    with pytest.raises(httpx2.TransportError):
        leaflink.transition(number, "accept")
    assert leaflink.order(number)["status"] == "Accepted"  # LeafLink committed before the connection dropped
    assert leaflink.control("POST", "faults", json={"mode": "explode"}).status_code == 422


def test_request_counts_are_kept_per_route_template(leaflink: Running) -> None:
    leaflink.control("DELETE", "requests")
    leaflink.one.get(f"{API}/products/")
    leaflink.one.get(f"{API}/products/10001/")
    leaflink.one.get(f"{API}/products/10002/")
    leaflink.anonymous.get(f"{API}/brands/")  # a 401 still counts
    leaflink.one.put(f"{API}/brands/", json={})  # so does a 405
    leaflink.one.get(f"{API}/brands")  # a missing slash does not
    leaflink.one.get(f"{API}/nope/")  # nor an unknown route
    assert leaflink.control("GET", "requests").json() == {
        "GET /api/v2/products/": 1,
        "GET /api/v2/products/{id}/": 2,
        "GET /api/v2/brands/": 1,
        "PUT /api/v2/brands/": 1,
    }


def test_a_head_and_a_wrong_method_count_under_the_method_they_came_with(leaflink: Running) -> None:
    leaflink.control("DELETE", "requests")
    assert leaflink.one.head(f"{API}/brands/").status_code == 200
    assert leaflink.one.delete(f"{API}/products/10001/").status_code == 405
    assert leaflink.control("GET", "requests").json() == {
        "HEAD /api/v2/brands/": 1,
        "DELETE /api/v2/products/{id}/": 1,
    }


def test_same_seed_same_data_different_seed_different(start: Callable[..., Running]) -> None:
    def snapshot(seed: int) -> tuple[bytes, bytes, bytes]:
        running = start(seed=seed, as_of=AS_OF)
        products = running.one.get(f"{API}/products/", params={"limit": 100}).content
        orders = running.one.get(f"{API}/orders-received/", params={"include_children": "line_items"}).content
        return products, orders, running.one.get(f"{API}/customers/").content

    one, again, other = snapshot(7), snapshot(7), snapshot(8)
    assert one == again
    assert one[0] != other[0] and one[1] != other[1]
    assert one[2] == other[2]  # customers are the same for every seed
    running = start(seed=8, as_of=AS_OF)
    assert running.product(10001)["name"] == "Glacier Lake Blue Dream 3.5g"  # well-known for every seed
    assert running.sandbox.as_of == AS_OF and running.product(10001)["created_on"] < "2025-06-01"
    # Runtime order numbers are deterministic too.
    assert start(seed=3).place()["number"] == start(seed=3).place()["number"]


def test_custom_keys_and_webhook_url(start: Callable[..., Running], receiver: Receiver) -> None:
    running = start(api_keys={"only-two": 2}, webhook_url=f"{receiver.url}/hooks/all", webhook_key="secret")
    assert running.one.get(f"{API}/brands/").status_code == 401
    with httpx2.Client(base_url=running.url, headers={"Authorization": "App only-two"}) as other:
        assert other.get(f"{API}/brands/").json()["results"][0]["id"] == 21
        # Without as_of, seeded timestamps count back from now.
        modified = datetime.fromisoformat(running.product(20001, other)["modified"])
        assert timedelta(0) < datetime.now(UTC) - modified < timedelta(days=200)
    running.place(company_id=2, customer_id=2001, lines=[{"product_id": 20001, "quantity": 12}])
    assert running.sandbox.wait_for_webhooks()
    ((name, raw, headers),) = receiver.posts
    assert name == "all" and headers["ll-signature"] == sign("secret", raw)
    with pytest.raises(ValueError, match="unknown companies"):
        create_app(api_keys={"k": 9})
