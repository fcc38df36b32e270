"""Promotion: copying a release from one feed to another, and the feeds' promotion policies."""
