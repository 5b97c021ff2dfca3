"""Tests for the synthetic benchmark corpus generator (bench/corpus.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import statistics
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bench import corpus
from bench.corpus import CorpusStats, add_new_articles, generate_corpus

SIZE = 300
HEADER_RE = re.compile(r"^(url|outlet|title|published): (.+)$")


# ---------------------------------------------------------------------------- helpers
def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _parse_txt(p: Path) -> tuple[dict, str]:
    text = p.read_text(encoding="utf-8")
    head, body = text.split("\n\n", 1)
    meta = {}
    for line in head.split("\n"):
        m = HEADER_RE.match(line)
        assert m, f"{p.name}: bad header line {line!r}"
        meta[m.group(1)] = m.group(2)
    return meta, body


def _html_body(text: str) -> str:
    art = text[text.index("<article>"): text.index("</article>")]
    return "\n\n".join(unescape(x) for x in re.findall(r"<p>(.*?)</p>", art, re.S))


def _articles(root: Path) -> list[tuple[str, str, str]]:
    """(file id, format, body text) for every article under root."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix == ".txt":
            out.append((p.name, "txt", _parse_txt(p)[1]))
        elif p.suffix == ".html":
            out.append((p.name, "html", _html_body(p.read_text(encoding="utf-8"))))
        elif p.suffix == ".jsonl":
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines()):
                out.append((f"{p.name}#{i}", "jsonl", json.loads(line)["content"]))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, CorpusStats]:
    root = tmp_path_factory.mktemp("corpus") / "raw"
    stats = generate_corpus(root, SIZE, seed=0)
    return root, stats


# ---------------------------------------------------------------------------- tests
def test_deterministic(tmp_path, built):
    root, _ = built
    again = generate_corpus(tmp_path / "b", SIZE, seed=0, threaded=False)
    assert _hashes(root) == _hashes(tmp_path / "b")
    other = generate_corpus(tmp_path / "c", 50, seed=1)
    assert other.n_articles == 50
    assert not set(_hashes(root).values()) & set(_hashes(tmp_path / "c").values())
    assert again.total_bytes == built[1].total_bytes


def test_counts_and_shares(built):
    root, st = built
    files = [p for p in root.rglob("*") if p.is_file()]
    assert st.n_articles == SIZE
    assert st.n_files == len(files)
    assert st.total_bytes == sum(p.stat().st_size for p in files)
    assert st.n_txt + st.n_html + st.n_jsonl_files == st.n_files
    assert st.n_txt + st.n_html + st.n_jsonl_articles == SIZE
    assert 0.06 <= st.n_near_copies / SIZE <= 0.10
    assert 0.12 <= st.n_irrelevant / SIZE <= 0.18
    assert 1 <= st.n_exact_duplicates <= 6
    assert 0.07 <= st.n_html / SIZE <= 0.13
    assert 0.03 <= st.n_jsonl_articles / SIZE <= 0.07
    arts = _articles(root)
    assert len(arts) == SIZE
    assert st.total_words == sum(len(b.split()) for _, _, b in arts)
    # irrelevant articles carry no deportation vocabulary; relevant ones do
    unrelated = [a for a in arts if not re.search(r"deport|migrant|removal", a[2], re.I)]
    assert abs(len(unrelated) - st.n_irrelevant) <= 3


def test_exact_duplicates_and_near_copies(built):
    root, st = built
    by_hash = Counter(_hashes(root).values())
    assert sum(n - 1 for n in by_hash.values() if n > 1) == st.n_exact_duplicates
    bodies = [b for _, _, b in _articles(root)]
    boiler = re.compile(r"originally published by|first appeared on|Syndicated|newsletter|"
                        r"All rights reserved|Reporting by|wire agency feed|follow us", re.I)
    assert sum(bool(boiler.search(b)) for b in bodies) >= st.n_near_copies * 0.9


def test_word_lengths(built):
    words = [len(b.split()) for _, _, b in _articles(built[0])]
    assert min(words) >= corpus.MIN_WORDS
    assert max(words) <= corpus.MAX_WORDS
    assert 400 <= statistics.median(words) <= 750
    assert sum(400 <= w <= 700 for w in words) / len(words) >= 0.4


def test_every_format_and_layout(built):
    root, _ = built
    exts = Counter(p.suffix for p in root.rglob("*") if p.is_file())
    assert set(exts) == {".txt", ".html", ".jsonl"}
    assert [p.name for p in root.iterdir()] == ["0000"]


def test_subfolders_of_limited_size(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "FILES_PER_DIR", 100)
    generate_corpus(tmp_path / "r", 250, seed=3)
    dirs = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert dirs == ["0000", "0001", "0002"]
    assert all(len(list((tmp_path / "r" / d).iterdir())) <= 100 for d in dirs)


