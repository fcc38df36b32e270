"""Webhooks: per-feed endpoints, the deliveries changes enqueue, and their delivery."""
