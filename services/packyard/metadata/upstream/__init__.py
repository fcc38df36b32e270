"""upstream domain of the metadata service."""
