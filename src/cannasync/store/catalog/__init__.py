"""Products as the store keeps them, one module per concern.

* ``products``: the product reads the API and the console list (``uow.catalog``);
* ``categories``: the store's table from POS categories to its own (``uow.categories``);
* ``sync``: what a menu sync writes, a page at a time, and the images it fetches (``uow.catalog_sync``);
* ``holds``: stock held for open orders, taken and given back (``uow.holds``; when is ``domain.holds``);
* ``storefront``: the shopper's menu, filtered and faceted in the database;
* ``stock``: "available = POS quantity − held" in SQL, for every query that asks it.
"""
