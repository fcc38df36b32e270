"""access domain of the metadata service."""
