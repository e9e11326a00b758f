"""FastAPI: the REST API under /api/v1, with bearer-token auth per organization."""
