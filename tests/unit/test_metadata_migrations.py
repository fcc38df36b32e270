"""The shipped migrations are well named and ordered (packyard.metadata.migrate)."""

from __future__ import annotations

from packyard.metadata.migrate import load_migrations


def test_migrations_are_numbered_in_order_without_duplicates() -> None:
    # Numbers may have gaps: work done in parallel reserves its numbers ahead.
    migrations = load_migrations()
    assert migrations[0].version == "0001_init"
    numbers = [int(m.version[:4]) for m in migrations]
    assert numbers == sorted(set(numbers))


def test_no_migration_manages_its_own_transaction() -> None:
    # Each file runs inside a transaction the runner opens; a COMMIT inside would end it early.
    for migration in load_migrations():
        words = migration.sql.upper().split()
        assert "COMMIT;" not in words and "BEGIN;" not in words, migration.version
