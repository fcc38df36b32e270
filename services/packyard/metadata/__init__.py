"""The metadata service: feeds, projects, releases, files and API keys in PostgreSQL."""
