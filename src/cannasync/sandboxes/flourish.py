"""A faithful local imitation of Flourish's External API (an ASGI app on Starlette).

cannasync's Flourish connector, its tests, the demo and the benchmark talk to this app over real HTTP on
loopback. It stands for the vendor, so it imports nothing from cannasync outside ``cannasync.sandboxes``
and shares no code with the connector: if the two disagree, that is a finding, not a refactoring.

What it reproduces (see docs ``vendor-apis.md`` §1 and §7):

* Routes under ``/external/api/v1/...``; order creation at ``/external/api/v2/retail-orders/`` (and at the v1
  path, alike: the sandbox has no discount engine to tell them apart). A trailing
  slash is optional everywhere (both forms are served, never redirected).
* Auth by ``x-api-key`` or legacy ``Authorization: Basic base64(username:key)``: a missing or unknown
  key/username answers 401 ``{"error": "Invalid or expired API key"}``; a known but inactive key answers
  403 ``{"error": "API key is not active"}``. Defaults: username ``demo``, active key ``demo-key``,
  inactive key ``inactive-key``.
* ``FacilityID`` header on facility-scoped routes (inventory summary, order create/update, retail
  discounts list/get, sales reps, outbound orders create/list/get/update): missing → 400, unknown → 404.
  ``GET /retail-orders/{id}/`` takes it optionally (choice 30).
* ``GET /facilities/`` and ``GET /facilities/{id}/`` (no ``FacilityID``), ``GET /uoms/`` (paged, choice 31).
* ``GET /items/`` filters on ``item_id`` and ``sku`` (both repeatable) besides the flags, names and times of
  choice 2.
  ``GET /retail-orders/`` is "scoped to a single facility with the FacilityID header, or the company as a
  whole": without the header it lists every facility's orders; with it, that facility's (an unknown
  facility is still a 404).
* Customers are company-scoped: list (with ``last_updated_timestamp_start``/``_end``), get, create and
  ``PUT /customers/{id}/``. ``GET /retail-discounts/`` and ``GET /retail-discounts/{id}/`` list a
  facility's discounts.
* ``offset``/``limit`` paging, ``limit`` silently capped at 50, envelope
  ``{"data": [...], "meta": {"offset", "limit", "next"}}`` where ``next`` is the path and query of the
  next page, or null on the last one.
* The retail-order status machine, and PUT only while Created or Submitted, never changing the status,
  except a PUT setting ``order_status`` ``Cancelled`` on a Created order (choice 29).
* Flourish does **not** deduplicate orders by ``original_order_id``; a second POST is a second order
  (retail or outbound).
* The wholesale side (brands, sales reps, destinations, outbound orders) and outgoing webhooks; see
  "Wholesale" and "Webhooks" below.

Wholesale: brands, sales reps, destinations, outbound orders
------------------------------------------------------------
What the LeafLink ↔ Flourish bridge uses (cannasync issue 6, seed 004):

* ``GET /brands/`` (company, paged, id order) → ``{"id", "brand_name"}``; ``GET /brands/{id}/``. Every
  item's ``brand`` and ``brand_id`` are a pair from this list (choice 20). Items also filter on
  ``brand_id`` (repeatable), beside ``brand_name``.
* ``GET /sales-reps/`` (``FacilityID`` required, paged) → ``{"id", "first_name", "last_name", "email",
  "facility_id"}``: the facility's reps.
* Destinations (wholesale customers; a LeafLink customer is a Flourish destination) are company-scoped:
  ``GET /destinations/`` (paged, id order; filters ``license_number``, case-insensitive, and
  ``external_id``, exact), ``GET /destinations/{id}/``, ``POST /destinations/`` ``{"name",
  "license_number", "address"?: {"address_line_1", "address_line_2", "city", "state", "postcode",
  "country"}, "email"?, "phone"?, "external_id"?}`` → 201 ``{"data": destination}``. A destination is
  ``{"id", "name", "license_number", "address" (all six keys, null when not sent), "email", "phone",
  "external_id", "created_timestamp", "last_updated_timestamp"}``; see choice 22.
* Outbound (wholesale) orders, ``FacilityID`` required on every route:
  ``POST /outbound-orders/`` ``{"original_order_id", "destination_id", "sales_rep_id"?, "order_lines":
  [{"item_id", "order_qty", "unit_price", "sku"?}], "payment_term"?, "notes"?,
  "external_order_number"?}`` → 201 ``{"data": order}``; ``GET /outbound-orders/`` (filters
  ``order_status``, ``original_order_id``, ``destination_id``, ``external_order_number``,
  ``updated_timestamp_start``/``_end``); ``GET /outbound-orders/{id}/``; ``PUT /outbound-orders/{id}/``
  (lines, payment term, notes while Created or Partially Allocated; 409 otherwise; never the status);
  ``POST /outbound-orders/{id}/cancel/`` → 200 ``{"data": order}`` in Cancelled (choice 28).
  An order is ``{"id": "OB-000001", "facility_id", "original_order_id", "external_order_number",
  "destination_id", "destination_name", "destination_license_number", "sales_rep_id", "order_status",
  "payment_term", "notes", "order_lines": [{"item_id", "sku", "item_name", "order_qty", "unit_price",
  "line_total"}], "total", "created_timestamp", "last_updated_timestamp",
  "partially_allocated_timestamp", "allocated_timestamp", "shipped_timestamp", "cancelled_timestamp"}``.
* Statuses ``Created``, ``Partially Allocated``, ``Allocated``, ``Shipped``, ``Cancelled`` (choice 23).
  Orders are created ``Created``; the warehouse moves them (control route): Created → Partially
  Allocated or Allocated; Partially Allocated → Allocated; Allocated → Shipped; Cancelled from any
  status but Shipped and Cancelled (which are final). Anything else is a 409.
* Payment terms: ``payment_term`` is a free string on the order (choice 24), stored and echoed exactly
  as sent, null when absent. The terms the bridge maps to LeafLink are ``LEAFLINK_PAYMENT_TERMS``: Cash
  on Delivery, Consignment, Net 3, Net 7, Net 10, Net 14, Net 15, Net 20, Net 30, Net 60, Net 90,
  Pre-Payment; anything else (``"Net 45"``, ``"COD"``) is stored just the same.

Webhooks (Flourish → subscriber)
--------------------------------
``create_app(..., webhook_url=None, webhook_key="flourish-demo-webhook-key")``, or
``POST /_sandbox/webhooks/config`` ``{"url", "key"?}`` (``url`` null switches them off; ``key`` absent
keeps the current one). Each event is POSTed as ``{"resource_type": "...", "data": {...}}`` (compact
JSON) with ``Content-Type: application/json`` and ``auth-signature: <hex HMAC-SHA256(key, raw body)>``:

* ``item``: the whole item, after a staff edit (``PATCH /_sandbox/items/{id}``) or creation
  (``POST /_sandbox/items``);
* ``inventory_summary``: ``{"item_id", "sku", "brand", "item_name", "facility_id", "sellable_qty",
  "available_qty", "non_available_qty"}``, when the control quantity route changes ``sellable_qty`` (or
  stocks an item at a facility for the first time), and for each facility a created item is stocked at;
* ``retail_order``: the whole retail order, after an API create or PUT, a control status move or a
  control sale;
* ``order``: the whole outbound order (``id``, ``original_order_id``, ``order_status``, ``payment_term``,
  …), after an API create, PUT or cancel, a control status move or a staff edit.

Writes made through the API fire too, so a subscriber that writes to Flourish receives its own echoes
and must recognise them. Delivery is from one background thread per sandbox, in the order the writes
happened, one attempt each (never retried; a failure or non-2xx answer is only logged), with a 5 s
timeout; a webhook may arrive before the API response that caused it. ``FlourishSandbox.webhook_log``
(and ``GET /_sandbox/webhooks``) lists ``{"id", "resource_type", "url", "payload", "signature",
"queued_at", "delivered_at", "status_code", "error"}`` per event; ``status_code`` is null until the
attempt is over (and stays null, with ``error``, when the subscriber could not be reached).
``FlourishSandbox.wait_for_webhooks(timeout)`` (or ``GET /_sandbox/webhooks?wait=<seconds>``) waits for
the queue to drain. Seeding never fires webhooks; neither do deletes, destinations nor reads.

The discount double counting
----------------------------
Flourish's own WooCommerce plugin warns that ``applied_discounts`` are counted twice, so it sends
post-discount unit prices instead. The sandbox reproduces that on purpose, in ``Decimal`` rounded to cents
(ROUND_HALF_UP):

* ``line_total = order_qty * unit_price`` for each line; ``subtotal`` is their sum;
* every applied discount is taken off the line whose ``item_id`` it names, or spread over all lines in
  proportion to their totals when it names none (``line_discount``, leaving ``net_line_total``);
* then the sum of **all** discounts (``total_discounts``) is subtracted **again** from the order total:
  ``total = Σ net_line_total − total_discounts + delivery_fee`` (never below 0).

So an order encoded naively (list prices plus ``applied_discounts``) comes out short by the discount
amount; an order with post-discount unit prices and no ``applied_discounts`` totals correctly.

In-store sales are not double counted: ``POST /_sandbox/sales`` (and the seeded sales history) stands for
a sale rung up at Flourish's own counter, whose discounts are taken off once, through the lines
(``total = Σ net_line_total``). The quirk belongs to how API-created orders encode ``applied_discounts``.

Loyalty data: customers, sales history, retail discounts
--------------------------------------------------------
What a loyalty platform pulls from Flourish (cannasync issue 5):

* Every customer carries ``facility_id``: the facility where it was created (where the shopper shops).
  Seeded customers are spread over the facilities, about one in eight with ``null``; about one in eight
  lives in Ohio (``state`` ``"OH"``, the rest ``"MI"``).
* ``GET /customers/`` takes ``last_updated_timestamp_start``/``_end`` and ``order_by``; with
  ``order_by=last_updated_timestamp`` a client can pull incrementally.
* ``PUT /customers/{id}/`` updates the fields it is given and bumps ``last_updated_timestamp``; it
  answers ``{"data": customer}``.
* Retail orders double as sales history: a completed in-store sale is an order with ``order_status``
  ``Completed``, ``order_origin`` ``"Flourish"``, ``fulfillment_type`` ``"in-store"``,
  ``order_payment_status`` ``"Paid"``, ``original_order_id`` null, and its ``completed_timestamp``.
  Every order (sale or API-created) carries ``facility_id``, ``customer_id``, ``order_lines`` (``item_id``,
  ``sku``, ``order_qty``, ``unit_price``, ``line_total``, ``line_discount``, ``net_line_total``),
  ``applied_discounts``, ``subtotal``, ``total_discounts``, ``total``, ``completed_timestamp`` and
  ``order_origin``. ``GET /retail-orders/`` filters on ``completed_timestamp_start``/``_end``,
  ``order_status`` and ``order_origin``.
* A sale's ``applied_discounts`` are ``{"discount_id", "discount_name", "discount_amount", "item_id"}``
  where ``discount_id`` is the retail discount's id (a string such as ``"501"``), so a loyalty platform
  can match a redemption to the POS discount it triggered.
* Retail discounts: ``{"id", "discount_name", "discount_type": "Percent"|"Dollar", "discount_value",
  "start_date", "end_date", "start_date_time", "end_date_time", "start_time", "end_time",
  "ecommerce_eligible", "facility_id"}``.

Well-known records (present for every seed)
-------------------------------------------
* Facilities ``"101"`` (Great Lakes Provisions - Ann Arbor) and ``"102"`` (… - Grand Rapids); with
  ``create_app(..., facilities=3)`` also ``"103"`` (… - Lansing), a facility a merchant may not have
  mapped, with items stocked there too. The default stays two facilities because the hub's tests and demo
  expect exactly ``["101", "102"]``.
* Customer ``"70001"`` Jordan Rivera, a medical patient: ``patient_id`` ``MED-100200``, phone
  ``5550001111``, email ``jordan.rivera@example.com``, dob ``1985-04-12``, ``facility_id`` ``"101"``.
* Customer ``"70002"`` Casey Morgan, recreational: email ``casey@example.com``, phone ``5550002222``,
  dob ``1992-09-30``, no patient id, ``facility_id`` ``"102"``.
* Six retail discounts per facility, the same at each, ids ``"501"`` upwards in facility order (101:
  501-506, 102: 507-512, 103: 513-518): "Loyalty $5 Off" (Dollar 5), "Loyalty 10% Off" (Percent 10),
  "Loyalty $20 Off" (Dollar 20), "Veterans 10% Off" (Percent 10), "Happy Hour 15% Off" (Percent 15,
  16:00-18:00) and "Spring Sale $10 Off" (Dollar 10, 2025-03-01 to 2025-04-30, expired). The loyalty ones
  ``ecommerce_eligible`` are Loyalty $5 Off, Loyalty 10% Off and Spring Sale; see choice 17.
* With ``create_app(..., sales=N)`` (default 0), up to N completed in-store sales are seeded over the 60
  days before ``as_of`` (default: the sandbox's creation time), at every facility, for seeded customers,
  about a third with one of the facility's all-day discounts. The first two are for Casey Morgan (70002)
  at 102 and Jordan Rivera (70001) at 101. They take order ids ``RO-000001`` upwards in time order, so
  orders created later continue the sequence. Default 0 because the hub's tests and demo count
  Flourish's orders from an empty book.
* Items have ids ``"10001"`` upwards; the malformed ones are listed in ``FlourishSandbox.malformed``
  (id → kind of damage) and ``FlourishSandbox.malformed_ids``.
* Brands ``"301"``-``"315"`` (the generator's) plus the two wholesale brands ``"316"`` **Glacier Lake**
  and ``"317"`` **North Coast** (not to be confused with ``"315"`` North Coast Labs). For every seed and
  catalogue size, up to three items per wholesale brand (six in all; fewer only in a catalogue too small
  to have them) are well-formed, active, ``ecommerce_active``, sellable, priced and in stock at facility
  101: ``FlourishSandbox.wholesale_items`` (item id → brand name), or ``GET /items/?brand_name=Glacier
  Lake``. Their SKUs start ``GLK-`` and ``NCO-``. The bridge's tests can route brand → LeafLink account
  from these two names.
* Sales reps (seed-independent; email ``first.last@greatlakesprovisions.example``): at 101 ``"801"`` Dana
  Whitfield, ``"802"`` Marcus Bell, ``"803"`` Priya Raman; at 102 ``"804"`` Tomasz Kowalczyk, ``"805"``
  Alicia Moreno; at 103 (``facilities=3`` only) ``"806"`` Grace Liu, ``"807"`` Owen Brandt.
* Destinations (seed-independent, Michigan, no ``external_id``): ``"4001"`` Mitten Cannabis Co. - Detroit
  (``AU-R-001204``), ``"4002"`` Harbor Light Dispensary (``AU-R-000932``), ``"4003"`` Upper Peninsula
  Wellness (``AU-R-001577``), ``"4004"`` Kalamazoo Green Market (``AU-R-000645``). Created ones continue
  from ``"4005"``. No outbound orders are seeded; they take ids ``OB-000001`` upwards.

Many facilities (a scale test)
------------------------------
``create_app(..., locations=N)`` (``cannasync sandbox flourish --locations N``) serves N generated
facilities besides the well-known ones, ids ``"1001"`` upwards, named "Great Lakes Provisions - Store
<id>", so that one process stands for a chain of a thousand stores. Items stay company-wide, as in
Flourish: every facility sees the same ``--items`` items; what differs is each facility's stock. A generated
facility stocks about 90% of the well-formed items (every malformed one, so each store has records to
quarantine) with quantities of its own, each row derived from ``(seed, facility id, item id)`` when it is
read and never stored (``flourish_catalog.FleetShelf``), so a thousand facilities cost no start-up time and
no memory until asked. Writes through the control routes are kept on top. Generated facilities have no
retail discounts, sales reps, seeded customers or sales: everything seeded stays as it is without them.

Control routes (no auth, under ``/_sandbox/``; the hub never calls them)
-----------------------------------------------------------------------
``GET health``; ``POST items/{id}/quantity``; ``PATCH items/{id}``; ``DELETE items/{id}``;
``POST retail-orders/{id}/status``; ``GET retail-orders``; ``GET customers``; ``GET|POST|DELETE faults``;
``GET|DELETE requests``; and ``GET art/{item_id}/{kind}.png`` (the image links handed out by the art
route). For the loyalty side:

* ``POST sales`` ``{"facility_id", "customer_id"?, "lines": [{"item_id", "order_qty"?, "unit_price"?}],
  "applied_discounts"?: [{"discount_id", "discount_amount"?, "item_id"?}], "completed_at"?: ISO,
  "is_recreational"?: bool}`` rings up a completed in-store sale → 201 ``{"data": order}``.
* ``POST customers`` (the fields of ``POST /customers/`` plus ``facility_id``) creates a customer as at
  the counter → 201; ``PATCH customers/{id}`` edits one as staff would (the fields ``PUT`` takes, plus
  ``facility_id``), bumping ``last_updated_timestamp`` → 200 ``{"data": customer}``.
* ``GET retail-discounts`` (every facility's); ``POST retail-discounts`` ``{"facility_id",
  "discount_name", "discount_type", "discount_value", "start_date"?, "end_date"?, "start_time"?,
  "end_time"?, "ecommerce_eligible"?}`` → 201 ``{"data": discount}``; ``DELETE retail-discounts/{id}`` →
  204.

For the wholesale side and webhooks:

* ``POST items`` ``{"item_name", "brand" | "brand_id", "retail_price", "sku"?, "item_category"?, "uom"?,
  "active"?, "ecommerce_active"?, "sellable"?, "is_medical"?, …, "stock"?: {"<facility id>":
  sellable_qty}}`` creates an item as staff would (choice 26) → 201 ``{"data": item}``;
  ``PATCH items/{id}`` keeps ``brand``/``brand_id`` consistent (choice 20). Both fire ``item`` webhooks.
* ``POST outbound-orders/{id}/status`` ``{"order_status"}`` moves an order (422 for an unknown status,
  409 for a move the machine does not allow; ``"Canceled"`` is read as Cancelled);
  ``PATCH outbound-orders/{id}`` edits one as staff would (choice 25); ``GET outbound-orders`` (every
  facility's); ``GET destinations``.
* ``GET|POST webhooks/config``; ``GET webhooks`` (the delivery log; ``?wait=<seconds>`` first waits for
  pending deliveries); ``DELETE webhooks`` clears the log.

Faults: ``{"method", "path_prefix", "status", "count", "retry_after"}`` answers the status with
``{"error": "Injected fault"}`` (``after`` lets that many matching requests through first, to break a
read mid-way); ``{"mode": "delay", "delay_seconds"}`` waits before processing;
``{"mode": "timeout_after_commit", "delay_seconds"}`` processes the request fully, then holds the
response back, so a client can time out after Flourish really committed.
Also, shared by the POS sandboxes (``sandboxes/_kit/faults.py``): ``every`` N-th or a seeded ``rate`` of
matching requests, and the modes ``reset``, ``reset_after_commit`` and ``truncate``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

1. Item detail fields: ``med_price`` (number or null; the medical price when it differs), ``price_tiers``
   (``[{"name": "1/8 oz", "quantity": 3.5, "uom": "g", "price": 35.0}]``; present on bulk flower sold by
   the gram, ``[]`` otherwise), ``cannabinoids`` (``[{"name", "value", "uom": "%"|"mg"}]``, % for flower,
   pre-rolls, vapes and concentrates, mg for edibles, tinctures and topicals, ``[]`` for accessories) and
   ``terpenes`` (``[{"name", "value", "uom": "%"}]``). Items also carry ``inventory_type``,
   ``uom_description`` and ``weight_uom_description`` (read by the vendor plugin). Item ``uom`` is
   ``ea`` or ``g`` (bulk flower).
2. Item filters: ``active``, ``ecommerce_active``, ``sellable``, ``is_medical`` take ``true``/``false``
   (anything else → 400); ``item_id`` (repeatable) compares exactly; ``sku``, ``item_category``,
   ``item_name``, ``retail_display_name``, ``inventory_type``, ``uom``, ``strain_name``,
   ``strain_type_name`` (and its documented twin ``item_strain_type_name``), ``ecommerce_item_name``,
   ``ecommerce_category_name``, ``ecommerce_sub_category_name`` and ``brand_name`` (all repeatable) compare
   case-insensitively and exactly; the documented ``item_class``, ``strain_required`` and ``is_external``
   name fields the sandbox's items do not carry, so they are ignored like unknown parameters;
   ``last_updated_timestamp_start``/``_end`` are inclusive; a date alone means midnight UTC. Unknown
   query parameters are ignored, on every route.
3. ``limit`` of 0 or below, or a negative ``offset``, is a 400 like a non-integer one.
4. Inventory summary: the 50-id cap counts ``item_id`` parameters as sent (repeats included); rows
   are ordered by item id, repeated ids collapse, unknown ids are skipped silently; without ``item_id``
   it lists every item stocked at the facility (zero rows included).
   ``available_qty`` equals ``sellable_qty``; orders never change stock (only the control route does).
5. Art: ``expire`` accepts ``<n>[s|m|h|d]`` (default ``1h``; anything else → 400). Links are
   ``/_sandbox/art/<item id>/<kind>.png?expires=<unix ts>``, answer a 1x1 PNG, and 403 once expired.
6. Customers: ``first_name`` and ``last_name`` are required on create as well as ``dob`` (422 naming the
   field); ``medical_card_expiration`` must be YYYY-MM-DD when given. Filters ``first_name``,
   ``last_name``, ``email``, ``patient_id`` and ``state`` compare case-insensitively and exactly;
   ``phone_number`` compares digits only, ignoring a leading US country code ``1``. Creating a customer
   never checks for duplicates.
7. Order create defaults: ``order_status`` absent → ``Created``; ``fulfillment_type`` absent →
   ``pickup``; ``is_recreational`` absent → true; ``delivery_fee`` absent → 0. ``fulfillment_type`` is
   stored and echoed in lower case as sent (``pickup``, ``delivery``, ``in-store``). Numbers in bodies
   must be JSON numbers (numeric strings and booleans are 422s); ids (``customer_id``, ``item_id``) may
   be strings or integers and are compared as strings. A delivery needs a ``delivery_address`` object
   with ``address_line_1``. Lines for inactive or unsellable items are accepted. A discount naming an
   ``item_id`` that is not on the order is a 422.
8. Order fields beyond the contract: each line carries ``line_total`` (qty × price), ``line_discount``
   and ``net_line_total``; per-status timestamps ``submitted_timestamp``, ``packed_timestamp``,
   ``out_for_delivery_timestamp``, ``completed_timestamp``, ``cancelled_timestamp``,
   ``undeliverable_timestamp`` (null until reached); ``order_payment_status`` is always
   ``Awaiting Payment`` on API-created orders (``Paid`` on in-store sales); ``delivery_contact_no`` and
   ``delivery_email`` are echoed. Ids are ``RO-000001`` upwards, shared across facilities and by
   API-created orders and in-store sales. On API-created orders ``applied_discounts[].discount_id`` is
   the integer sent; on sales it is the retail discount's id, a string (choice 17): compare as strings.
9. ``GET /retail-orders/`` also filters on ``original_order_id`` (exact); ``created_timestamp_start`` and
   ``_end`` are inclusive, like ``submitted_``, ``packed_`` and ``completed_timestamp_start``/``_end`` (an order
   that never reached the stage is left out). ``patient_id`` matches the customer's, ``order_fulfillment_type``
   and ``order_payment_status`` case-insensitively. ``is_backorder``, ``is_preorder`` and ``needs_review``
   are documented but the sandbox keeps no such flags on orders: they are ignored. PUT validates the body
   like POST; a missing ``order_status`` keeps the status.
10. Errors: unknown route → 404 ``{"error": "Not found"}`` (under ``/external/`` authentication comes
    first, so an unauthenticated request to an unknown route is a 401); wrong method → 405; body that
    is not JSON → 400 ``{"error": "Request body must be valid JSON"}``; validation errors → 422 with a
    message that names the field.
11. Injected faults fire before authentication (they stand for the gateway in front of Flourish) and on
    ``/external/...`` paths only. ``mode`` defaults to ``status``, ``count`` to 1, ``path_prefix`` to
    ``/external/`` and ``method`` to any; the first matching fault that fires takes the request. ``Retry-After`` is sent
    whenever the fault has ``retry_after``, whatever the status. The status control route answers 422
    for an unknown status name and 409 for a move the machine does not allow.
12. ``/_sandbox/requests`` counts every request that matched a vendor route, as ``"<METHOD> <template>"``
    with the trailing slash for API routes (``"GET /external/api/v1/items/{item_id}/"``). It includes
    requests answered 401/403/4xx or with an injected fault, and art image downloads; it excludes the
    other control routes.
13. Customers' ``facility_id`` is our name for "where the customer was created / shops" (Flourish's
    field, if any, is not public). ``POST /customers/`` is company-scoped and stores ``facility_id``
    null, or the facility of a ``FacilityID`` header if one is sent (unknown → 404). Through the API
    ``facility_id`` is read-only; only the staff-edit control route changes it.
14. ``GET /customers/``: ``last_updated_timestamp_start``/``_end`` are inclusive, parsed like the item
    filters (a date alone is midnight UTC, a bad value a 400). ``order_by`` is ``id`` (the default:
    ascending numeric id) or ``last_updated_timestamp`` (ascending, ties by id); anything else is a 400.
    Paging (``offset``/``limit``/``meta.next``) applies after ordering; ``meta.next`` keeps ``order_by``.
15. ``PUT /customers/{id}/`` is a partial update: fields absent from the body are kept. It takes
    ``first_name``, ``last_name`` (non-empty strings), ``dob`` (YYYY-MM-DD; null or malformed → 422
    ``dob must be YYYY-MM-DD``), ``email``, ``phone``, ``patient_id``, ``state``, ``medical_card_state``
    (strings or null), ``medical_card_expiration`` (YYYY-MM-DD or null), ``is_verified``, ``is_active``
    (booleans), ``available_credit`` (number >= 0) and ``address`` (a list of objects); other keys are
    ignored. ``state`` is stored as sent (not checked to be two letters, like create). Every successful
    PUT bumps ``last_updated_timestamp`` (by at least 1 ms), even one that changes nothing, as a save in
    the POS would; so a client that writes a customer sees its own write come back in an incremental
    pull and must recognise it. An unknown id is a 404 before the body is looked at.
16. ``GET /retail-orders/`` without ``FacilityID`` lists the whole company in id order. ``order_origin``
    compares case-insensitively; ``completed_timestamp_start``/``_end`` are inclusive and leave out
    orders that never completed. A sale's ``created_timestamp``, ``order_timestamp``,
    ``submitted_timestamp``, ``completed_timestamp`` and ``last_updated_timestamp`` are all the moment of
    the sale (``completed_at``, default now): a back-dated sale recorded later is **not** seen by a
    client that only asks for sales completed since its last pull (a late-arriving sale, as when a
    store's terminal syncs late). ``is_recreational`` defaults to true; seeded medical sales (about 80%
    of a patient's) are false and priced at ``med_price`` where the item has one.
17. Retail discounts: ids are numeric strings, ``"501"`` upwards, never reused. The vendor notes say the
    list returns the facility's e-commerce-eligible discounts; the sandbox lists **all** of the
    facility's discounts (a loyalty reward is usually an in-store discount) and takes an optional
    ``ecommerce_eligible=true|false`` filter. A discount of another facility is a 404 on
    ``GET /retail-discounts/{id}/``. ``start_date_time``/``end_date_time`` are derived from the dates
    (midnight UTC and 23:59:59.999 UTC) or null; ``start_time``/``end_time`` are daily ``HH:MM`` or null.
    The seeded discounts are seed-independent. Creating one validates ``discount_type`` (Percent or
    Dollar, any case), ``discount_value`` (> 0, at most 100 for Percent), the dates and times;
    ``ecommerce_eligible`` defaults to false; an unknown facility is a 404. Deleting a discount leaves
    past sales that used it unchanged.
18. ``POST /_sandbox/sales``: ``facility_id`` is required (unknown → 404); ``customer_id`` may be null
    or absent for an anonymous walk-in (an unknown one is a 422); ``order_qty`` defaults to 1 and
    ``unit_price`` to the item's ``retail_price`` (422 if the item has no usable price); unknown items
    are 422s; stock is not changed. Each applied discount must name a discount **of that facility**
    (422 otherwise, even if deleted since); without ``discount_amount`` the amount is worked out from
    the discount: a Dollar discount's value, a Percent discount's share of the sale (or of the named
    item's lines), in cents, never more than what it applies to. The discount is then taken off once
    (see "In-store sales are not double counted" above). Discount time windows and dates are not
    enforced on a control sale; the seeded history only uses all-day discounts valid on the sale's day.
19. The seeded sales history is deterministic for a given ``(items, seed, customers, facilities,
    sales)``, except that its timestamps are offsets (1 hour to 60 days) before ``as_of``; pass a fixed
    ``as_of`` to ``create_app`` for byte-identical sales. Facility 103's stock, the customers'
    ``facility_id`` and ``state``, the discounts and the sales draw from random streams of their own, so
    items, stock at 101/102 and art are the same as before these were added, and the same with two or
    three facilities.
20. Brands: ids are numeric strings like item ids; the list is company-wide and includes brands with no
    items. An item's ``brand`` is the ``brand_name`` of its ``brand_id``. A staff edit or creation naming
    ``brand`` (case-insensitive) or ``brand_id`` sets both (unknown → 422; both given and disagreeing →
    422). The wholesale items are re-branded after generation (``brand``, ``brand_id``, the SKU's brand
    code and the brand inside ``retail_display_name``/``ecommerce_item_name``), from a random stream of
    their own; that is the only change to the generated catalogue, and it is independent of the number of
    facilities.
21. Sales reps are facility-scoped: ``GET /sales-reps/`` lists the ``FacilityID``'s reps only. An
    outbound order's ``sales_rep_id`` must name a rep **of that facility** (unknown → 422, another
    facility's → 422 naming it): orders reach the right facility by sales rep, so a mismatch is a routing
    bug worth hearing about. ``sales_rep_id`` may be null or absent.
22. Destinations: ``name`` and ``license_number`` are required non-empty strings (422 naming the field);
    ``external_id`` may be a string or integer (stored as a string) or null; ``address`` is an object
    whose six known keys are kept (strings or null; other keys dropped). Creating a destination never
    checks for duplicates (same license number or ``external_id`` → a second destination), like
    customers: a client that must create a destination once looks it up first. Destinations cannot be
    edited through the API.
23. The fifth outbound status is ``Cancelled`` (the vendor notes only say it begins with C; "Canceled" in
    the help pages' tables is taken as the same status). The ``order_status`` filter compares
    case-insensitively and answers 400 for a value that is not one of the five (so a misspelling is
    loud, not an empty list). Moves may skip Partially Allocated (Created → Allocated), never Allocated
    (no Created → Shipped); the status changes only through the control route. A move stamps
    ``<status>_timestamp`` and bumps ``last_updated_timestamp``. Outbound orders never change stock.
24. Outbound create: ``order_status`` may be absent or ``Created`` (anything else → 422); lines are
    validated like retail lines (numbers must be JSON numbers; ``sku`` defaults to the item's);
    ``destination_id`` and every ``item_id`` must exist (422); ``line_total`` = qty × price in cents,
    ``total`` = their sum (no discounts, taxes or fees). ``payment_term``, ``notes`` and
    ``external_order_number`` are strings or null. ``original_order_id`` is not deduplicated.
25. ``PUT /outbound-orders/{id}/`` is a **partial** update, unlike the retail PUT: ``order_lines`` (if
    present, replacing every line), ``payment_term``, ``notes``, ``external_order_number`` and
    ``sales_rep_id`` are changed when present and kept when absent (send ``"payment_term": null`` to
    clear it); ``original_order_id``, ``destination_id`` and the rest are ignored. An unknown id is a
    404, then a non-editable order a 409, both before the body is looked at; an ``order_status`` other
    than the current one is a 422. Every successful PUT bumps ``last_updated_timestamp`` and fires an
    ``order`` webhook, even one that changes nothing. The staff edit (``PATCH
    /_sandbox/outbound-orders/{id}``) takes the same fields, ignores ``order_status``, and may change the
    payment term, notes, external order number and sales rep in **any** status (as back-office staff
    can), the lines only while Created or Partially Allocated (409 otherwise).
26. ``POST /_sandbox/items``: ``item_name``, a brand and ``retail_price`` (number >= 0) are required;
    the flags must be booleans; other item fields may be given and are stored as sent; defaults are
    active, ``ecommerce_active``, sellable, not medical, ``uom`` ``ea``, no lab data, ``price`` =
    ``retail_price``, SKU ``<brand code>-<category code>-<id>`` (a SKU already in use → 422). Ids continue
    after the highest item id ever generated or created, never reused. ``stock`` quantities must be
    integers >= 0 at known facilities (404 otherwise).
27. Webhooks: the ``inventory_summary`` event fires only when ``sellable_qty`` actually changes (setting
    the same quantity again is silent); ``item``, ``order`` and ``retail_order`` events fire on every
    successful write, changed or not. No webhook carries an event id or timestamp beyond the record's own
    ``last_updated_timestamp``; a subscriber deduplicates on the record (id and ``last_updated_timestamp``
    or the fields it cares about).
28. Cancelling through the API: the vendor notes are silent, yet LeafLink's Rejected, Canceled and
    Combined orders must cancel the Flourish order, so the sandbox serves ``POST
    /outbound-orders/{id}/cancel/`` (``FacilityID`` required; another facility's order is a 404; a body
    is optional and ignored, but must be JSON if sent). It is the same move as the control route's
    Cancelled: allowed from Created, Partially Allocated and Allocated; a Shipped or already Cancelled
    order is a 409 (not idempotent: read the order first when retrying). It fires an ``order`` webhook.
29. Cancelling a retail order through the API: Flourish's own WooCommerce plugin
    (``flourishsoftware/flourish-woocommerce-b2c``, ``src/Handlers/HandlerOrdersCancel.php``) reads the order
    and, only when its ``order_status`` is ``Created``, sends ``PUT /v1/retail-orders/{id}`` with just
    ``{"original_order_id", "order_timestamp", "order_status": "Cancelled"}``; otherwise it notes "Cannot
    cancel in Flourish". The sandbox does the same: a PUT whose ``order_status`` is Cancelled is a cancel
    (the rest of the body is ignored): a Created order becomes Cancelled (a ``retail_order`` webhook fires),
    an order already Cancelled is answered as it is, any other status is a 409. Whether Flourish would
    cancel a Submitted order this way is not public; the sandbox refuses, as the plugin never tries.
    **A conflict between the vendor's sources**, kept on purpose: the public notes (Postman collection
    "Flourish External API - Docs", ``PUT /v1/retail-orders/{id}``) say the PUT is a full replace that
    "cannot change the status", while the vendor's own plugin changes the status with it, in a *partial*
    body. The sandbox follows the plugin for exactly that case (``order_status`` Cancelled, on a Created
    order) and the notes for every other PUT (full replace; another ``order_status`` is a 422). The plugin
    also lets a store choose whether orders are created ``submitted`` ("Ready to Pack", its default) or
    ``created`` ("Draft") (src/Admin/SettingsPage.php, ``order_status``; HandlerOrdersRetail.php sends it):
    only the second kind can later be cancelled through the API.
30. ``GET /retail-orders/{id}/`` without ``FacilityID`` finds the order in any facility, as the vendor's plugin
    reads it (src/API/FlourishAPI.php ``get_order_by_id`` sends only ``x-api-key``); with the header, an
    order of another facility is a 404 and an unknown facility a 404. The writes (``PUT``) still need it.
31. ``GET /uoms/`` lists ``{"uom", "description"}`` (the fields the B2B plugin reads to build its unit
    drop-down, flourish-woocommerce-b2b ``display_uom_dropdown``) for the units the vendor notes list for
    the item ``uom`` filter: ea, g, kg, mg, oz, lb, ml, l; described as the items' ``uom_description``
    are. Paged like every list. ``GET /facilities/{id}/`` answers the facility as the list does, plus
    ``sales_rep_required_for_outbound`` (false: the B2B plugin reads it before an outbound order); an
    unknown id is a 404.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import hashlib
import hmac
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts, VendorError, VendorRoute
from cannasync.sandboxes._kit.values import cents, digits, iso_ms, later_than, now, number, png
from cannasync.sandboxes.flourish_catalog import (
    ALL_BRANDS,
    FIRST_DESTINATION_ID,
    Brand,
    Sale,
    brand_records,
    discount_record,
    fleet,
    fleet_facility,
    generate_catalogue,
    generate_customers,
    generate_destinations,
    generate_discounts,
    generate_sales,
    generate_sales_reps,
    new_item,
)

JSON = dict[str, Any]

V1 = "/external/api/v1"
V2 = "/external/api/v2"
PAGE_LIMIT = 50
MAX_SUMMARY_IDS = 50

#: Default credentials: API key → (username, active).
DEFAULT_CREDENTIALS: Mapping[str, tuple[str, bool]] = {
    "demo-key": ("demo", True),
    "inactive-key": ("demo", False),
}

ORDER_STATUSES: tuple[str, ...] = (
    "Created",
    "Submitted",
    "Packed",
    "Out for Delivery",
    "Completed",
    "Cancelled",
    "Undeliverable",
)
EDITABLE_STATUSES = frozenset({"Created", "Submitted"})
FINAL_STATUSES = frozenset({"Completed", "Cancelled", "Undeliverable"})
_FORWARD_MOVES: dict[str, frozenset[str]] = {
    "Created": frozenset({"Submitted"}),
    "Submitted": frozenset({"Packed", "Completed"}),
    "Packed": frozenset({"Out for Delivery", "Completed"}),
    "Out for Delivery": frozenset({"Completed"}),
}
FULFILLMENT_TYPES = frozenset({"pickup", "delivery", "in-store"})

#: Outbound (wholesale) order statuses. The vendor notes name four and "one more beginning with C";
#: the sandbox takes Cancelled, spelled as on retail orders (choice 23).
OUTBOUND_STATUSES: tuple[str, ...] = ("Created", "Partially Allocated", "Allocated", "Shipped", "Cancelled")
OUTBOUND_EDITABLE = frozenset({"Created", "Partially Allocated"})
OUTBOUND_FINAL = frozenset({"Shipped", "Cancelled"})
_OUTBOUND_FORWARD: dict[str, frozenset[str]] = {
    "Created": frozenset({"Partially Allocated", "Allocated"}),
    "Partially Allocated": frozenset({"Allocated"}),
    "Allocated": frozenset({"Shipped"}),
}
#: The payment terms LeafLink supports (seed 004). Flourish stores any string; this list is for reference.
LEAFLINK_PAYMENT_TERMS: tuple[str, ...] = (
    "Cash on Delivery",
    "Consignment",
    "Net 3",
    "Net 7",
    "Net 10",
    "Net 14",
    "Net 15",
    "Net 20",
    "Net 30",
    "Net 60",
    "Net 90",
    "Pre-Payment",
)
DEFAULT_WEBHOOK_KEY = "flourish-demo-webhook-key"
WEBHOOK_RESOURCE_TYPES: tuple[str, ...] = ("item", "inventory_summary", "retail_order", "order")
#: Seconds a webhook delivery waits for the subscriber before it is logged as failed.
WEBHOOK_TIMEOUT = 5.0
#: Seconds an idle delivery thread lingers before it exits (a new one starts with the next webhook).
_WEBHOOK_IDLE = 2.0
DISCOUNT_TYPES: tuple[str, ...] = ("Percent", "Dollar")
#: ``GET /uoms/``: the units the vendor notes list for the item ``uom`` filter (ea, g, kg, mg, oz, lb, ml, l),
#: described as the items' ``uom_description`` are (choice 31).
UOMS: tuple[tuple[str, str], ...] = (
    ("ea", "Each"),
    ("g", "Grams"),
    ("kg", "Kilograms"),
    ("mg", "Milligrams"),
    ("oz", "Ounces"),
    ("lb", "Pounds"),
    ("ml", "Milliliters"),
    ("l", "Liters"),
)


class ApiError(VendorError):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status, headers=self.headers)


# --------------------------------------------------------------------------------------------------
# Small pure helpers


def _parse_iso(value: str, name: str, status: int = 400) -> datetime:
    """Parse an ISO 8601 date or datetime; a date alone is midnight UTC, a naive time is UTC."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ApiError(status, f"{name} must be an ISO 8601 datetime") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _later_than(previous: str) -> str:
    """Now, or 1 ms after the stored timestamp ``previous`` (a record's timestamps only go up)."""
    return later_than(_parse_iso(previous, "timestamp"))


