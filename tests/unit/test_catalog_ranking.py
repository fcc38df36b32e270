"""Search ranking and query normalization of the catalog (pure functions)."""

from __future__ import annotations

import pytest
from packyard.metadata.catalog.models import CatalogProject
from packyard.metadata.catalog.ranking import closeness, edit_distance, rank
from packyard.metadata.catalog.service import name_query


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("requests", "requests", 0),
        ("reqeusts", "requests", 1),  # one swap of neighbours is one edit
        ("pytset", "pytest", 1),
        ("pytset", "pytz", 3),
        ("flsk", "flask", 1),
        ("", "abc", 3),
        ("abc", "", 3),
    ],
)
def test_edit_distance_counts_a_transposition_once(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


def test_closeness_is_one_for_equal_names_and_zero_for_nothing_in_common() -> None:
    assert closeness("numpy", "numpy") == 1.0
    assert closeness("abc", "xyz") == 0.0
    assert closeness("pytest", "pytset") > closeness("pytz", "pytset")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Flask_SQLAlchemy", "flask-sqlalchemy"),
        ("  flask  sqlalchemy ", "flask-sqlalchemy"),
        ("zope.interface", "zope-interface"),
        ("---", ""),
    ],
)
def test_queries_are_normalized_like_project_names(query: str, expected: str) -> None:
    assert name_query(query) == expected


def test_rank_lifts_the_closest_name_and_breaks_ties_by_downloads() -> None:
    def project(name: str, score: float, downloads: int = 0) -> CatalogProject:
        return CatalogProject(
            feed="f", name=name, display_name=name, score=score, downloads=downloads
        )

    candidates = [project("pytz", 3.3), project("pytest", 2.7), project("pytest-cov", 2.0)]
    assert [p.name for p in rank(candidates, "pytset", 2)] == ["pytest", "pytz"]
    tied = [project("b", 1.0, downloads=1), project("a", 1.0, downloads=5)]
    assert [p.name for p in rank(tied, "zzz", 5)] == ["a", "b"]
