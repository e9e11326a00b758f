"""LeafLink Marketplace v2, seller side: products, orders received, customers, brands, staff, webhooks."""
