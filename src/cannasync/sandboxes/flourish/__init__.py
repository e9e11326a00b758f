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
read and never stored (``fleet.FleetShelf``), so a thousand facilities cost no start-up time and
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

from cannasync.sandboxes.flourish.app import create_app, run
from cannasync.sandboxes.flourish.auth import DEFAULT_CREDENTIALS
from cannasync.sandboxes.flourish.customers import CUSTOMER_ORDERINGS
from cannasync.sandboxes.flourish.discounts import DISCOUNT_TYPES
from cannasync.sandboxes.flourish.facilities import UOMS
from cannasync.sandboxes.flourish.gateway import parse_fault
from cannasync.sandboxes.flourish.inventory import MAX_SUMMARY_IDS
from cannasync.sandboxes.flourish.order_bodies import FULFILLMENT_TYPES
from cannasync.sandboxes.flourish.orders import EDITABLE_STATUSES, FINAL_STATUSES, ORDER_STATUSES
from cannasync.sandboxes.flourish.outbound import (
    LEAFLINK_PAYMENT_TERMS,
    OUTBOUND_EDITABLE,
    OUTBOUND_FINAL,
    OUTBOUND_STATUSES,
)
from cannasync.sandboxes.flourish.state import FlourishSandbox
from cannasync.sandboxes.flourish.webhooks import DEFAULT_WEBHOOK_KEY, WEBHOOK_RESOURCE_TYPES, WEBHOOK_TIMEOUT
from cannasync.sandboxes.flourish.wire import PAGE_LIMIT, V1, V2, ApiError

__all__ = [
    "CUSTOMER_ORDERINGS",
    "DEFAULT_CREDENTIALS",
    "DEFAULT_WEBHOOK_KEY",
    "DISCOUNT_TYPES",
    "EDITABLE_STATUSES",
    "FINAL_STATUSES",
    "FULFILLMENT_TYPES",
    "LEAFLINK_PAYMENT_TERMS",
    "MAX_SUMMARY_IDS",
    "ORDER_STATUSES",
    "OUTBOUND_EDITABLE",
    "OUTBOUND_FINAL",
    "OUTBOUND_STATUSES",
    "PAGE_LIMIT",
    "UOMS",
    "V1",
    "V2",
    "WEBHOOK_RESOURCE_TYPES",
    "WEBHOOK_TIMEOUT",
    "ApiError",
    "FlourishSandbox",
    "create_app",
    "parse_fault",
    "run",
]
