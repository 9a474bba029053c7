"""Organisations (tenants) and the API clients that act for them."""
