"""What every sandbox shares: the gateway in front of its routes (request counts, injected faults, the vendor's
guard), fault parsing, a rolling-window rate limit, the control routes, building and serving the app, and value
helpers. Each vendor's package keeps only its own routes, data, error wording, authentication and limits.

Seed name lists stay with each vendor on purpose: each sandbox's generated customers are part of its fixed,
seeded data, which tests and the demo rely on.
"""