def test_txt_headers_parse(built):
    for p in built[0].rglob("*.txt"):
        meta, body = _parse_txt(p)
        assert set(meta) == {"url", "outlet", "title", "published"}
        d = dt.date.fromisoformat(meta["published"])
        assert meta["url"].startswith("https://www.")
        assert f"/{d.year}/{d.month:02d}/{d.day:02d}/" in meta["url"]
        paras = body.strip().split("\n\n")
        assert paras and all(p.strip() for p in paras)
        assert all(len(re.findall(r"[.!?][\"”]?(?:\s|$)", x)) <= 8 for x in paras)


class _Balance(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def test_html_pages(built):
    pages = list(built[0].rglob("*.html"))
    assert pages
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert re.search(r'<link rel="canonical" href="https://www\.[^"]+/\d{4}/\d\d/\d\d/[^"]+"', text)
        m = re.search(r'<meta property="article:published_time" content="([^"]+)"', text)
        assert m and dt.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
        assert "<title>" in text and "<h1>" in text and "<nav>" in text and "<footer>" in text
        bal = _Balance()
        bal.feed(text)
        assert bal.ok and not bal.stack, p.name
        assert len(_html_body(text).split()) >= corpus.MIN_WORDS


def test_jsonl_exports(built):
    files = list(built[0].rglob("*.jsonl"))
    assert files
    for p in files:
        lines = p.read_text(encoding="utf-8").splitlines()
        assert len(lines) >= 2
        for line in lines:
            obj = json.loads(line)
            assert isinstance(obj, dict)
            assert {"title", "url", "publishedAt", "source", "content"} <= set(obj)
            assert obj["source"]["name"] and obj["url"].startswith("https://")
            dt.datetime.fromisoformat(obj["publishedAt"].replace("Z", "+00:00"))


def test_events_recur_across_outlets(built):
    """The same story shows up in several outlets (dedup has work to do)."""
    root = built[0]
    metas = [_parse_txt(p)[0] for p in root.rglob("*.txt")]
    outlets = Counter(m["outlet"] for m in metas)
    assert len(outlets) >= 25
    pairs = Counter()
    for _, _, body in _articles(root):
        m = re.search(r"(\d[\d,]*) (?:migrants|deportees|people|passengers)", body)
        if m:
            pairs[m.group(1)] += 1
    assert sum(1 for n in pairs.values() if n >= 3) >= 3


def test_template_coverage():
    types = {t for t, _ in corpus.EVENT_T}
    assert types == {"removal_flight", "diplomatic_response", "agreement", "coercive_measure",
                     "detention", "military_deployment", "executive_action"}
    statuses = {s for t, s in corpus.EVENT_T if t == "removal_flight"}
    assert statuses == {"planned", "departed", "landed", "refused", "diverted", "cancelled"}
    assert sum(map(len, corpus.EVENT_T.values())) >= 60
    assert corpus.template_count() >= 150
    assert len(corpus.OUTLETS) >= 40 and len({o[1] for o in corpus.OUTLETS}) == len(corpus.OUTLETS)
    assert len(set(corpus.COUNTRIES)) >= 30


def test_add_new_articles(tmp_path):
    root = tmp_path / "raw"
    generate_corpus(root, 120, seed=0)
    before = {p: (p.stat().st_mtime_ns, h) for p, h in
              ((root / k, v) for k, v in _hashes(root).items())}
    old_bodies = {b for _, _, b in _articles(root)}
    new = add_new_articles(root, 60, seed=7)
    assert new and all(p.exists() for p in new)
    assert {p.parent.name for p in new} == {"new-s7-0000"}
    assert not set(new) & set(before)
    for p, (mtime, h) in before.items():
        assert p.stat().st_mtime_ns == mtime
        assert hashlib.sha256(p.read_bytes()).hexdigest() == h
    added = _articles(root / "new-s7-0000")
    assert len(added) == 60
    bodies = [b for _, _, b in added]
    assert len(set(bodies)) == 60
    assert not set(bodies) & old_bodies
    with pytest.raises(FileExistsError):
        add_new_articles(root, 5, seed=7)
    # deterministic, and another seed gives another batch
    other = tmp_path / "raw2"
    generate_corpus(other, 120, seed=0)
    again = add_new_articles(other, 60, seed=7)
    assert [p.relative_to(other) for p in again] == [p.relative_to(root) for p in new]
    assert _hashes(root) == _hashes(other)
    assert add_new_articles(root, 5, seed=8)[0].parent.name == "new-s8-0000"


def test_refuses_non_empty_dir(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_corpus(out, 10)
    assert corpus.main(["--size", "10", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert corpus.main(["--size", "10", "--out", str(out), "--force"]) == 0
    assert (out / "keep.txt").read_text() == "x"
    assert json.loads(capsys.readouterr().out)["n_articles"] == 10
    empty = tmp_path / "empty"
    empty.mkdir()
    assert generate_corpus(empty, 5).n_articles == 5
