"""The metadata service: PostgreSQL behind four domains (index, access, catalog, upstream)."""
