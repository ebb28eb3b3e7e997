"""Queries, one module per aggregate. Repositories never commit: services own transactions."""
