"""cannasync: keeps a dispensary's online store, loyalty program and wholesale channel in sync with its POS."""
