"""catalog domain of the metadata service."""
