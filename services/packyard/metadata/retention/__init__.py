"""Retention: per-feed rules that remove old releases and cached upstream files."""
