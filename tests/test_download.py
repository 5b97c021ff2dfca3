"""`deportdata download` against a real HTTP server on 127.0.0.1 serving a `processed/` folder
built by the real publish code (see test_readers.make_release): verification, atomic writes,
re-runs, unknown versions, the index, the command line and the loader over HTTP."""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shlex
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest

from deportdata.download import DownloadError, add_download_parser, download
from deportdata.load import load
from deportdata.datacard import write_datacard
from test_readers import DOCS, make_release, sample_tables

TABLE_FILES = sorted(f"{t}.{ext}" for t in ("articles", "mentions", "events", "changes", "rejects")
                     for ext in ("csv", "parquet"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files as they are; under /cut/ it announces events.parquet's full length but sends only half
    of it and closes the connection, as a dropped download does."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/cut/") and self.path.endswith("/events.parquet"):
            body = Path(self.translate_path(self.path.removeprefix("/cut"))).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        if self.path.startswith("/cut/"):
            self.path = self.path.removeprefix("/cut")
        super().do_GET()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The folder the server serves: `processed/` (two releases) at its root."""
    root = tmp_path_factory.mktemp("host")
    processed = make_release(root)
    descriptor = json.loads((processed / "1.1.0" / "datapackage.json").read_text(encoding="utf-8"))
    write_datacard(processed / "1.1.0", sample_tables(), descriptor, None)
    return processed


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def base(server) -> str:
    return f"{server}/processed"


def _mirror(site: Path, name: str) -> Path:
    """A copy of the served processed/ folder under another name, for breaking files in."""
    copy = site.parent / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy)
    return copy


def _everything(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- the index ----------------------------------------------------------------------------

def test_index_lists_every_release_with_its_descriptor_and_counts(site):
    index = json.loads((site / "index.json").read_text(encoding="utf-8"))
    assert index["latest"] == "1.1.0"
    assert [(r["version"], r["descriptor"], r["counts"]) for r in index["releases"]] == [
        ("1.0.0", "1.0.0/datapackage.json", {"articles": 3, "mentions": 4, "events": 3}),
        ("1.1.0", "1.1.0/datapackage.json", {"articles": 3, "mentions": 5, "events": 4}),
    ]
    assert all(r["created"] == "2026-01-01T00:00:00Z" for r in index["releases"])


# --- download -----------------------------------------------------------------------------

def test_download_latest_over_http_verifies_every_file(base, site, tmp_path):
    result = download(base, "latest", tmp_path / "data")
    assert result.version == "1.1.0" and result.folder == tmp_path / "data" / "1.1.0"
    got = {f.path: f for f in result.files}
    assert sorted(p for p in got if p.endswith((".csv", ".parquet"))) == TABLE_FILES
    assert all(got[p].status == "downloaded" for p in TABLE_FILES + ["datapackage.json"])
    assert got["README.md"].status == "unhashed" and got["CHANGELOG.md"].status == "unhashed"
    for path in [*TABLE_FILES, "datapackage.json", "README.md", "CHANGELOG.md"]:
        assert (result.folder / path).read_bytes() == (site / "1.1.0" / path).read_bytes(), path
    assert _everything(tmp_path / "data") == ["1.1.0", *(f"1.1.0/{p}" for p in sorted(
        [*TABLE_FILES, "datapackage.json", "README.md", "CHANGELOG.md"]))]
    report = "\n".join(result.lines())
    assert "release 1.1.0 from" in report and "10 files verified: 10 downloaded, 0 already present" in report
    assert "events.parquet" in report


def test_rerun_skips_verified_files_and_refetches_a_damaged_one(base, tmp_path):
    to = tmp_path / "data"
    first = download(base, "1.0.0", to)
    assert first.version == "1.0.0" and len(first.downloaded) == 11
    again = download(base, "1.0.0", to)
    assert again.downloaded == [] and len(again.present) == 11
    assert "0 downloaded, 10 already present" in "\n".join(again.lines())
    (to / "1.0.0" / "mentions.csv").write_text("edited by hand\n", encoding="utf-8")
    repaired = download(base, "1.0.0", to)
    assert [f.path for f in repaired.downloaded] == ["mentions.csv"]
    assert load(source=to)["mentions"].shape[0] == 4


def test_corrupted_file_fails_naming_it_and_leaves_nothing(site, server, tmp_path):
    mirror = _mirror(site, "corrupt")
    target = mirror / "1.1.0" / "events.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes: only the hash can tell
    target.write_bytes(bytes(data))
    to = tmp_path / "fresh"
    with pytest.raises(DownloadError, match=r"events\.parquet: sha256 .* does not match") as err:
        download(f"{server}/corrupt", "latest", to)
    assert f"{server}/corrupt/1.1.0/events.parquet" in str(err.value)
    assert not to.exists()
    # into a destination that already holds a release: that one stays, nothing of 1.1.0 appears
    kept = tmp_path / "kept"
    download(f"{server}/corrupt", "1.0.0", kept)
    before = {p: (kept / p).read_bytes() for p in _everything(kept) if (kept / p).is_file()}
    with pytest.raises(DownloadError, match=r"events\.parquet"):
        download(f"{server}/corrupt", "1.1.0", kept)
    assert {p: (kept / p).read_bytes() for p in _everything(kept) if (kept / p).is_file()} == before


def test_truncated_and_missing_files_fail_naming_them(site, server, tmp_path):
    mirror = _mirror(site, "truncated")
    csv = mirror / "1.1.0" / "mentions.csv"
    size = csv.stat().st_size
    csv.write_bytes(csv.read_bytes()[: size // 2])
    with pytest.raises(DownloadError, match=rf"mentions\.csv: {size // 2} bytes, expected {size} \(truncated\)"):
        download(f"{server}/truncated", "1.1.0", tmp_path / "a")
    parquet = mirror / "1.0.0" / "articles.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-100])
    with pytest.raises(DownloadError, match=r"articles\.parquet: sha256"):
        download(f"{server}/truncated", "1.0.0", tmp_path / "b")
    events = (site / "1.1.0" / "events.parquet").stat().st_size
    with pytest.raises(DownloadError, match=rf"events\.parquet: connection closed after {events // 2} of {events} "
                                            r"bytes \(truncated\)"):
        download(f"{server}/cut/processed", "1.1.0", tmp_path / "d")
    missing = _mirror(site, "missing")
    (missing / "1.1.0" / "changes.csv").unlink()
    with pytest.raises(DownloadError, match=r"changes\.csv: listed in the descriptor but missing"):
        download(f"{server}/missing", "1.1.0", tmp_path / "c")
    assert not any((tmp_path / d).exists() for d in "abcd")


def test_unknown_version_is_refused_with_the_versions_available(base, tmp_path):
    with pytest.raises(DownloadError, match=r"release 9\.9\.9 not found at .*; available: 1\.0\.0, 1\.1\.0"):
        download(base, "9.9.9", tmp_path / "data")
    with pytest.raises(DownloadError, match="not a release version"):
        download(base, "../1.0.0", tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_host_without_index_needs_an_explicit_version(site, server, tmp_path):
    mirror = _mirror(site, "noindex")
    (mirror / "index.json").unlink()
    with pytest.raises(DownloadError, match=r"no index\.json .* give an explicit version"):
        download(f"{server}/noindex", "latest", tmp_path / "data")
    assert download(f"{server}/noindex", "1.0.0", tmp_path / "data").version == "1.0.0"
    with pytest.raises(DownloadError, match=r"release 3\.0\.0 not found"):
        download(f"{server}/noindex", "3.0.0", tmp_path / "data")


def test_download_from_a_local_folder_or_file_url(site, tmp_path):
    by_path = download(site, "latest", tmp_path / "a")
    by_url = download(site.as_uri(), "1.0.0", tmp_path / "b")
    assert (by_path.version, by_url.version) == ("1.1.0", "1.0.0")
    assert len(by_path.downloaded) == len(by_url.downloaded) == 11


def test_unreachable_host_is_a_clear_error(tmp_path):
    with pytest.raises(DownloadError, match="cannot reach http://127.0.0.1:9/"):
        download("http://127.0.0.1:9/processed", "latest", tmp_path / "data")


# --- the loader over HTTP -----------------------------------------------------------------

def test_load_from_url_downloads_verifies_and_caches(base, site, tmp_path):
    remote = load(source=base, cache=tmp_path / "cache")
    local = load(source=site)
    assert list(remote) == ["articles", "mentions", "events", "changes", "rejects"]
    for name in remote:
        pd.testing.assert_frame_equal(remote[name], local[name], obj=name)
    cached = list((tmp_path / "cache").glob("*/1.1.0/events.parquet"))
    assert len(cached) == 1
    assert len(load("1.0.0", source=base, cache=tmp_path / "cache", tables=["events"])["events"]) == 3


# --- the command line ---------------------------------------------------------------------

def _cli() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deportdata")
    add_download_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_download_reports_and_fails_with_exit_code(base, tmp_path, capsys):
    args = _cli().parse_args(["download", "--from", base, "--version", "1.0.0", "--to", str(tmp_path / "d")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"release 1.0.0 from {base} -> {tmp_path / 'd' / '1.0.0'}" in out and "mentions.parquet" in out
    args = _cli().parse_args(["download", "--from", base, "--version", "4.0.0", "--to", str(tmp_path / "e")])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("deportdata download: error: release 4.0.0 not found")
    defaults = _cli().parse_args(["download"])
    assert (defaults.source, defaults.version, defaults.to) == (None, "latest", Path("data"))


def test_docs_download_commands_run(base, site, tmp_path, monkeypatch, capsys):
    """Every `deportdata download` line of docs/using-the-data.md, pointed at the test server."""
    text = DOCS.read_text(encoding="utf-8")
    commands = [line.split("#")[0].strip() for line in text.splitlines() if line.startswith("deportdata download")]
    assert len(commands) >= 3
    monkeypatch.chdir(tmp_path)
    shutil.copytree(site, tmp_path / "processed")
    monkeypatch.setenv("DEPORTDATA_BASE_URL", base)
    for command in commands:
        argv = shlex.split(command)[1:]
        args = _cli().parse_args(argv)
        if args.source and args.source.startswith("http"):
            args.source = base  # the documented host stands for any host serving processed/
        assert args.func(args) == 0, command
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["1.0.0", "1.1.0"]
    capsys.readouterr()
