"""index domain of the metadata service."""
