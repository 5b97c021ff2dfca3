"""The dataset card (README.md) written into a release folder built by the real publish code."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from deportdata.datacard import write_datacard
from test_readers import make_release, sample_tables

QUALITY = {"mention_f1": 0.8125, "field_accuracy": 0.9, "dedup_f1": 1.0}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_release(tmp_path_factory.mktemp("card"), versions=("1.0.0", "1.1.0")) / "1.1.0"


@pytest.fixture(scope="module")
def descriptor(release) -> dict:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def card(release, descriptor) -> str:
    path = write_datacard(release, sample_tables(), descriptor, QUALITY)
    assert path == release / "README.md"
    return path.read_text(encoding="utf-8")


def _section(card: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", card, flags=re.S | re.M)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_card_says_what_is_in_the_release(card):
    assert card.startswith("# Deportation flights and deportation diplomacy, coded from news: release 1.1.0\n")
    contents = _section(card, "What is in this release")
    for line in ("| `articles` | 3 |", "| `mentions` | 5 |", "| `events` | 4 |", "| `changes` | 4 |",
                 "| `rejects` | 1 |"):
        assert line in contents
    assert "`events.csv`, `events.parquet`" in contents


def test_card_counts_events_by_type_and_by_country(card):
    by_type = _section(card, "Events by type")
    assert "| `removal_flight` | deportation flights, by day, destination, carrier and outcome | 1 | 2 |" in by_type
    assert "| `agreement` |" in by_type and "| `executive_action` |" in by_type  # zero rows shown too
    assert "| **total** |  | **4** | **5** |" in by_type
    by_country = _section(card, "Events by country")
    rows = [line for line in by_country.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `USA` | United States | 3 | 0 | 3 |",
        "| `COL` | Colombia | 0 | 2 | 2 |",
        "| `CUB` | Cuba | 0 | 1 | 1 |",
        "| `GBR` | United Kingdom | 1 | 0 | 1 |",
        "| `RWA` | Rwanda | 0 | 1 | 1 |",
    ]


def test_card_gives_coverage_production_limits_licence_and_citation(card, descriptor):
    coverage = _section(card, "Date coverage")
    assert "Events happened from 2024-01-01 to 2025-01-26 (3 of 4 events have a date; by precision: day 1, " \
           "week 1, month 0, year 1, unknown 1)" in coverage
    assert "Articles were published from 2025-01-31 to 2025-02-01 (2 of 3 articles" in coverage
    production = _section(card, "How it was produced")
    assert "`rules-9.9.9`" in production and "3 distinct news articles from 3 outlet(s)" in production
    assert "1 marked as near-copies" in production and "(1 in this release: 1 at ingest)" in production
    limits = _section(card, "Known limitations")
    assert "1 event(s) with contradicting counts" in limits and "1 event(s) have no known date" in limits
    licence = _section(card, "Licence")
    assert "`CC-BY-4.0`: Creative Commons Attribution 4.0 International (https://creativecommons.org/licenses/by/4.0/)" \
        in licence
    cite = _section(card, "How to cite")
    assert "> deportdata contributors (2026). *Deportation flights" in cite and "version 1.1.0 [data set]" in cite
    assert "@misc{deportation_events_1_1_0," in cite
    files = _section(card, "Files and checksums")
    for resource in descriptor["resources"]:
        assert f"| `{resource['path']}` |" in files and resource["hash"].removeprefix("sha256:") in files


def test_quality_section_only_when_measured(card, release, descriptor, tmp_path):
    quality = _section(card, "Quality measured on the seed gold set")
    assert "| `mention_f1` |" in quality and "| 0.812 |" in quality and "| 1.000 |" in quality
    folder = tmp_path / "release"
    shutil.copytree(release, folder)
    without = write_datacard(folder, sample_tables(), descriptor, None).read_text(encoding="utf-8")
    assert "## Quality" not in without and "mention_f1" not in without
    assert without == re.sub(r"^## Quality measured.*?(?=^## )", "", card, flags=re.S | re.M)


def test_card_is_deterministic_and_dated_only_by_the_descriptor(card, release, descriptor, tmp_path):
    folder = tmp_path / "again"
    shutil.copytree(release, folder)
    again = write_datacard(folder, sample_tables(), descriptor, dict(reversed(QUALITY.items()))).read_text("utf-8")
    assert again == card
    stamps = set(re.findall(r"\d{4}-\d{2}-\d{2}T[\d:]+Z?", card))
    assert stamps == {descriptor["created"]}