def _money(value: Decimal) -> float:
    return float(cents(value))


def _spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally, in cents, the last share taking the remainder."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    shares: list[Decimal] = []
    for weight in weights[:-1]:
        share = amount * weight / total if total else amount / len(weights)
        shares.append(cents(share))
    shares.append(amount - sum(shares, Decimal(0)))
    return shares


_EXPIRE = re.compile(r"^(\d+)([smhd]?)$")
_EXPIRE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _expire_seconds(value: str | None) -> int:
    match = _EXPIRE.match((value or "1h").strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ApiError(400, "expire must look like 30m, 8h or 1d")
    return int(match.group(1)) * _EXPIRE_UNITS[match.group(2)]


# --------------------------------------------------------------------------------------------------
# Order bodies


def _optional_str(body: JSON, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string")
    return value


def _optional_timestamp(body: JSON, name: str) -> str | None:
    value = _optional_str(body, name)
    if value:
        _parse_iso(value, name, status=422)
    return value


def _id_value(value: object, name: str) -> str:
    """Ids may arrive as strings or integers; they are compared as strings."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ApiError(422, f"{name} is required")


@dataclass(frozen=True)
class _Line:
    item_id: str
    sku: str | None
    order_qty: int | float
    unit_price: int | float


@dataclass(frozen=True)
class _Discount:
    #: An integer on API-created orders (as sent); a retail discount's id (a string) on in-store sales.
    discount_id: int | str
    discount_name: str
    discount_amount: int | float
    item_id: str | None


def _parse_lines(raw: object) -> list[_Line]:
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, "order_lines must be a non-empty list")
    lines = []
    for index, line in enumerate(raw):
        where = f"order_lines[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        qty, price = number(line.get("order_qty")), number(line.get("unit_price"))
        if qty is None or qty <= 0:
            raise ApiError(422, f"{where}.order_qty must be a number greater than 0")
        if price is None or price < 0:
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        sku = line.get("sku")
        if sku is not None and not isinstance(sku, str):
            raise ApiError(422, f"{where}.sku must be a string")
        lines.append(_Line(_id_value(line.get("item_id"), f"{where}.item_id"), sku, qty, price))
    return lines


def _parse_discounts(raw: object, lines: Sequence[_Line]) -> list[_Discount]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError(422, "applied_discounts must be a list")
    on_order = {line.item_id for line in lines}
    discounts = []
    for index, discount in enumerate(raw):
        where = f"applied_discounts[{index}]"
        if not isinstance(discount, dict):
            raise ApiError(422, f"{where} must be an object")
        discount_id, amount = discount.get("discount_id"), number(discount.get("discount_amount"))
        if not isinstance(discount_id, int) or isinstance(discount_id, bool):
            raise ApiError(422, f"{where}.discount_id must be an integer")
        if amount is None or amount < 0:
            raise ApiError(422, f"{where}.discount_amount must be a number >= 0")
        name = discount.get("discount_name") or ""
        if not isinstance(name, str):
            raise ApiError(422, f"{where}.discount_name must be a string")
        item_id = discount.get("item_id")
        if item_id is not None:
            item_id = _id_value(item_id, f"{where}.item_id")
            if item_id not in on_order:
                raise ApiError(422, f"{where}.item_id {item_id} is not on the order")
        discounts.append(_Discount(discount_id, name, amount, item_id))
    return discounts


def _canonical_status(value: object, allowed: Iterable[str], name: str = "order_status") -> str:
    if isinstance(value, str):
        for status in allowed:
            if status.lower() == value.strip().lower():
                return status
    raise ApiError(422, f"{name} must be one of: {', '.join(allowed)}")


def _parse_order_body(body: JSON, statuses: Sequence[str] = ("Submitted", "Created")) -> JSON:
    """Validate the shape of a create/replace body; existence checks happen against the state.

    ``statuses`` are the ``order_status`` values accepted: create takes only Submitted or Created,
    while replace parses any status so that an attempted change is reported as such.
    """
    original_order_id = body.get("original_order_id")
    if not isinstance(original_order_id, str) or not original_order_id.strip():
        raise ApiError(422, "original_order_id is required (string)")
    customer_id = _id_value(body.get("customer_id"), "customer_id")
    is_recreational = body.get("is_recreational", True)
    if not isinstance(is_recreational, bool):
        raise ApiError(422, "is_recreational must be a boolean")
    status = body.get("order_status")
    if status is not None:
        status = _canonical_status(status, statuses)
    fulfillment = body.get("fulfillment_type", "pickup")
    if not isinstance(fulfillment, str) or fulfillment.strip().lower() not in FULFILLMENT_TYPES:
        raise ApiError(422, "fulfillment_type must be one of: pickup, delivery, in-store")
    fulfillment = fulfillment.strip().lower()
    address = body.get("delivery_address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "delivery_address must be an object")
    if fulfillment == "delivery" and not (address and address.get("address_line_1")):
        raise ApiError(422, "delivery_address is required for delivery orders")
    raw_fee = body.get("delivery_fee")
    fee = 0 if raw_fee is None else number(raw_fee)
    if fee is None or fee < 0:
        raise ApiError(422, "delivery_fee must be a number >= 0")
    lines = _parse_lines(body.get("order_lines"))
    return {
        "original_order_id": original_order_id,
        "customer_id": customer_id,
        "is_recreational": is_recreational,
        "order_status": status,
        "fulfillment_type": fulfillment,
        "order_timestamp": _optional_timestamp(body, "order_timestamp"),
        "notes": _optional_str(body, "notes"),
        "expected_pickup_timestamp": _optional_timestamp(body, "expected_pickup_timestamp"),
        "expected_delivery_timestamp": _optional_timestamp(body, "expected_delivery_timestamp"),
        "delivery_address": (
            {key: address.get(key) for key in ("address_line_1", "address_line_2", "city", "state", "postcode")}
            if address
            else None
        ),
        "delivery_contact_no": _optional_str(body, "delivery_contact_no"),
        "delivery_email": _optional_str(body, "delivery_email"),
        "delivery_fee": fee,
        "order_lines": lines,
        "applied_discounts": _parse_discounts(body.get("applied_discounts"), lines),
    }


def _compute_totals(
    lines: Sequence[_Line], discounts: Sequence[_Discount], delivery_fee: int | float, *, double_count: bool = True
) -> tuple[list[JSON], JSON]:
    """Line rows and order totals, double counting discounts as Flourish does (see the module docstring).

    ``double_count=False`` (in-store sales) takes the discounts off once, through the lines only.
    """
    line_totals = [cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price))) for line in lines]
    line_discounts = [Decimal(0)] * len(lines)
    for discount in discounts:
        amount = cents(Decimal(str(discount.discount_amount)))
        targets = [
            index for index, line in enumerate(lines) if discount.item_id is None or line.item_id == discount.item_id
        ]
        for index, share in zip(targets, _spread(amount, [line_totals[i] for i in targets]), strict=True):
            line_discounts[index] += share
    net = [total - discount for total, discount in zip(line_totals, line_discounts, strict=True)]
    total_discounts = sum((cents(Decimal(str(d.discount_amount))) for d in discounts), Decimal(0))
    # ``delivery_fee`` is the retail order's only fee field and the body takes it whatever the
    # ``fulfillment_type`` (POST /v1/retail-orders body fields, vendor-apis.md): it is added to every order's
    # total, a pickup's as well as a delivery's.
    fee = cents(Decimal(str(delivery_fee)))
    again = total_discounts if double_count else Decimal(0)
    total = max(sum(net, Decimal(0)) - again + fee, Decimal(0))
    rows = [
        {
            "item_id": line.item_id,
            "sku": line.sku,
            "order_qty": line.order_qty,
            "unit_price": line.unit_price,
            "line_total": _money(line_total),
            "line_discount": _money(line_discount),
            "net_line_total": _money(line_net),
        }
        for line, line_total, line_discount, line_net in zip(lines, line_totals, line_discounts, net, strict=True)
    ]
    totals = {
        "subtotal": _money(sum(line_totals, Decimal(0))),
        "total_discounts": _money(total_discounts),
        "delivery_fee": _money(fee),
        "total": _money(total),
    }
    return rows, totals


# --------------------------------------------------------------------------------------------------
# State


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix="/external/", invalid=lambda message: ApiError(422, message))


class SlashFaults(_faults.Faults):
    """The kit's fault list, matched as Flourish's gateway sees a path: with its trailing slash.

    Both forms of a path are served, so a fault on ``/external/api/v1/items/`` must also strike a request for
    ``/external/api/v1/items``: the path is offered with a trailing slash as well as as sent.
    """

    def take(self, method: str, *paths: str) -> Fault | None:
        return super().take(method, *paths, *(path.rstrip("/") + "/" for path in paths))


class FlourishSandbox:
    """The sandbox's in-memory state: catalogue, stock, customers, retail discounts, orders (API-created
    orders and in-store sales), the wholesale side (brands, sales reps, destinations, outbound orders),
    outgoing webhooks, faults and request counts.

    Every public method takes ``lock`` because uvicorn may serve from several threads and tests read the
    state directly. Stored records are never mutated once stored; updates replace the record
    (copy-on-write). So a record returned by a method is a stable snapshot and can be serialised after
    the lock is released, without deep copies.
    """

    def __init__(
        self,
        *,
        items: int = 200,
        seed: int = 1,
        credentials: Mapping[str, tuple[str, bool]] = DEFAULT_CREDENTIALS,
        customers: int = 20,
        facilities: int = 2,
        sales: int = 0,
        as_of: datetime | None = None,
        webhook_url: str | None = None,
        webhook_key: str = DEFAULT_WEBHOOK_KEY,
        locations: int = 0,
    ) -> None:
        if locations < 0:
            raise ValueError("locations must be >= 0")
        self.lock = threading.Lock()
        self.seed = seed
        self._webhook_url: str | None = None
        self._webhook_key = DEFAULT_WEBHOOK_KEY
        self._webhooks: dict[int, JSON] = {}
        self._next_webhook = 1
        self._webhook_queue: queue.Queue[tuple[int, str, bytes, str]] = queue.Queue()
        self._webhook_worker: threading.Thread | None = None
        self._webhook_pending = 0
        self._webhook_idle = threading.Condition(self.lock)
        #: The instant the seeded sales history is counted back from (creation time unless given; naive = UTC).
        moment = as_of or now()
        self.as_of = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        self.credentials: dict[str, tuple[str, bool]] = dict(credentials)
        catalogue = generate_catalogue(items, seed, facilities)
        self.facilities: dict[str, JSON] = {facility["id"]: facility for facility in catalogue.facilities}
        self._items: list[JSON] = catalogue.items
        self._item_keys: list[int] = [int(item["id"]) for item in self._items]
        self._items_by_id: dict[str, JSON] = {item["id"]: item for item in self._items}
        #: Facility id → item id → quantities; a generated facility's map is a ``FleetShelf`` (derived rows).
        self.stock: dict[str, MutableMapping[str, dict[str, int]]] = dict(catalogue.stock)
        self.art: dict[str, tuple[str, ...]] = catalogue.art
        #: Malformed item id → kind of damage (see ``flourish_catalog.MALFORMED_KINDS``).
        self.malformed: dict[str, str] = dict(catalogue.malformed)
        self._customers: dict[str, JSON] = {
            c["id"]: c for c in generate_customers(seed, customers, tuple(self.facilities))
        }
        self._next_customer = 70001 + len(self._customers)
        self._discounts: dict[str, JSON] = {d["id"]: d for d in generate_discounts(tuple(self.facilities))}
        self._next_discount = max((int(d) for d in self._discounts), default=500) + 1
        self._orders: dict[str, JSON] = {}
        self._next_order = 1
        self.faults = SlashFaults()
        self.requests = RequestCounts()
        history = generate_sales(
            seed,
            sales,
            as_of=self.as_of,
            items=self._items,
            stock=self.stock,
            malformed=self.malformed,
            customers=list(self._customers.values()),
            discounts=list(self._discounts.values()),
        )
        for sale in history:
            self._record_sale(_seeded_sale(sale, self._discounts))

        # Wholesale (issue 6): brands, sales reps, destinations, outbound orders.
        #: Item id → wholesale brand name ("Glacier Lake" / "North Coast") for the re-branded items.
        self.wholesale_items: dict[str, str] = dict(catalogue.wholesale)
        self.brands: list[JSON] = brand_records()
        self._brands_by_id: dict[str, Brand] = {brand.id: brand for brand in ALL_BRANDS}
        self._brands_by_name: dict[str, Brand] = {brand.name.lower(): brand for brand in ALL_BRANDS}
        self._sales_reps: dict[str, JSON] = {rep["id"]: rep for rep in generate_sales_reps(tuple(self.facilities))}
        self._destinations: dict[str, JSON] = {d["id"]: d for d in generate_destinations()}
        self._next_destination = FIRST_DESTINATION_ID + len(self._destinations)
        self._outbound: dict[str, JSON] = {}
        self._next_outbound = 1
        self._next_item = max(self._item_keys, default=10000) + 1

        # Generated facilities come after everything seeded over the well-known ones (customers, discounts,
        # sales, reps), so that those are the same with or without them.
        self.stock.update(fleet(seed, locations, catalogue.items, catalogue.malformed))
        self.facilities.update((record["id"], record) for record in map(fleet_facility, range(locations)))

        # Webhooks are switched on last, so that seeding never fires any.
        self.configure_webhooks(webhook_url, webhook_key)

    # -- auth ------------------------------------------------------------------------------------

    def authenticate(self, api_key: str | None, authorization: str | None) -> None:
        """Raise the 401/403 Flourish answers, or return when the caller may proceed."""
        username: str | None = None
        if api_key:
            key = api_key.strip()
        elif authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(401, "Invalid or expired API key") from None
            username, _, key = decoded.partition(":")
        else:
            raise ApiError(401, "Invalid or expired API key")
        known = self.credentials.get(key)
        if known is None or (username is not None and username != known[0]):
            raise ApiError(401, "Invalid or expired API key")
        if not known[1]:
            raise ApiError(403, "API key is not active")

    def facility(self, facility_id: str | None) -> str:
        if facility_id is None or not facility_id.strip():
            raise ApiError(400, "FacilityID header is required")
        facility_id = facility_id.strip()
        if facility_id not in self.facilities:
            raise ApiError(404, f"Facility {facility_id} not found")
        return facility_id

    def optional_facility(self, facility_id: str | None) -> str | None:
        """For routes that serve one facility with the header, or the whole company without it."""
        if facility_id is None:
            return None
        if not facility_id.strip():
            raise ApiError(400, "FacilityID header must name a facility when it is sent")
        return self.facility(facility_id)

    def facility_records(self) -> list[JSON]:
        """Facilities as ``GET /facilities/`` serves them, id order of creation."""
        return [self._facility_json(record) for record in self.facilities.values()]

    def facility_record(self, facility_id: str) -> JSON:
        record = self.facilities.get(facility_id)
        if record is None:
            raise ApiError(404, f"Facility {facility_id} not found")
        return self._facility_json(record)

    @staticmethod
    def _facility_json(record: JSON) -> JSON:
        # ``sales_rep_required_for_outbound`` is what the B2B plugin reads from a facility before it places an
        # outbound order (flourish-woocommerce-b2b, validate_facility_config); the sandbox never requires one
        # (choice 21: ``sales_rep_id`` may be null).
        return {**record, "sales_rep_required_for_outbound": False}

    @staticmethod
    def uoms() -> list[JSON]:
        """The units of measure (choice 31); the items' ``uom_description`` use the same wording."""
        return [{"uom": uom, "description": description} for uom, description in UOMS]

    # -- items -----------------------------------------------------------------------------------

    @property
    def malformed_ids(self) -> frozenset[str]:
        return frozenset(self.malformed)

    def items(self) -> list[JSON]:
        """All items, id order (a new list of the stored snapshots)."""
        with self.lock:
            return list(self._items)

    def list_items(self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int) -> tuple[list[JSON], bool]:
        with self.lock:
            return _window(self._items, predicate, offset, limit)

    def get_item(self, item_id: str) -> JSON:
        with self.lock:
            return self._item(item_id)

    def _item(self, item_id: str) -> JSON:
        item = self._items_by_id.get(item_id)
        if item is None:
            raise ApiError(404, f"Item {item_id} not found")
        return item

    def item_art(self, item_id: str) -> tuple[str, ...]:
        with self.lock:
            self._item(item_id)
            return self.art.get(item_id, ())

    def inventory_summary(
        self, facility_id: str, item_ids: Sequence[str] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            stocked = self.stock[facility_id]
            if item_ids is None:
                items, more = _window(self._items, lambda item: item["id"] in stocked, offset, limit)
            else:
                wanted = sorted({item_id for item_id in item_ids if item_id in self._items_by_id}, key=_numeric_key)
                items = [self._items_by_id[item_id] for item_id in wanted[offset : offset + limit]]
                more = len(wanted) > offset + limit
            rows = []
            for item in items:
                quantities = stocked.get(item["id"], {})
                rows.append(
                    {
                        "item_id": item["id"],
                        "sku": item["sku"],
                        "item_name": item["item_name"],
                        "sellable_qty": quantities.get("sellable_qty", 0),
                        "available_qty": quantities.get("available_qty", 0),
                        "non_available_qty": quantities.get("non_available_qty", 0),
                    }
                )
            return rows, more

    def set_quantity(self, item_id: str, facility_id: str, sellable_qty: int, available_qty: int | None = None) -> JSON:
        """Set an item's stock at a facility; an ``inventory_summary`` webhook fires if ``sellable_qty`` changed."""
        with self.lock:
            item = self._item(item_id)
            if facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            current = self.stock[facility_id].get(item_id)
            row = {
                "sellable_qty": sellable_qty,
                "available_qty": sellable_qty if available_qty is None else available_qty,
                "non_available_qty": current["non_available_qty"] if current else 0,
            }
            self.stock[facility_id][item_id] = row
            if current is None or current["sellable_qty"] != sellable_qty:
                self._emit("inventory_summary", _inventory_event(item, facility_id, row))
            return {"item_id": item_id, "facility_id": facility_id, **row}

    def _resolve_brand(self, changes: JSON) -> JSON:
        """Keep ``brand`` and ``brand_id`` consistent with the brand list when a write names either."""
        if "brand" not in changes and "brand_id" not in changes:
            return changes
        by_name = by_id = None
        if "brand" in changes:
            name = changes["brand"]
            by_name = self._brands_by_name.get(name.strip().lower()) if isinstance(name, str) else None
            if by_name is None:
                raise ApiError(422, f"brand {name!r} is not in the brand list")
        if "brand_id" in changes:
            raw = changes["brand_id"]
            by_id = self._brands_by_id.get(str(raw)) if isinstance(raw, str | int) else None
            if by_id is None or isinstance(raw, bool):
                raise ApiError(422, f"brand_id {raw!r} is not in the brand list")
        if by_name is not None and by_id is not None and by_name != by_id:
            raise ApiError(422, f"brand {by_name.name!r} does not have brand_id {by_id.id}")
        brand = by_name or by_id
        assert brand is not None
        return {**changes, "brand": brand.name, "brand_id": brand.id}

    def patch_item(self, item_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` into the item and bump ``last_updated_timestamp`` (unless given).

        ``brand``/``brand_id`` are resolved against the brand list (either one sets both). An ``item``
        webhook fires with the new record.
        """
        if "id" in changes and str(changes["id"]) != item_id:
            raise ApiError(422, "id cannot be changed")
        changes = self._resolve_brand(changes)
        with self.lock:
            old = self._item(item_id)
            new = {**old, **changes, "id": item_id}
            if "last_updated_timestamp" not in changes:
                new["last_updated_timestamp"] = _later_than(old["last_updated_timestamp"])
            index = bisect.bisect_left(self._item_keys, int(item_id))
            self._items[index] = new
            self._items_by_id[item_id] = new
            self._emit("item", new)
            return new

    def create_item(self, fields: JSON, stock: Mapping[str, int]) -> JSON:
        """A new item (the control route ``POST /_sandbox/items``), with optional stock per facility.

        Fires an ``item`` webhook, then an ``inventory_summary`` one per facility stocked.
        """
        fields = self._resolve_brand(fields)
        with self.lock:
            for facility_id in stock:
                if facility_id not in self.facilities:
                    raise ApiError(404, f"Facility {facility_id} not found")
            sku = fields.get("sku")
            clash = next((item["id"] for item in self._items if sku is not None and item["sku"] == sku), None)
            if clash is not None:
                raise ApiError(422, f"sku {sku} is already used by item {clash}")
            item_id = str(self._next_item)
            self._next_item += 1
            brand = self._brands_by_id[fields["brand_id"]]
            item = new_item(item_id, brand, fields, iso_ms(now()))
            self._items.append(item)
            self._item_keys.append(int(item_id))
            self._items_by_id[item_id] = item
            self._emit("item", item)
            for facility_id, sellable_qty in stock.items():
                row = {"sellable_qty": sellable_qty, "available_qty": sellable_qty, "non_available_qty": 0}
                self.stock[facility_id][item_id] = row
                self._emit("inventory_summary", _inventory_event(item, facility_id, row))
            return item

    def delete_item(self, item_id: str) -> None:
        with self.lock:
            self._item(item_id)
            index = bisect.bisect_left(self._item_keys, int(item_id))
            del self._items[index]
            del self._item_keys[index]
            del self._items_by_id[item_id]
            self.art.pop(item_id, None)
            for stocked in self.stock.values():
                stocked.pop(item_id, None)

    # -- customers -------------------------------------------------------------------------------

    def customers(self) -> list[JSON]:
        with self.lock:
            return list(self._customers.values())

    def list_customers(
        self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int, order_by: str = "id"
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            records: Iterable[JSON] = self._customers.values()
            if order_by == "last_updated_timestamp":
                records = sorted(records, key=lambda c: (c["last_updated_timestamp"], _numeric_key(c["id"])))
            return _window(records, predicate, offset, limit)

    def get_customer(self, customer_id: str) -> JSON:
        with self.lock:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            return customer

    def create_customer(self, fields: JSON, facility_id: str | None = None) -> JSON:
        """A new customer; ``facility_id`` is where it was created (null through the company-wide API)."""
        with self.lock:
            if facility_id is not None and facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            customer_id = str(self._next_customer)
            self._next_customer += 1
            stamp = iso_ms(now())
            customer = {
                "id": customer_id,
                **fields,
                "facility_id": facility_id,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
            }
            self._customers[customer_id] = customer
            return customer

    def update_customer(self, customer_id: str, changes: JSON) -> JSON:
        """Merge ``changes`` (already validated) and bump ``last_updated_timestamp``, even if nothing changed."""
        with self.lock:
            old = self._customers.get(customer_id)
            if old is None:
                raise ApiError(404, f"Customer {customer_id} not found")
            facility_id = changes.get("facility_id")
            if facility_id is not None and facility_id not in self.facilities:
                raise ApiError(404, f"Facility {facility_id} not found")
            new = {**old, **changes, "id": customer_id}
            new["last_updated_timestamp"] = _later_than(old["last_updated_timestamp"])
            self._customers[customer_id] = new
            return new

    # -- retail discounts --------------------------------------------------------------------------

    def discounts(self) -> list[JSON]:
        with self.lock:
            return list(self._discounts.values())

    def list_discounts(
        self, facility_id: str, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(discount: JSON) -> bool:
            return discount["facility_id"] == facility_id and (predicate is None or predicate(discount))

        with self.lock:
            return _window(self._discounts.values(), matches, offset, limit)

    def get_discount(self, discount_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            discount = self._discounts.get(discount_id)
            if discount is None or (facility_id is not None and discount["facility_id"] != facility_id):
                raise ApiError(404, f"Retail discount {discount_id} not found")
            return discount

    def create_discount(self, fields: JSON) -> JSON:
        with self.lock:
            if fields["facility_id"] not in self.facilities:
                raise ApiError(404, f"Facility {fields['facility_id']} not found")
            discount_id = str(self._next_discount)
            self._next_discount += 1
            discount = discount_record(discount_id, **fields)
            self._discounts[discount_id] = discount
            return discount

    def delete_discount(self, discount_id: str) -> None:
        """Remove a discount; sales that used it keep their ``applied_discounts`` as they were."""
        with self.lock:
            if self._discounts.pop(discount_id, None) is None:
                raise ApiError(404, f"Retail discount {discount_id} not found")

    # -- orders ----------------------------------------------------------------------------------

    def orders(self) -> list[JSON]:
        with self.lock:
            return list(self._orders.values())

    def _check_references(self, parsed: JSON) -> None:
        if parsed["customer_id"] not in self._customers:
            raise ApiError(422, f"Customer {parsed['customer_id']} not found")
        for index, line in enumerate(parsed["order_lines"]):
            if line.item_id not in self._items_by_id:
                raise ApiError(422, f"order_lines[{index}].item_id {line.item_id} not found")

    def _order_body(self, parsed: JSON) -> JSON:
        """The editable part of a stored order, with line rows and totals."""
        lines = [
            line
            if line.sku is not None
            else _Line(line.item_id, self._items_by_id[line.item_id]["sku"], line.order_qty, line.unit_price)
            for line in parsed["order_lines"]
        ]
        rows, totals = _compute_totals(lines, parsed["applied_discounts"], parsed["delivery_fee"])
        editable = {k: v for k, v in parsed.items() if k not in ("order_status", "order_lines", "applied_discounts")}
        return {
            **editable,
            "order_lines": rows,
            "applied_discounts": [asdict(discount) for discount in parsed["applied_discounts"]],
            **totals,
        }

    def create_order(self, facility_id: str, parsed: JSON) -> JSON:
        with self.lock:
            self._check_references(parsed)
            order_id = f"RO-{self._next_order:06d}"
            self._next_order += 1
            status = parsed["order_status"] or "Created"
            stamp = iso_ms(now())
            order = {
                "id": order_id,
                "facility_id": facility_id,
                "order_status": status,
                "order_origin": "Online",
                "order_payment_status": "Awaiting Payment",
                **self._order_body(parsed),
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
                **{_status_stamp_key(s): None for s in ORDER_STATUSES[1:]},
            }
            if status == "Submitted":
                order["submitted_timestamp"] = stamp
            self._orders[order_id] = order
            self._emit("retail_order", order)
            return order

    def record_sale(self, parsed: JSON) -> JSON:
        """A completed in-store sale rung up at the counter (the control route ``POST /_sandbox/sales``)."""
        with self.lock:
            return self._record_sale(parsed)

    def _record_sale(self, parsed: JSON) -> JSON:
        facility_id = parsed["facility_id"]
        if facility_id not in self.facilities:
            raise ApiError(404, f"Facility {facility_id} not found")
        customer_id = parsed["customer_id"]
        if customer_id is not None and customer_id not in self._customers:
            raise ApiError(422, f"Customer {customer_id} not found")
        lines: list[_Line] = []
        for index, (item_id, qty, price) in enumerate(parsed["lines"]):
            item = self._items_by_id.get(item_id)
            if item is None:
                raise ApiError(422, f"lines[{index}].item_id {item_id} not found")
            if price is None:
                price = number(item.get("retail_price"))
                if price is None or price < 0:
                    raise ApiError(422, f"lines[{index}].unit_price is required: item {item_id} has no usable price")
            lines.append(_Line(item_id, item["sku"], qty, price))
        line_totals = {line.item_id: Decimal(0) for line in lines}
        for line in lines:
            line_totals[line.item_id] += cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price)))
        discounts: list[_Discount] = []
        for index, (discount_id, amount, item_id) in enumerate(parsed["applied_discounts"]):
            where = f"applied_discounts[{index}]"
            discount = self._discounts.get(discount_id)
            if discount is None:
                raise ApiError(422, f"{where}.discount_id {discount_id} not found")
            if discount["facility_id"] != facility_id:
                raise ApiError(422, f"{where}.discount_id {discount_id} belongs to facility {discount['facility_id']}")
            if item_id is not None and item_id not in line_totals:
                raise ApiError(422, f"{where}.item_id {item_id} is not on the sale")
            if amount is None:
                amount = _money(_discount_amount(discount, line_totals, item_id))
            discounts.append(_Discount(discount_id, discount["discount_name"], amount, item_id))
        rows, totals = _compute_totals(lines, discounts, 0, double_count=False)
        stamp = iso_ms(parsed["completed_at"] or now())
        order_id = f"RO-{self._next_order:06d}"
        self._next_order += 1
        order = {
            "id": order_id,
            "facility_id": facility_id,
            "order_status": "Completed",
            "order_origin": "Flourish",
            "order_payment_status": "Paid",
            "original_order_id": None,
            "customer_id": customer_id,
            "is_recreational": parsed["is_recreational"],
            "fulfillment_type": "in-store",
            "order_timestamp": stamp,
            "notes": None,
            "expected_pickup_timestamp": None,
            "expected_delivery_timestamp": None,
            "delivery_address": None,
            "delivery_contact_no": None,
            "delivery_email": None,
            "order_lines": rows,
            "applied_discounts": [asdict(discount) for discount in discounts],
            **totals,
            "created_timestamp": stamp,
            "last_updated_timestamp": stamp,
            **{_status_stamp_key(s): None for s in ORDER_STATUSES[1:]},
            "submitted_timestamp": stamp,
            "completed_timestamp": stamp,
        }
        self._orders[order_id] = order
        self._emit("retail_order", order)
        return order

    def list_orders(
        self, facility_id: str | None, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(order: JSON) -> bool:
            if facility_id is not None and order["facility_id"] != facility_id:
                return False
            return predicate is None or predicate(order)

        with self.lock:
            return _window(self._orders.values(), matches, offset, limit)

    def get_order(self, order_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            return self._order(order_id, facility_id)

    def _order(self, order_id: str, facility_id: str | None) -> JSON:
        order = self._orders.get(order_id)
        if order is None or (facility_id is not None and order["facility_id"] != facility_id):
            raise ApiError(404, f"Retail order {order_id} not found")
        return order

    def replace_order(self, order_id: str, facility_id: str, parsed: JSON) -> JSON:
        """PUT: replace the editable fields while Created or Submitted; the status cannot change."""
        with self.lock:
            old = self._order(order_id, facility_id)
            _check_editable(old)
            if parsed["order_status"] is not None and parsed["order_status"] != old["order_status"]:
                raise ApiError(422, "order_status cannot be changed through the API")
            self._check_references(parsed)
            new = {
                **old,
                **self._order_body(parsed),
                "last_updated_timestamp": _later_than(old["last_updated_timestamp"]),
            }
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new

    def cancel_order(self, order_id: str, facility_id: str) -> JSON:
        """A PUT whose ``order_status`` is Cancelled: the one status change the API makes (choice 29)."""
        with self.lock:
            old = self._order(order_id, facility_id)
            if old["order_status"] == "Cancelled":
                return old
            if old["order_status"] != "Created":
                raise ApiError(409, f"Order {order_id} is {old['order_status']}; only a Created order can be cancelled")
            stamp = _later_than(old["last_updated_timestamp"])
            new = {**old, "order_status": "Cancelled", "last_updated_timestamp": stamp}
            new[_status_stamp_key("Cancelled")] = stamp
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new

    def move_order(self, order_id: str, status: str) -> JSON:
        """Move an order along the status machine, as staff would in the POS."""
        with self.lock:
            old = self._order(order_id, None)
            current = old["order_status"]
            forward = status in _FORWARD_MOVES.get(current, frozenset())
            abandon = status in ("Cancelled", "Undeliverable") and current not in FINAL_STATUSES
            if not (forward or abandon):
                raise ApiError(409, f"Order {order_id} cannot move from {current} to {status}")
            stamp = _later_than(old["last_updated_timestamp"])
            new = {**old, "order_status": status, "last_updated_timestamp": stamp}
            new[_status_stamp_key(status)] = stamp
            self._orders[order_id] = new
            self._emit("retail_order", new)
            return new

    # -- wholesale: brands, sales reps, destinations -------------------------------------------------

    def get_brand(self, brand_id: str) -> JSON:
        brand = self._brands_by_id.get(brand_id)
        if brand is None:
            raise ApiError(404, f"Brand {brand_id} not found")
        return {"id": brand.id, "brand_name": brand.name}

    def sales_reps(self, facility_id: str | None = None) -> list[JSON]:
        with self.lock:
            return [
                rep for rep in self._sales_reps.values() if facility_id is None or rep["facility_id"] == facility_id
            ]

    def destinations(self) -> list[JSON]:
        with self.lock:
            return list(self._destinations.values())

    def list_destinations(
        self, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        with self.lock:
            return _window(self._destinations.values(), predicate, offset, limit)

    def get_destination(self, destination_id: str) -> JSON:
        with self.lock:
            destination = self._destinations.get(destination_id)
            if destination is None:
                raise ApiError(404, f"Destination {destination_id} not found")
            return destination

    def create_destination(self, fields: JSON) -> JSON:
        """A new destination (wholesale customer); never checked for duplicates (choice 22)."""
        with self.lock:
            destination_id = str(self._next_destination)
            self._next_destination += 1
            stamp = iso_ms(now())
            destination = {
                "id": destination_id,
                **fields,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
            }
            self._destinations[destination_id] = destination
            return destination

    # -- wholesale: outbound orders ------------------------------------------------------------------

    def outbound_orders(self) -> list[JSON]:
        with self.lock:
            return list(self._outbound.values())

    def _outbound_order(self, order_id: str, facility_id: str | None) -> JSON:
        order = self._outbound.get(order_id)
        if order is None or (facility_id is not None and order["facility_id"] != facility_id):
            raise ApiError(404, f"Outbound order {order_id} not found")
        return order

    def get_outbound(self, order_id: str, facility_id: str | None = None) -> JSON:
        with self.lock:
            return self._outbound_order(order_id, facility_id)

    def list_outbound(
        self, facility_id: str, predicate: Callable[[JSON], bool] | None, offset: int, limit: int
    ) -> tuple[list[JSON], bool]:
        def matches(order: JSON) -> bool:
            return order["facility_id"] == facility_id and (predicate is None or predicate(order))

        with self.lock:
            return _window(self._outbound.values(), matches, offset, limit)

    def _check_sales_rep(self, sales_rep_id: str | None, facility_id: str) -> None:
        if sales_rep_id is None:
            return
        rep = self._sales_reps.get(sales_rep_id)
        if rep is None:
            raise ApiError(422, f"Sales rep {sales_rep_id} not found")
        if rep["facility_id"] != facility_id:
            raise ApiError(422, f"Sales rep {sales_rep_id} belongs to facility {rep['facility_id']}")

    def _outbound_lines(self, lines: Sequence[_Line]) -> JSON:
        """Line rows (``sku`` and ``item_name`` filled from the item) and the order total."""
        rows = []
        total = Decimal(0)
        for index, line in enumerate(lines):
            item = self._items_by_id.get(line.item_id)
            if item is None:
                raise ApiError(422, f"order_lines[{index}].item_id {line.item_id} not found")
            line_total = cents(Decimal(str(line.order_qty)) * Decimal(str(line.unit_price)))
            total += line_total
            rows.append(
                {
                    "item_id": line.item_id,
                    "sku": line.sku if line.sku is not None else item["sku"],
                    "item_name": item["item_name"],
                    "order_qty": line.order_qty,
                    "unit_price": line.unit_price,
                    "line_total": _money(line_total),
                }
            )
        return {"order_lines": rows, "total": _money(total)}

    def create_outbound(self, facility_id: str, parsed: JSON) -> JSON:
        """``POST /outbound-orders/``: a new order in Created; fires an ``order`` webhook."""
        with self.lock:
            destination = self._destinations.get(parsed["destination_id"])
            if destination is None:
                raise ApiError(422, f"Destination {parsed['destination_id']} not found")
            self._check_sales_rep(parsed["sales_rep_id"], facility_id)
            lines = self._outbound_lines(parsed["order_lines"])
            order_id = f"OB-{self._next_outbound:06d}"
            self._next_outbound += 1
            stamp = iso_ms(now())
            order = {
                "id": order_id,
                "facility_id": facility_id,
                "original_order_id": parsed["original_order_id"],
                "external_order_number": parsed["external_order_number"],
                "destination_id": destination["id"],
                "destination_name": destination["name"],
                "destination_license_number": destination["license_number"],
                "sales_rep_id": parsed["sales_rep_id"],
                "order_status": "Created",
                "payment_term": parsed["payment_term"],
                "notes": parsed["notes"],
                **lines,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
                **{_status_stamp_key(status): None for status in OUTBOUND_STATUSES[1:]},
            }
            self._outbound[order_id] = order
            self._emit("order", order)
            return order

    def update_outbound(self, order_id: str, facility_id: str | None, changes: JSON, *, staff: bool = False) -> JSON:
        """``PUT /outbound-orders/{id}/`` (``staff=False``) or a staff edit (``staff=True``).

        Through the API the order must be Created or Partially Allocated (409) and ``order_status``, if
        sent, must be the current one (422). Staff may edit the payment term, notes, external order number
        and sales rep in any status, the lines only while the order is editable. Every successful write
        bumps ``last_updated_timestamp`` and fires an ``order`` webhook, even one that changes nothing.
        """
        with self.lock:
            old = self._outbound_order(order_id, facility_id)
            editable = old["order_status"] in OUTBOUND_EDITABLE
            if not staff:
                _check_outbound_editable(old)
                wanted = changes.get("order_status")
                if wanted is not None and wanted != old["order_status"]:
                    raise ApiError(422, "order_status cannot be changed through the API")
            elif "order_lines" in changes and not editable:
                _check_outbound_editable(old)
            new = dict(old)
            if "sales_rep_id" in changes:
                self._check_sales_rep(changes["sales_rep_id"], old["facility_id"])
                new["sales_rep_id"] = changes["sales_rep_id"]
            if "order_lines" in changes:
                new.update(self._outbound_lines(changes["order_lines"]))
            for key in ("payment_term", "notes", "external_order_number"):
                if key in changes:
                    new[key] = changes[key]
            new["last_updated_timestamp"] = _later_than(old["last_updated_timestamp"])
            self._outbound[order_id] = new
            self._emit("order", new)
            return new

    def move_outbound(self, order_id: str, status: str, facility_id: str | None = None) -> JSON:
        """Move an outbound order along its machine, as the warehouse would; fires an ``order`` webhook.

        ``facility_id`` (the API's cancel route) restricts the move to that facility's orders.
        """
        with self.lock:
            old = self._outbound_order(order_id, facility_id)
            current = old["order_status"]
            forward = status in _OUTBOUND_FORWARD.get(current, frozenset())
            cancel = status == "Cancelled" and current not in OUTBOUND_FINAL
            if not (forward or cancel):
                raise ApiError(409, f"Outbound order {order_id} cannot move from {current} to {status}")
            stamp = _later_than(old["last_updated_timestamp"])
            new = {**old, "order_status": status, "last_updated_timestamp": stamp}
            new[_status_stamp_key(status)] = stamp
            self._outbound[order_id] = new
            self._emit("order", new)
            return new

    # -- webhooks ------------------------------------------------------------------------------------

    def configure_webhooks(self, url: str | None, key: str | None = None) -> JSON:
        """Point webhooks at ``url`` (None switches them off); ``key`` signs them (None keeps the current key)."""
        with self.lock:
            self._webhook_url = url
            if key is not None:
                self._webhook_key = key
            return self._webhook_config()

    def webhook_config(self) -> JSON:
        with self.lock:
            return self._webhook_config()

    def _webhook_config(self) -> JSON:
        return {"url": self._webhook_url, "key": self._webhook_key}

    @property
    def webhook_log(self) -> list[JSON]:
        """Every webhook queued since the last clear, oldest first (entries are replaced once delivered)."""
        with self.lock:
            return list(self._webhooks.values())

    def clear_webhook_log(self) -> None:
        with self.lock:
            self._webhooks.clear()

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Block until every queued webhook has been attempted; False if ``timeout`` ran out first."""
        with self._webhook_idle:
            return self._webhook_idle.wait_for(lambda: self._webhook_pending == 0, timeout)

    def _emit(self, resource_type: str, data: JSON) -> None:
        """Queue ``{"resource_type", "data"}`` for the subscriber, if there is one. Call with ``lock`` held.

        The body is serialised and signed now, so it is exactly the state of this write; a single
        background thread delivers the queue in order.
        """
        url = self._webhook_url
        if not url:
            return
        body = json.dumps({"resource_type": resource_type, "data": data}, separators=(",", ":")).encode()
        signature = hmac.new(self._webhook_key.encode(), body, hashlib.sha256).hexdigest()
        webhook_id = self._next_webhook
        self._next_webhook += 1
        self._webhooks[webhook_id] = {
            "id": webhook_id,
            "resource_type": resource_type,
            "url": url,
            "payload": {"resource_type": resource_type, "data": data},
            "signature": signature,
            "queued_at": iso_ms(now()),
            "delivered_at": None,
            "status_code": None,
            "error": None,
        }
        self._webhook_pending += 1
        self._webhook_queue.put((webhook_id, url, body, signature))
        if self._webhook_worker is None:
            self._webhook_worker = threading.Thread(
                target=self._deliver_webhooks, name="flourish-webhooks", daemon=True
            )
            self._webhook_worker.start()

    def _deliver_webhooks(self) -> None:
        """The delivery thread: one attempt per webhook, in order; exits after a quiet spell."""
        while True:
            try:
                webhook_id, url, body, signature = self._webhook_queue.get(timeout=_WEBHOOK_IDLE)
            except queue.Empty:
                with self.lock:
                    if self._webhook_queue.empty():
                        self._webhook_worker = None
                        return
                continue
            status_code, error = _post_webhook(url, body, signature)
            with self._webhook_idle:
                entry = self._webhooks.get(webhook_id)
                if entry is not None:
                    self._webhooks[webhook_id] = {
                        **entry,
                        "delivered_at": iso_ms(now()),
                        "status_code": status_code,
                        "error": error,
                    }
                self._webhook_pending -= 1
                self._webhook_idle.notify_all()


def _discount_amount(discount: JSON, line_totals: Mapping[str, Decimal], item_id: str | None) -> Decimal:
    """What a retail discount takes off: of the named line, or of the whole sale; never more than that."""
    base = line_totals[item_id] if item_id is not None else sum(line_totals.values(), Decimal(0))
    value = Decimal(str(discount["discount_value"]))
    amount = base * value / 100 if discount["discount_type"] == "Percent" else value
    return min(cents(amount), base)


def _seeded_sale(sale: Sale, discounts: Mapping[str, JSON]) -> JSON:
    """A generated sale in the shape ``_parse_sale_body`` produces."""
    return {
        "facility_id": sale.facility_id,
        "customer_id": sale.customer_id,
        "is_recreational": sale.is_recreational,
        "lines": [(line.item_id, line.order_qty, line.unit_price) for line in sale.lines],
        "applied_discounts": [(discount_id, None, None) for discount_id in sale.discount_ids],
        "completed_at": sale.completed_at,
    }


def _check_editable(order: JSON) -> None:
    status = order["order_status"]
    if status not in EDITABLE_STATUSES:
        raise ApiError(409, f"Order {order['id']} is {status}; only Created or Submitted orders can be updated")


def _check_outbound_editable(order: JSON) -> None:
    status = order["order_status"]
    if status not in OUTBOUND_EDITABLE:
        raise ApiError(
            409, f"Outbound order {order['id']} is {status}; only Created or Partially Allocated orders can be updated"
        )


def _inventory_event(item: JSON, facility_id: str, row: Mapping[str, int]) -> JSON:
    """The ``data`` of an ``inventory_summary`` webhook."""
    return {
        "item_id": item["id"],
        "sku": item["sku"],
        "brand": item.get("brand"),
        "item_name": item.get("item_name"),
        "facility_id": facility_id,
        "sellable_qty": row["sellable_qty"],
        "available_qty": row["available_qty"],
        "non_available_qty": row["non_available_qty"],
    }


#: Webhooks go straight to the subscriber, whatever proxy the environment names.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post_webhook(url: str, body: bytes, signature: str) -> tuple[int | None, str | None]:
    """One delivery attempt: (status code, None), or (status code or None, error) when it failed."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "auth-signature": signature,
            "User-Agent": "Flourish-Webhooks (cannasync sandbox)",
        },
    )
    try:
        with _NO_PROXY.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            return int(response.status), None
    except urllib.error.HTTPError as error:
        return int(error.code), f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", None) or error)


def _status_stamp_key(status: str) -> str:
    return status.lower().replace(" ", "_") + "_timestamp"


def _numeric_key(item_id: str) -> tuple[int, str]:
    return (int(item_id), item_id) if item_id.isdigit() else (1 << 62, item_id)


def _window(
    records: Iterable[JSON], predicate: Callable[[JSON], bool] | None, offset: int, limit: int
) -> tuple[list[JSON], bool]:
    """One page of the records that match, and whether more follow, in one pass that stops early."""
    if predicate is None and isinstance(records, list):
        return records[offset : offset + limit], len(records) > offset + limit
    page: list[JSON] = []
    seen = 0
    for record in records:
        if predicate is not None and not predicate(record):
            continue
        if seen >= offset:
            if len(page) == limit:
                return page, True
            page.append(record)
        seen += 1
    return page, False


# --------------------------------------------------------------------------------------------------
# Query parsing


def _paging(request: Request) -> tuple[int, int]:
    def integer(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"{name} must be an integer") from None

    offset, limit = integer("offset", 0), integer("limit", PAGE_LIMIT)
    if offset < 0:
        raise ApiError(400, "offset must be >= 0")
    if limit < 1:
        raise ApiError(400, "limit must be >= 1")
    return offset, min(limit, PAGE_LIMIT)


def _bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return raw.lower() == "true"


def _time_param(request: Request, name: str) -> str | None:
    """A timestamp query parameter, normalised to the stored format so strings compare in order."""
    raw = request.query_params.get(name)
    return iso_ms(_parse_iso(raw, name)) if raw else None


def _all_of(checks: list[Callable[[JSON], bool]]) -> Callable[[JSON], bool] | None:
    if not checks:
        return None
    return lambda record: all(check(record) for check in checks)


def _field_is(field: str, wanted: object) -> Callable[[JSON], bool]:
    """Exact match; ``is`` for booleans so that 1 never passes for true."""
    if isinstance(wanted, bool):
        return lambda record: record.get(field) is wanted
    return lambda record: record.get(field) == wanted


def _equals_ci(field: str, wanted: str | None) -> Callable[[JSON], bool] | None:
    if wanted is None:
        return None
    wanted = wanted.strip().lower()
    return lambda record: str(record.get(field) or "").lower() == wanted


#: ``GET /items/`` name filters → the item field each compares (choice 2 and "Items" above).
_ITEM_NAME_FILTERS: tuple[tuple[str, str], ...] = (
    ("item_category", "item_category"),
    ("item_name", "item_name"),
    ("retail_display_name", "retail_display_name"),
    ("inventory_type", "inventory_type"),
    ("uom", "uom"),
    ("strain_name", "strain_name"),
    ("strain_type_name", "strain_type_name"),
    ("item_strain_type_name", "strain_type_name"),
    ("ecommerce_item_name", "ecommerce_item_name"),
    ("ecommerce_category_name", "ecommerce_category_name"),
    ("ecommerce_sub_category_name", "ecommerce_sub_category_name"),
)


def _one_of_ci(field: str, wanted: set[str]) -> Callable[[JSON], bool]:
    """The field's value, lower-cased, is one of ``wanted`` (already lower-cased)."""
    return lambda record: str(record.get(field) or "").lower() in wanted


def _item_predicate(request: Request) -> Callable[[JSON], bool] | None:
    checks: list[Callable[[JSON], bool]] = []
    for flag in ("active", "ecommerce_active", "sellable", "is_medical"):
        value = _bool_param(request, flag)
        if value is not None:
            checks.append(_field_is(flag, value))
    # ``item_id`` and ``sku`` are documented filters ("[string]": repeatable) and the vendor's plugin relies on
    # them: ``GET /items?item_id=<id>`` to fetch one item on a webhook and ``GET /items?item_id=..`` or
    # ``?sku=..`` to check that an item exists before ordering it (flourishsoftware/flourish-woocommerce-b2c,
    # src/API/FlourishAPI.php fetch_product_by_id, flourish_item_exists). Ids compare exactly; SKUs
    # case-insensitively, like the other names (choice 2).
    item_ids = {value.strip() for value in request.query_params.getlist("item_id") if value.strip()}
    if item_ids:
        checks.append(lambda item: str(item.get("id")) in item_ids)
    skus = {value.strip().lower() for value in request.query_params.getlist("sku") if value.strip()}
    if skus:
        checks.append(lambda item: str(item.get("sku") or "").lower() in skus)
    # The documented name filters on fields the items carry (vendor-apis.md §1 "Items", from the Postman
    # collection): exact, case-insensitive, repeatable. ``item_strain_type_name`` and ``strain_type_name`` are
    # both documented and both read the item's ``strain_type_name``.
    for param, field in _ITEM_NAME_FILTERS:
        wanted = {value.strip().lower() for value in request.query_params.getlist(param) if value.strip()}
        if wanted:
            checks.append(_one_of_ci(field, wanted))
    brands = {name.strip().lower() for name in request.query_params.getlist("brand_name")}
    if brands:
        checks.append(lambda item: str(item.get("brand") or "").lower() in brands)
    brand_ids = {value.strip() for value in request.query_params.getlist("brand_id")}
    if brand_ids:
        checks.append(lambda item: str(item.get("brand_id")) in brand_ids)
    start = _time_param(request, "last_updated_timestamp_start")
    if start:
        checks.append(lambda item: item["last_updated_timestamp"] >= start)
    end = _time_param(request, "last_updated_timestamp_end")
    if end:
        checks.append(lambda item: item["last_updated_timestamp"] <= end)
    return _all_of(checks)


def _customer_predicate(request: Request) -> Callable[[JSON], bool] | None:
    # The filters of GET /customers/ in Flourish's External API Postman collection ("Retail Customers":
    # first_name, last_name, dob, state, patient_id, phone_number, email, last_updated_timestamp_start/end);
    # a client finds a shopper with no phone or e-mail by first_name + last_name + dob.
    params = request.query_params
    checks = [
        check
        for check in (
            _equals_ci("patient_id", params.get("patient_id")),
            _equals_ci("email", params.get("email")),
            _equals_ci("first_name", params.get("first_name")),
            _equals_ci("last_name", params.get("last_name")),
            _equals_ci("dob", params.get("dob")),
            _equals_ci("state", params.get("state")),
        )
        if check is not None
    ]
    phone = params.get("phone_number")
    if phone is not None:
        wanted = digits(phone)
        checks.append(lambda customer: bool(wanted) and digits(customer.get("phone") or "") == wanted)
    start = _time_param(request, "last_updated_timestamp_start")
    if start:
        checks.append(lambda customer: customer["last_updated_timestamp"] >= start)
    end = _time_param(request, "last_updated_timestamp_end")
    if end:
        checks.append(lambda customer: customer["last_updated_timestamp"] <= end)
    return _all_of(checks)


CUSTOMER_ORDERINGS: tuple[str, ...] = ("id", "last_updated_timestamp")


def _customer_order_by(request: Request) -> str:
    order_by = request.query_params.get("order_by") or "id"
    if order_by not in CUSTOMER_ORDERINGS:
        raise ApiError(400, f"order_by must be one of: {', '.join(CUSTOMER_ORDERINGS)}")
    return order_by


def _discount_predicate(request: Request) -> Callable[[JSON], bool] | None:
    online = _bool_param(request, "ecommerce_eligible")
    return None if online is None else _field_is("ecommerce_eligible", online)


def _stage_window(field: str, since: str | None, until: str | None) -> list[Callable[[JSON], bool]]:
    """Inclusive bounds on a stage's timestamp; an order that never reached the stage matches neither."""
    checks: list[Callable[[JSON], bool]] = []
    if since:
        checks.append(lambda order: order[field] is not None and order[field] >= since)
    if until:
        checks.append(lambda order: order[field] is not None and order[field] <= until)
    return checks


def _order_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    # ``order_fulfillment_type`` (Delivery | In-Store | Pickup) and ``order_payment_status`` are documented
    # filters (vendor-apis.md §1 "Retail orders"); they read ``fulfillment_type`` (stored lower case, as sent)
    # and ``order_payment_status``, case-insensitively.
    for param, field in (
        ("order_status", "order_status"),
        ("order_origin", "order_origin"),
        ("order_fulfillment_type", "fulfillment_type"),
        ("order_payment_status", "order_payment_status"),
    ):
        check = _equals_ci(field, params.get(param))
        if check:
            checks.append(check)
    for stage in ("submitted", "packed"):
        field = f"{stage}_timestamp"
        since, until = _time_param(request, f"{field}_start"), _time_param(request, f"{field}_end")
        checks.extend(_stage_window(field, since, until))
    for param, field in (
        ("customer_id", "customer_id"),
        ("order_id", "id"),
        ("original_order_id", "original_order_id"),
    ):
        value = params.get(param)
        if value is not None:
            checks.append(_field_is(field, value))
    start = _time_param(request, "created_timestamp_start")
    if start:
        checks.append(lambda order: order["created_timestamp"] >= start)
    end = _time_param(request, "created_timestamp_end")
    if end:
        checks.append(lambda order: order["created_timestamp"] <= end)
    completed_start = _time_param(request, "completed_timestamp_start")
    if completed_start:
        checks.append(lambda order: (order["completed_timestamp"] or "") >= completed_start)
    completed_end = _time_param(request, "completed_timestamp_end")
    if completed_end:
        checks.append(
            lambda order: order["completed_timestamp"] is not None and order["completed_timestamp"] <= completed_end
        )
    return _all_of(checks)


async def _json_object(request: Request) -> JSON:
    return await _app.json_object(request, lambda message: ApiError(400, message))


def _page_response(request: Request, records: list[JSON], more: bool, offset: int, limit: int) -> JSONResponse:
    next_link = None
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
        query += [("offset", str(offset + limit)), ("limit", str(limit))]
        next_link = request.scope.get("sandbox.original_path", request.url.path) + "?" + urlencode(query)
    return JSONResponse({"data": records, "meta": {"offset": offset, "limit": limit, "next": next_link}})


def _one(record: JSON, status_code: int = 200) -> JSONResponse:
    return JSONResponse({"data": record}, status_code=status_code)


def _parse_customer_body(body: JSON) -> JSON:
    dob = body.get("dob")
    if not isinstance(dob, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob):
        raise ApiError(422, "dob is required (YYYY-MM-DD)")
    try:
        date.fromisoformat(dob)
    except ValueError:
        raise ApiError(422, "dob is required (YYYY-MM-DD)") from None
    fields: JSON = {}
    for name in ("first_name", "last_name"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name} is required")
        fields[name] = value.strip()
    fields["dob"] = dob
    for name in ("email", "phone", "patient_id", "medical_card_state", "state"):
        fields[name] = _optional_str(body, name)
    expiration = _optional_str(body, "medical_card_expiration")
    if expiration:
        try:
            date.fromisoformat(expiration)
        except ValueError:
            raise ApiError(422, "medical_card_expiration must be YYYY-MM-DD") from None
    fields["medical_card_expiration"] = expiration
    verified = body.get("is_verified", False)
    if not isinstance(verified, bool):
        raise ApiError(422, "is_verified must be a boolean")
    fields["is_verified"] = verified
    address = body.get("address", [])
    if address is None:
        address = []
    if not isinstance(address, list) or not all(isinstance(entry, dict) for entry in address):
        raise ApiError(422, "address must be a list of objects")
    fields["address"] = address
    return fields


def _valid_date(value: object, name: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise ApiError(422, f"{name} must be YYYY-MM-DD")


def _parse_customer_changes(body: JSON) -> JSON:
    """The fields of a customer PUT (or a staff edit) that are present in ``body``, validated.

    Absent fields are left as they are; unknown fields (and ``id`` and the timestamps) are ignored.
    """
    changes: JSON = {}
    for name in ("first_name", "last_name"):
        if name in body:
            value = body[name]
            if not isinstance(value, str) or not value.strip():
                raise ApiError(422, f"{name} must be a non-empty string")
            changes[name] = value.strip()
    if "dob" in body:
        changes["dob"] = _valid_date(body["dob"], "dob", required=True)
    for name in ("email", "phone", "patient_id", "medical_card_state", "state"):
        if name in body:
            changes[name] = _optional_str(body, name)
    if "medical_card_expiration" in body:
        changes["medical_card_expiration"] = _valid_date(
            body["medical_card_expiration"], "medical_card_expiration", required=False
        )
    for name in ("is_verified", "is_active"):
        if name in body:
            if not isinstance(body[name], bool):
                raise ApiError(422, f"{name} must be a boolean")
            changes[name] = body[name]
    if "available_credit" in body:
        credit = number(body["available_credit"])
        if credit is None or credit < 0:
            raise ApiError(422, "available_credit must be a number >= 0")
        changes["available_credit"] = credit
    if "address" in body:
        address = body["address"] or []
        if not isinstance(address, list) or not all(isinstance(entry, dict) for entry in address):
            raise ApiError(422, "address must be a list of objects")
        changes["address"] = address
    return changes


def _optional_facility_field(body: JSON) -> str | None:
    value = body.get("facility_id")
    return None if value is None else _id_value(value, "facility_id")


def _parse_sale_body(body: JSON) -> JSON:
    """Validate a ``POST /_sandbox/sales`` body; existence checks happen against the state."""
    facility_id = _id_value(body.get("facility_id"), "facility_id")
    raw_customer = body.get("customer_id")
    customer_id = None if raw_customer is None else _id_value(raw_customer, "customer_id")
    is_recreational = body.get("is_recreational", True)
    if not isinstance(is_recreational, bool):
        raise ApiError(422, "is_recreational must be a boolean")
    raw_lines = body.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ApiError(422, "lines must be a non-empty list")
    lines = []
    for index, line in enumerate(raw_lines):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            raise ApiError(422, f"{where} must be an object")
        qty = number(line.get("order_qty", 1))
        if qty is None or qty <= 0:
            raise ApiError(422, f"{where}.order_qty must be a number greater than 0")
        price = None if line.get("unit_price") is None else number(line["unit_price"])
        if line.get("unit_price") is not None and (price is None or price < 0):
            raise ApiError(422, f"{where}.unit_price must be a number >= 0")
        lines.append((_id_value(line.get("item_id"), f"{where}.item_id"), qty, price))
    raw_discounts = body.get("applied_discounts") or []
    if not isinstance(raw_discounts, list):
        raise ApiError(422, "applied_discounts must be a list")
    discounts = []
    for index, discount in enumerate(raw_discounts):
        where = f"applied_discounts[{index}]"
        if not isinstance(discount, dict):
            raise ApiError(422, f"{where} must be an object")
        discount_id = _id_value(discount.get("discount_id"), f"{where}.discount_id")
        amount = None if discount.get("discount_amount") is None else number(discount["discount_amount"])
        if discount.get("discount_amount") is not None and (amount is None or amount < 0):
            raise ApiError(422, f"{where}.discount_amount must be a number >= 0")
        item_id = None if discount.get("item_id") is None else _id_value(discount["item_id"], f"{where}.item_id")
        discounts.append((discount_id, amount, item_id))
    completed_at = _optional_str(body, "completed_at")
    return {
        "facility_id": facility_id,
        "customer_id": customer_id,
        "is_recreational": is_recreational,
        "lines": lines,
        "applied_discounts": discounts,
        "completed_at": _parse_iso(completed_at, "completed_at", status=422) if completed_at else None,
    }


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _parse_discount_body(body: JSON) -> JSON:
    """Validate a ``POST /_sandbox/retail-discounts`` body into ``discount_record`` keyword arguments."""
    name = body.get("discount_name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "discount_name is required")
    kind = _canonical_status(body.get("discount_type"), DISCOUNT_TYPES, "discount_type")
    value = number(body.get("discount_value"))
    if value is None or value <= 0 or (kind == "Percent" and value > 100):
        raise ApiError(422, "discount_value must be a number > 0 (at most 100 for Percent)")
    times = {}
    for field in ("start_time", "end_time"):
        raw = _optional_str(body, field)
        if raw is not None and not _TIME_OF_DAY.match(raw):
            raise ApiError(422, f"{field} must be HH:MM")
        times[field] = raw
    online = body.get("ecommerce_eligible", False)
    if not isinstance(online, bool):
        raise ApiError(422, "ecommerce_eligible must be a boolean")
    return {
        "facility_id": _id_value(body.get("facility_id"), "facility_id"),
        "discount_name": name.strip(),
        "discount_type": kind,
        "discount_value": value,
        "start_date": _valid_date(body.get("start_date"), "start_date", required=False),
        "end_date": _valid_date(body.get("end_date"), "end_date", required=False),
        **times,
        "ecommerce_eligible": online,
    }


# --------------------------------------------------------------------------------------------------
# Wholesale bodies and filters


def _destination_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    license_check = _equals_ci("license_number", params.get("license_number"))
    if license_check:
        checks.append(license_check)
    external_id = params.get("external_id")
    if external_id is not None:
        checks.append(_field_is("external_id", external_id))
    return _all_of(checks)


def _outbound_predicate(request: Request) -> Callable[[JSON], bool] | None:
    params = request.query_params
    checks: list[Callable[[JSON], bool]] = []
    raw_status = params.get("order_status")
    if raw_status is not None:
        try:
            status = _canonical_status(raw_status, OUTBOUND_STATUSES)
        except ApiError as error:
            raise ApiError(400, error.message) from None
        checks.append(_field_is("order_status", status))
    for param in ("original_order_id", "destination_id", "external_order_number"):
        value = params.get(param)
        if value is not None:
            checks.append(_field_is(param, value))
    start = _time_param(request, "updated_timestamp_start")
    if start:
        checks.append(lambda order: order["last_updated_timestamp"] >= start)
    end = _time_param(request, "updated_timestamp_end")
    if end:
        checks.append(lambda order: order["last_updated_timestamp"] <= end)
    return _all_of(checks)


_ADDRESS_KEYS: tuple[str, ...] = ("address_line_1", "address_line_2", "city", "state", "postcode", "country")


def _parse_destination_body(body: JSON) -> JSON:
    """Validate a ``POST /destinations/`` body; unknown keys are ignored."""
    fields: JSON = {}
    for name in ("name", "license_number"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(422, f"{name} is required")
        fields[name] = value.strip()
    address = body.get("address")
    if address is not None and not isinstance(address, dict):
        raise ApiError(422, "address must be an object")
    parsed_address: JSON = {}
    for key in _ADDRESS_KEYS:
        value = (address or {}).get(key)
        if value is not None and not isinstance(value, str):
            raise ApiError(422, f"address.{key} must be a string")
        parsed_address[key] = value
    fields["address"] = parsed_address
    fields["email"] = _optional_str(body, "email")
    fields["phone"] = _optional_str(body, "phone")
    external_id = body.get("external_id")
    fields["external_id"] = None if external_id is None else _id_value(external_id, "external_id")
    return fields


def _optional_id(body: JSON, name: str) -> str | None:
    value = body.get(name)
    return None if value is None else _id_value(value, name)


def _parse_outbound_body(body: JSON) -> JSON:
    """Validate a ``POST /outbound-orders/`` body; existence checks happen against the state."""
    original_order_id = body.get("original_order_id")
    if not isinstance(original_order_id, str) or not original_order_id.strip():
        raise ApiError(422, "original_order_id is required (string)")
    status = body.get("order_status")
    if status is not None and _canonical_status(status, OUTBOUND_STATUSES) != "Created":
        raise ApiError(422, "order_status must be Created (or absent) on a new outbound order")
    return {
        "original_order_id": original_order_id,
        "destination_id": _id_value(body.get("destination_id"), "destination_id"),
        "sales_rep_id": _optional_id(body, "sales_rep_id"),
        "order_lines": _parse_lines(body.get("order_lines")),
        "payment_term": _optional_str(body, "payment_term"),
        "notes": _optional_str(body, "notes"),
        "external_order_number": _optional_str(body, "external_order_number"),
    }


def _parse_outbound_changes(body: JSON, *, staff: bool = False) -> JSON:
    """The editable fields present in a ``PUT /outbound-orders/{id}/`` body (or a staff edit), validated.

    Absent fields are kept; other keys (``original_order_id``, ``destination_id``, ``facility_id``, ids and
    timestamps) are ignored. ``order_status`` is parsed (API only) so that an attempted change is a 422.
    """
    changes: JSON = {}
    if "order_lines" in body:
        changes["order_lines"] = _parse_lines(body["order_lines"])
    for name in ("payment_term", "notes", "external_order_number"):
        if name in body:
            changes[name] = _optional_str(body, name)
    if "sales_rep_id" in body:
        changes["sales_rep_id"] = _optional_id(body, "sales_rep_id")
    if not staff and body.get("order_status") is not None:
        changes["order_status"] = _canonical_status(body["order_status"], OUTBOUND_STATUSES)
    return changes


_ITEM_FLAGS: tuple[str, ...] = ("active", "ecommerce_active", "sellable", "is_medical")
_ITEM_READ_ONLY = frozenset({"id", "created_timestamp", "last_updated_timestamp", "stock"})


def _parse_new_item(body: JSON) -> tuple[JSON, dict[str, int]]:
    """Validate a ``POST /_sandbox/items`` body into (item fields, sellable quantity per facility)."""
    name = body.get("item_name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(422, "item_name is required")
    if body.get("brand") is None and body.get("brand_id") is None:
        raise ApiError(422, "brand (or brand_id) is required")
    price = number(body.get("retail_price"))
    if price is None or price < 0:
        raise ApiError(422, "retail_price must be a number >= 0")
    for flag in _ITEM_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            raise ApiError(422, f"{flag} must be a boolean")
    for text in ("sku", "item_category", "uom"):
        if body.get(text) is not None and not isinstance(body[text], str):
            raise ApiError(422, f"{text} must be a string")
    raw_stock = body.get("stock") or {}
    if not isinstance(raw_stock, dict):
        raise ApiError(422, "stock must be an object of facility id -> sellable_qty")
    stock: dict[str, int] = {}
    for facility_id, quantity in raw_stock.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ApiError(422, f"stock.{facility_id} must be an integer >= 0")
        stock[str(facility_id)] = quantity
    fields = {key: value for key, value in body.items() if key not in _ITEM_READ_ONLY and value is not None}
    fields["item_name"] = name.strip()
    return fields, stock


# --------------------------------------------------------------------------------------------------
# Endpoints


class _Api:
    """The HTTP endpoints; thin wrappers that parse the request and call ``FlourishSandbox``."""

    def __init__(self, sandbox: FlourishSandbox) -> None:
        self.sandbox = sandbox

    def _facility(self, request: Request) -> str:
        return self.sandbox.facility(request.headers.get("FacilityID"))

    # -- vendor routes ---------------------------------------------------------------------------

    async def facilities(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = _window(self.sandbox.facility_records(), None, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_facility(self, request: Request) -> Response:
        # ``GET /facilities/{id}`` with ``x-api-key`` alone: the vendor's plugins read a facility's settings so
        # (flourish-woocommerce-b2c and -b2b, src/API/FlourishAPI.php fetch_facility_config).
        return _one(self.sandbox.facility_record(request.path_params["facility_id"]))

    async def uoms(self, request: Request) -> Response:
        # ``GET /uoms`` paged like every list (flourish-woocommerce-b2c, src/API/FlourishAPI.php fetch_uoms);
        # the B2B plugin reads ``uom`` and ``description`` from each row (choice 31).
        offset, limit = _paging(request)
        page, more = _window(self.sandbox.uoms(), None, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def list_items(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = self.sandbox.list_items(_item_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_item(self, request: Request) -> Response:
        return _one(self.sandbox.get_item(request.path_params["item_id"]))

    async def item_art(self, request: Request) -> Response:
        item_id = request.path_params["item_id"]
        seconds = _expire_seconds(request.query_params.get("expire"))
        kinds = self.sandbox.item_art(item_id)
        if not kinds:
            return Response(status_code=204)
        expires = int(time.time()) + seconds
        base = str(request.base_url).rstrip("/")
        links: JSON = {"product": None, "label": None, "packaging": None}
        for kind in kinds:
            links[kind] = f"{base}{CONTROL}/art/{item_id}/{kind}.png?expires={expires}"
        return _one(links)

    async def inventory_summary(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        ids = [value.strip() for value in request.query_params.getlist("item_id") if value.strip()]
        if len(ids) > MAX_SUMMARY_IDS:
            raise ApiError(400, f"At most {MAX_SUMMARY_IDS} item_id values are allowed per request")
        rows, more = self.sandbox.inventory_summary(facility_id, ids or None, offset, limit)
        return _page_response(request, rows, more, offset, limit)

    async def list_customers(self, request: Request) -> Response:
        offset, limit = _paging(request)
        order_by = _customer_order_by(request)
        page, more = self.sandbox.list_customers(_customer_predicate(request), offset, limit, order_by)
        return _page_response(request, page, more, offset, limit)

    async def get_customer(self, request: Request) -> Response:
        return _one(self.sandbox.get_customer(request.path_params["customer_id"]))

    async def create_customer(self, request: Request) -> Response:
        facility_id = self.sandbox.optional_facility(request.headers.get("FacilityID"))
        fields = _parse_customer_body(await _json_object(request))
        return _one(self.sandbox.create_customer(fields, facility_id), status_code=201)

    async def update_customer(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        self.sandbox.get_customer(customer_id)  # 404 before any complaint about the body
        changes = _parse_customer_changes(await _json_object(request))
        return _one(self.sandbox.update_customer(customer_id, changes))

    async def list_discounts(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        page, more = self.sandbox.list_discounts(facility_id, _discount_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_discount(self, request: Request) -> Response:
        facility_id = self._facility(request)
        return _one(self.sandbox.get_discount(request.path_params["discount_id"], facility_id))

    async def create_order(self, request: Request) -> Response:
        facility_id = self._facility(request)
        parsed = _parse_order_body(await _json_object(request))
        return _one(self.sandbox.create_order(facility_id, parsed), status_code=201)

    async def list_orders(self, request: Request) -> Response:
        facility_id = self.sandbox.optional_facility(request.headers.get("FacilityID"))
        offset, limit = _paging(request)
        predicate = _order_predicate(request)
        patient_id = request.query_params.get("patient_id")
        if patient_id is not None:
            # Documented beside ``customer_id``: the orders of the customer(s) with that medical patient id.
            wanted = patient_id.strip().lower()
            customers = {c["id"] for c in self.sandbox.customers() if str(c.get("patient_id") or "").lower() == wanted}
            predicate = _all_of(
                [check for check in (predicate, lambda order: order["customer_id"] in customers) if check is not None]
            )
        page, more = self.sandbox.list_orders(facility_id, predicate, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_order(self, request: Request) -> Response:
        # The vendor's plugin reads an order with ``x-api-key`` alone, no FacilityID
        # (flourish-woocommerce-b2c, src/API/FlourishAPI.php get_order_by_id, called by
        # HandlerOrdersCancel.php): the order is found company-wide. A header naming another facility than the
        # order's is a 404, as the list scoped by that header would not show it (choice 30).
        facility_id = self.sandbox.optional_facility(request.headers.get("FacilityID"))
        return _one(self.sandbox.get_order(request.path_params["order_id"], facility_id))

    async def replace_order(self, request: Request) -> Response:
        facility_id = self._facility(request)
        order_id = request.path_params["order_id"]
        body = await _json_object(request)
        if isinstance(body.get("order_status"), str) and body["order_status"].strip().lower() == "cancelled":
            return _one(self.sandbox.cancel_order(order_id, facility_id))
        # 404 and 409 come before any complaint about the body (``replace_order`` checks again under
        # the lock); any status is parsed so that a change is reported as such.
        _check_editable(self.sandbox.get_order(order_id, facility_id))
        parsed = _parse_order_body(body, statuses=ORDER_STATUSES)
        return _one(self.sandbox.replace_order(order_id, facility_id, parsed))

    async def brands(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = _window(self.sandbox.brands, None, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_brand(self, request: Request) -> Response:
        return _one(self.sandbox.get_brand(request.path_params["brand_id"]))

    async def sales_reps(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        page, more = _window(self.sandbox.sales_reps(facility_id), None, offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def list_destinations(self, request: Request) -> Response:
        offset, limit = _paging(request)
        page, more = self.sandbox.list_destinations(_destination_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_destination(self, request: Request) -> Response:
        return _one(self.sandbox.get_destination(request.path_params["destination_id"]))

    async def create_destination(self, request: Request) -> Response:
        fields = _parse_destination_body(await _json_object(request))
        return _one(self.sandbox.create_destination(fields), status_code=201)

    async def create_outbound(self, request: Request) -> Response:
        facility_id = self._facility(request)
        parsed = _parse_outbound_body(await _json_object(request))
        return _one(self.sandbox.create_outbound(facility_id, parsed), status_code=201)

    async def list_outbound(self, request: Request) -> Response:
        facility_id = self._facility(request)
        offset, limit = _paging(request)
        page, more = self.sandbox.list_outbound(facility_id, _outbound_predicate(request), offset, limit)
        return _page_response(request, page, more, offset, limit)

    async def get_outbound(self, request: Request) -> Response:
        facility_id = self._facility(request)
        return _one(self.sandbox.get_outbound(request.path_params["order_id"], facility_id))

    async def replace_outbound(self, request: Request) -> Response:
        facility_id = self._facility(request)
        order_id = request.path_params["order_id"]
        # 404 and 409 come before any complaint about the body (``update_outbound`` checks again).
        _check_outbound_editable(self.sandbox.get_outbound(order_id, facility_id))
        changes = _parse_outbound_changes(await _json_object(request))
        return _one(self.sandbox.update_outbound(order_id, facility_id, changes))

    async def cancel_outbound(self, request: Request) -> Response:
        facility_id = self._facility(request)
        if await request.body():
            await _json_object(request)  # a body is optional, but if sent it must be JSON; it is ignored
        return _one(self.sandbox.move_outbound(request.path_params["order_id"], "Cancelled", facility_id))

    # -- control routes ---------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def art_image(self, request: Request) -> Response:
        item_id, filename = request.path_params["item_id"], request.path_params["filename"]
        kind = filename.removesuffix(".png")
        try:
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            raise ApiError(403, "Link is missing a valid expiry") from None
        if expires < time.time():
            raise ApiError(403, "Link expired")
        if not filename.endswith(".png") or kind not in self.sandbox.item_art(item_id):
            raise ApiError(404, "Not found")
        shade = zlib.crc32(f"{item_id}/{kind}".encode())
        rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
        return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    async def set_quantity(self, request: Request) -> Response:
        body = await _json_object(request)
        facility_id = body.get("facility_id")
        if isinstance(facility_id, int) and not isinstance(facility_id, bool):
            facility_id = str(facility_id)
        if not isinstance(facility_id, str):
            raise ApiError(422, "facility_id is required")
        sellable, available = body.get("sellable_qty"), body.get("available_qty", body.get("sellable_qty"))
        for quantity in (sellable, available):
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise ApiError(422, "sellable_qty (and available_qty) must be integers >= 0")
        assert isinstance(sellable, int) and isinstance(available, int)
        row = self.sandbox.set_quantity(request.path_params["item_id"], facility_id, sellable, available)
        return _one(row)

    async def patch_item(self, request: Request) -> Response:
        changes = await _json_object(request)
        return _one(self.sandbox.patch_item(request.path_params["item_id"], changes))

    async def delete_item(self, request: Request) -> Response:
        self.sandbox.delete_item(request.path_params["item_id"])
        return Response(status_code=204)

    async def move_order(self, request: Request) -> Response:
        body = await _json_object(request)
        status = _canonical_status(body.get("order_status"), ORDER_STATUSES)
        return _one(self.sandbox.move_order(request.path_params["order_id"], status))

    async def all_orders(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.orders()})

    async def all_customers(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.customers()})

    async def counter_customer(self, request: Request) -> Response:
        body = await _json_object(request)
        facility_id = _optional_facility_field(body)
        fields = _parse_customer_body(body)
        return _one(self.sandbox.create_customer(fields, facility_id), status_code=201)

    async def staff_edit_customer(self, request: Request) -> Response:
        customer_id = request.path_params["customer_id"]
        self.sandbox.get_customer(customer_id)
        body = await _json_object(request)
        changes = _parse_customer_changes(body)
        if "facility_id" in body:
            changes["facility_id"] = _optional_facility_field(body)
        return _one(self.sandbox.update_customer(customer_id, changes))

    async def record_sale(self, request: Request) -> Response:
        parsed = _parse_sale_body(await _json_object(request))
        return _one(self.sandbox.record_sale(parsed), status_code=201)

    async def all_discounts(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.discounts()})

    async def create_discount(self, request: Request) -> Response:
        fields = _parse_discount_body(await _json_object(request))
        return _one(self.sandbox.create_discount(fields), status_code=201)

    async def delete_discount(self, request: Request) -> Response:
        self.sandbox.delete_discount(request.path_params["discount_id"])
        return Response(status_code=204)

    async def create_item(self, request: Request) -> Response:
        fields, stock = _parse_new_item(await _json_object(request))
        return _one(self.sandbox.create_item(fields, stock), status_code=201)

    async def move_outbound(self, request: Request) -> Response:
        body = await _json_object(request)
        raw = body.get("order_status")
        if isinstance(raw, str) and raw.strip().lower() == "canceled":
            raw = "Cancelled"  # the vendor's help pages spell it both ways
        status = _canonical_status(raw, OUTBOUND_STATUSES)
        return _one(self.sandbox.move_outbound(request.path_params["order_id"], status))

    async def staff_edit_outbound(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        self.sandbox.get_outbound(order_id)
        changes = _parse_outbound_changes(await _json_object(request), staff=True)
        return _one(self.sandbox.update_outbound(order_id, None, changes, staff=True))

    async def all_outbound(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.outbound_orders()})

    async def all_destinations(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.destinations()})

    async def get_webhook_config(self, request: Request) -> Response:
        return _one(self.sandbox.webhook_config())

    async def set_webhook_config(self, request: Request) -> Response:
        body = await _json_object(request)
        if "url" not in body:
            raise ApiError(422, "url is required (null switches webhooks off)")
        url, key = body["url"], body.get("key")
        if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
            raise ApiError(422, "url must be an http(s) URL or null")
        if key is not None and (not isinstance(key, str) or not key):
            raise ApiError(422, "key must be a non-empty string")
        return _one(self.sandbox.configure_webhooks(url, key))

    async def webhook_log(self, request: Request) -> Response:
        raw_wait = request.query_params.get("wait")
        if raw_wait:
            try:
                wait = float(raw_wait)
            except ValueError:
                raise ApiError(400, "wait must be a number of seconds") from None
            await asyncio.to_thread(self.sandbox.wait_for_webhooks, min(max(wait, 0.0), 30.0))
        return JSONResponse({"data": self.sandbox.webhook_log})

    async def clear_webhook_log(self, request: Request) -> Response:
        self.sandbox.clear_webhook_log()
        return Response(status_code=204)


def _vendor_routes(api: _Api) -> list[VendorRoute]:
    """The routes the gateway counts, keyed ``"<METHOD> <template>"`` with the trailing slash for API routes
    (choice 12), plus the art image links it hands out."""
    vendor = [
        Route(f"{V1}/facilities", api.facilities, methods=["GET"]),
        Route(f"{V1}/facilities/{{facility_id}}", api.get_facility, methods=["GET"]),
        Route(f"{V1}/uoms", api.uoms, methods=["GET"]),
        Route(f"{V1}/items", api.list_items, methods=["GET"]),
        Route(f"{V1}/items/{{item_id}}", api.get_item, methods=["GET"]),
        Route(f"{V1}/items/{{item_id}}/art", api.item_art, methods=["GET"]),
        Route(f"{V1}/inventory/summary", api.inventory_summary, methods=["GET"]),
        Route(f"{V1}/customers", api.list_customers, methods=["GET"]),
        Route(f"{V1}/customers", api.create_customer, methods=["POST"]),
        Route(f"{V1}/customers/{{customer_id}}", api.get_customer, methods=["GET"]),
        Route(f"{V1}/customers/{{customer_id}}", api.update_customer, methods=["PUT"]),
        Route(f"{V1}/retail-discounts", api.list_discounts, methods=["GET"]),
        Route(f"{V1}/retail-discounts/{{discount_id}}", api.get_discount, methods=["GET"]),
        Route(f"{V2}/retail-orders", api.create_order, methods=["POST"]),
        # ``POST /v1/retail-orders/`` takes the same JSON (vendor-apis.md §1); v2 adds Flourish's discount engine,
        # which the sandbox does not imitate, so both create alike.
        Route(f"{V1}/retail-orders", api.create_order, methods=["POST"]),
        Route(f"{V1}/retail-orders", api.list_orders, methods=["GET"]),
        Route(f"{V1}/retail-orders/{{order_id}}", api.get_order, methods=["GET"]),
        Route(f"{V1}/retail-orders/{{order_id}}", api.replace_order, methods=["PUT"]),
        Route(f"{V1}/brands", api.brands, methods=["GET"]),
        Route(f"{V1}/brands/{{brand_id}}", api.get_brand, methods=["GET"]),
        Route(f"{V1}/sales-reps", api.sales_reps, methods=["GET"]),
        Route(f"{V1}/destinations", api.list_destinations, methods=["GET"]),
        Route(f"{V1}/destinations", api.create_destination, methods=["POST"]),
        Route(f"{V1}/destinations/{{destination_id}}", api.get_destination, methods=["GET"]),
        Route(f"{V1}/outbound-orders", api.list_outbound, methods=["GET"]),
        Route(f"{V1}/outbound-orders", api.create_outbound, methods=["POST"]),
        Route(f"{V1}/outbound-orders/{{order_id}}", api.get_outbound, methods=["GET"]),
        Route(f"{V1}/outbound-orders/{{order_id}}", api.replace_outbound, methods=["PUT"]),
        Route(f"{V1}/outbound-orders/{{order_id}}/cancel", api.cancel_outbound, methods=["POST"]),
    ]
    counted: list[VendorRoute] = []
    for route in vendor:
        (method,) = (route.methods or {"GET"}) - {"HEAD"}
        counted.append(VendorRoute(route, f"{method} {route.path}/"))
    art = Route(f"{CONTROL}/art/{{item_id}}/{{filename}}", api.art_image, methods=["GET"])
    counted.append(VendorRoute(art, f"GET {art.path}"))
    return counted


def _control_routes(api: _Api) -> list[Route]:
    control = [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/items", api.create_item, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}/quantity", api.set_quantity, methods=["POST"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.patch_item, methods=["PATCH"]),
        Route(f"{CONTROL}/items/{{item_id}}", api.delete_item, methods=["DELETE"]),
        Route(f"{CONTROL}/retail-orders/{{order_id}}/status", api.move_order, methods=["POST"]),
        Route(f"{CONTROL}/retail-orders", api.all_orders, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.all_customers, methods=["GET"]),
        Route(f"{CONTROL}/customers", api.counter_customer, methods=["POST"]),
        Route(f"{CONTROL}/customers/{{customer_id}}", api.staff_edit_customer, methods=["PATCH"]),
        Route(f"{CONTROL}/sales", api.record_sale, methods=["POST"]),
        Route(f"{CONTROL}/retail-discounts", api.all_discounts, methods=["GET"]),
        Route(f"{CONTROL}/retail-discounts", api.create_discount, methods=["POST"]),
        Route(f"{CONTROL}/retail-discounts/{{discount_id}}", api.delete_discount, methods=["DELETE"]),
        Route(f"{CONTROL}/outbound-orders", api.all_outbound, methods=["GET"]),
        Route(f"{CONTROL}/outbound-orders/{{order_id}}/status", api.move_outbound, methods=["POST"]),
        Route(f"{CONTROL}/outbound-orders/{{order_id}}", api.staff_edit_outbound, methods=["PATCH"]),
        Route(f"{CONTROL}/destinations", api.all_destinations, methods=["GET"]),
        Route(f"{CONTROL}/webhooks/config", api.get_webhook_config, methods=["GET"]),
        Route(f"{CONTROL}/webhooks/config", api.set_webhook_config, methods=["POST"]),
        Route(f"{CONTROL}/webhooks", api.webhook_log, methods=["GET"]),
        Route(f"{CONTROL}/webhooks", api.clear_webhook_log, methods=["DELETE"]),
        *control_routes(
            faults=api.sandbox.faults, counts=api.sandbox.requests, parse_fault=parse_fault, read_json=_json_object
        ),
    ]
    return control


def _is_api(path: str) -> bool:
    """Faults and authentication apply under ``/external/`` only (choice 11)."""
    return path.startswith("/external/")


def _http_error(request: Request, exc: HTTPException) -> Response:
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    items: int = 200,
    seed: int = 1,
    credentials: Mapping[str, tuple[str, bool]] = DEFAULT_CREDENTIALS,
    customers: int = 20,
    facilities: int = 2,
    sales: int = 0,
    as_of: datetime | None = None,
    webhook_url: str | None = None,
    webhook_key: str = DEFAULT_WEBHOOK_KEY,
    locations: int = 0,
    sandbox: FlourishSandbox | None = None,
) -> Starlette:
    """The Flourish sandbox as an ASGI app; its state is ``app.state.sandbox`` (a ``FlourishSandbox``).

    ``credentials`` maps API key → (username, active). ``facilities=3`` adds Lansing (``"103"``);
    ``sales=30`` seeds that many completed in-store sales over the 60 days before ``as_of`` (default:
    now). ``webhook_url`` (default none) receives webhooks signed with ``webhook_key``; both can be
    changed later through ``POST /_sandbox/webhooks/config``. ``locations=1000`` adds that many generated
    facilities (``"1001"`` upwards; see "Many facilities" in the module docstring).
    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or FlourishSandbox(
        items=items,
        seed=seed,
        credentials=credentials,
        customers=customers,
        facilities=facilities,
        sales=sales,
        as_of=as_of,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        locations=locations,
    )
    api = _Api(state)
    counted = _vendor_routes(api)

    def guard(scope: Scope, route: VendorRoute | None) -> Scope:
        # Every ``/external/`` request, a route or not: an unauthenticated request to an unknown route is a 401.
        headers = Headers(scope=scope)
        state.authenticate(headers.get("x-api-key"), headers.get("authorization"))
        return scope

    return _app.build_app(
        state,
        [*(entry.route for entry in counted), *_control_routes(api)],
        gateway={
            "routes": counted,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: ApiError(status, "Injected fault", headers).response(),
            "guard": guard,
            "is_api": _is_api,
            # Both forms of every path are served, never redirected; ``meta.next`` keeps the form sent.
            "strip_slash": True,
        },
        http_error=_http_error,
    )


def run(
    host: str,
    port: int,
    items: int,
    seed: int,
    *,
    facilities: int = 2,
    sales: int = 0,
    webhook_url: str | None = None,
    webhook_key: str = DEFAULT_WEBHOOK_KEY,
    locations: int = 0,
    log_level: str = "info",
) -> None:
    """Serve the sandbox with uvicorn until interrupted (used by ``cannasync sandbox flourish``)."""
    app = create_app(
        items=items,
        seed=seed,
        facilities=facilities,
        sales=sales,
        webhook_url=webhook_url,
        webhook_key=webhook_key,
        locations=locations,
    )
    _app.serve(app, host, port, log_level)
