"""Shared fixtures: sample raw folders, a Prefect test harness (once per session, only for
tests marked `flow`) and one session-wide set of pipeline runs whose outputs several test
modules inspect.

Prefect reads its settings when it is first imported, so its environment (home, local
storage, analytics off) is set here, before any test module can import it.
"""
from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deportdata.settings import configure_prefect

REPO = Path(__file__).resolve().parents[1]
SEEDS = sorted((REPO / "raw").glob("*.txt"))

_PREFECT_ROOT = Path(tempfile.mkdtemp(prefix="deportdata-tests-"))
atexit.register(shutil.rmtree, _PREFECT_ROOT, True)
configure_prefect(_PREFECT_ROOT)  # PREFECT_HOME etc. in a temporary folder, analytics off

# Pinned so that the descriptors' `created` (and so whole release folders) are reproducible.
SOURCE_DATE_EPOCH = "1738281600"  # 2025-01-31T00:00:00Z

# --------------------------------------------------------------------------- sample raw files

HEADER_TXT = """URL: https://www.example.com/2025/02/03/guatemala-flights
Outlet: Example News
Title: Guatemala receives deportation flights
Published: 2025-02-03
Language: en

Two US military planes landed in Guatemala City on Monday with more than 150 deported migrants on board.
Guatemala's president said his government would accept the flights.
"""

PAGE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Brazil protests shackles</title>
<link rel="canonical" href="https://www.example.org/2025/01/26/brazil-protests">
<meta property="article:published_time" content="2025-01-26T10:00:00Z">
</head><body><article><h1>Brazil protests treatment of deportees</h1>
<p>Brazil's government protested on Sunday against the use of handcuffs on Brazilian deportees who arrived on a
US deportation flight in Manaus.</p>
<p>The foreign ministry said it would demand an explanation from the United States about the degrading treatment
of the 88 passengers.</p>
</article></body></html>
"""

JSONL_RECORDS = [
    {"url": "https://news.example.net/2025/01/27/honduras", "title": "Honduras accepts flights",
     "published": "2025-01-27",
     "text": "Honduras accepted two deportation flights from the United States on Monday carrying about 200 "
             "migrants, officials said."},
    {"url": "https://news.example.net/2025/01/28/mexico", "title": "Mexico turns back plane",
     "published": "2025-01-28",
     "text": "Mexico refused to allow a US military plane carrying deportees to land last week, according to "
             "officials in Mexico City."},
]

NEW_ARTICLE_TXT = """Title: Venezuela resumes deportation flights
URL: https://www.example.com/2025/02/10/venezuela-flights

Venezuela accepted two deportation flights from the United States on Monday carrying about 190 migrants, officials
in Caracas said.
"""

# path -> bytes of a file the pipeline must reject (MALFORMED_REASONS: words expected in the reason)
MALFORMED: dict[str, bytes] = {
    "bad/empty.txt": b"",
    "bad/binary.txt": bytes(range(256)) * 8,
    "bad/latin1.txt": "Colombia rechazó dos aviones con migrantes deportados desde Estados Unidos.".encode("latin-1"),
    "bad/report.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n",
    "bad/broken.json": b'{"title": "x", "text": "unterminated',
}
MALFORMED_REASONS = {
    "bad/empty.txt": "empty file",
    "bad/binary.txt": "not a text file",
    "bad/latin1.txt": "not valid UTF-8",
    "bad/report.pdf": "unsupported file type '.pdf'",
    "bad/broken.json": "invalid JSON",
}
SAME_TEXT_COPY = "zz_same_text_copy.txt"  # the first seed again, re-spaced and with CRLF line ends


def write_sample_raw(raw: Path) -> None:
    """Both seeds, one file per other format, malformed files and a same-text copy."""
    raw.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        shutil.copyfile(seed, raw / seed.name)
    (raw / "header_block.txt").write_text(HEADER_TXT, encoding="utf-8")
    (raw / "page.html").write_text(PAGE_HTML, encoding="utf-8")
    (raw / "export.jsonl").write_text("".join(json.dumps(r) + "\n" for r in JSONL_RECORDS), encoding="utf-8")
    for name, data in MALFORMED.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(data)
    seed_text = SEEDS[0].read_text(encoding="utf-8")
    copy = seed_text.replace(". ", ".   ").replace("\n", "\r\n")
    (raw / SAME_TEXT_COPY).write_bytes(copy.encode("utf-8"))


def workspace(base: Path):
    from deportdata.stages import Workspace

    return Workspace(raw=base / "raw", processed=base / "processed", cache=base / "cache")


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_stages(ws):
    """The pipeline flow's steps without Prefect, for tests that need no orchestration."""
    from deportdata.stages import run_in_order

    return run_in_order(ws)


@pytest.fixture(scope="session")
def samples():
    """The sample data and helpers, for test modules (conftest is not imported by them)."""
    import types

    return types.SimpleNamespace(
        SEEDS=SEEDS, HEADER_TXT=HEADER_TXT, PAGE_HTML=PAGE_HTML, JSONL_RECORDS=JSONL_RECORDS,
        NEW_ARTICLE_TXT=NEW_ARTICLE_TXT, MALFORMED=MALFORMED, MALFORMED_REASONS=MALFORMED_REASONS,
        SAME_TEXT_COPY=SAME_TEXT_COPY, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, write_sample_raw=write_sample_raw,
        workspace=workspace, tree_bytes=tree_bytes, run_stages=run_stages, REPO=REPO,
    )


# --------------------------------------------------------------------------- Prefect


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (new SQLite database) for the whole session; yields its URL."""
    import prefect.settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield prefect.settings.PREFECT_API_URL.value()


@dataclass
class PipelineRuns:
    base: Path
    ws: object
    first: dict
    first_tree: dict[str, bytes]          # processed/ right after the first run
    first_root: bytes                     # the root datapackage.json right after the first run
    second: dict                          # same raw/ again
    second_tree: dict[str, bytes]
    second_root: bytes
    third: dict                           # after adding NEW_ARTICLE_TXT
    third_processed_tree: dict[str, bytes] = field(default_factory=dict)


@pytest.fixture(scope="session")
def pipeline_runs(prefect_harness, tmp_path_factory) -> PipelineRuns:
    """The `pipeline` flow three times on one tmp workspace: the sample raw/, the same again,
    then with one article added."""
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("pipeline")
    ws = workspace(base)
    write_sample_raw(ws.raw)
    with pytest.MonkeyPatch.context() as env:  # pinned "created" for byte-identical descriptors
        env.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        first = pipeline(ws)
        first_tree = tree_bytes(ws.processed)
        first_root = ws.root_descriptor.read_bytes()
        second = pipeline(ws)
        second_tree = tree_bytes(ws.processed)
        second_root = ws.root_descriptor.read_bytes()
        (ws.raw / "new_article.txt").write_text(NEW_ARTICLE_TXT, encoding="utf-8")
        third = pipeline(ws)
    return PipelineRuns(base, ws, first, first_tree, first_root, second, second_tree, second_root, third,
                        tree_bytes(ws.processed))
