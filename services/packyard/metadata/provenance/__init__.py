"""PEP 740 provenance of hosted files (verified by the gateway, stored here)."""
