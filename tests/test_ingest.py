import datetime
import json
from pathlib import Path

import pytest

from deportdata.ingest import Article, Reject, ingest_files, list_raw_files, read_raw_file
from deportdata.text import article_id, normalize_text

RAW = Path(__file__).resolve().parents[1] / "raw"

BODY_EN = (
    "Colombia has rejected two American military planes carrying deportees.\n"
    "The official said there were 80 migrants on board each of the two flights.\n"
    "President Trump then threatened tariffs on Colombian goods."
)
BODY_ES = (
    "Colombia rechazó dos aviones militares estadounidenses con migrantes deportados.\n"
    "El presidente Gustavo Petro dijo que no permitiría el aterrizaje de los vuelos "
    "hasta que el gobierno de Estados Unidos garantizara un trato digno a los migrantes."
)


def write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def read_one(path: Path, root: Path) -> Article:
    articles, rejects = read_raw_file(path, root)
    assert rejects == []
    assert len(articles) == 1
    return articles[0]


def assert_paragraphs_start_on_words(article: Article, source_lines: list[str]) -> None:
    assert len(article.paragraph_starts) == len(source_lines)
    for start, line in zip(article.paragraph_starts, source_lines, strict=True):
        assert article.body[start:].startswith(line.split()[0])


# --------------------------------------------------------------------------- seeds


def test_seed_003_title_url_outlet_and_date_from_url_line():
    article = read_one(RAW / "003_ac675ea18ca61880.txt", RAW)
    assert article.source_path == "003_ac675ea18ca61880.txt"
    assert article.source_record is None
    assert article.title == "Trump’s Deportations Only Work if Countries Agree to Take Their Citizens Back"
    assert article.url.startswith("https://www.nytimes.com/2025/01/31/world/")
    assert article.outlet == "nytimes.com"
    assert article.published_date == datetime.date(2025, 1, 31)
    assert article.language == "en"
    assert "https://" not in article.body
    assert article.body.startswith("World|Trump’s Deportations")  # the breadcrumb is kept
    assert "We have 30,000 beds in Guantánamo" in article.body
    assert article.article_id == article_id(article.body)
    lines = (RAW / "003_ac675ea18ca61880.txt").read_text(encoding="utf-8").splitlines()
    assert_paragraphs_start_on_words(article, [ln for ln in lines[2:] if ln.strip() and not ln.startswith("https://")])


def test_seed_000_has_no_title_url_or_date():
    article = read_one(RAW / "000_c261e4a2125d912e.txt", RAW)
    assert (article.url, article.outlet, article.title, article.published_date) == (None, None, None, None)
    assert article.language == "en"
    assert article.body.startswith("Donald Trump encounters early roadblocks")
    lines = [ln for ln in (RAW / "000_c261e4a2125d912e.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert_paragraphs_start_on_words(article, lines)
    assert article.n_words > 500


def test_seeds_are_distinct_and_untouched():
    before = {p.name: p.read_bytes() for p in RAW.iterdir()}
    result = ingest_files(list_raw_files(RAW), RAW)
    assert [a.source_path for a in result.articles] == ["000_c261e4a2125d912e.txt", "003_ac675ea18ca61880.txt"]
    assert result.rejects == [] and result.same_text == []
    assert {p.name: p.read_bytes() for p in RAW.iterdir()} == before
    assert ingest_files(list_raw_files(RAW), RAW) == result  # deterministic


# --------------------------------------------------------------------------- text files


def test_text_header_block(tmp_path):
    path = write(
        tmp_path,
        "wire/story.md",
        "Title: Mexico blocks a US deportation flight\n"
        "Source: Reuters\n"
        "Published: Mon, 27 Jan 2025 10:00:00 GMT\n"
        "Lang: en-US\n"
        "\n" + BODY_EN + "\n",
    )
    article = read_one(path, tmp_path)
    assert article.source_path == "wire/story.md"
    assert article.title == "Mexico blocks a US deportation flight"
    assert article.outlet == "Reuters"
    assert article.url is None
    assert article.published_date == datetime.date(2025, 1, 27)
    assert article.language == "en"
    assert article.body.startswith("Colombia has rejected")
    assert_paragraphs_start_on_words(article, BODY_EN.splitlines())


def test_header_url_gives_outlet_and_metadata_date_beats_url_date(tmp_path):
    path = write(
        tmp_path,
        "story",  # no extension: text
        "url: https://www.bbc.co.uk/news/2025/01/30/world-123\noutlet: BBC News\ndate: 2025-01-26\n\n" + BODY_EN,
    )
    article = read_one(path, tmp_path)
    assert article.outlet == "bbc.co.uk"
    assert article.published_date == datetime.date(2025, 1, 26)


def test_header_needs_a_blank_line_and_known_keys(tmp_path):
    text = "Source: Reuters said on Sunday that Colombia refused the flights.\n" + BODY_EN
    article = read_one(write(tmp_path, "a.txt", text), tmp_path)
    assert article.outlet is None
    assert article.body.startswith("Source: Reuters said")

    unknown = "Author: Jane Doe\n\n" + BODY_EN  # author is not a header key; short line: a title
    article = read_one(write(tmp_path, "b.txt", unknown), tmp_path)
    assert article.title == "Author: Jane Doe"


def test_short_lead_ending_with_full_stop_is_not_a_title(tmp_path):
    article = read_one(write(tmp_path, "a.txt", "Colombia refused two US planes.\n\n" + BODY_EN), tmp_path)
    assert article.title is None
    assert article.body.startswith("Colombia refused two US planes.")


def test_bom_and_crlf_text(tmp_path):
    path = write(tmp_path, "a.TXT", b"\xef\xbb\xbfHeadline here\r\n\r\n" + BODY_EN.replace("\n", "\r\n").encode())
    article = read_one(path, tmp_path)
    assert article.title == "Headline here"
    assert article.body == normalize_text(BODY_EN).body


def test_spanish_article_is_detected(tmp_path):
    article = read_one(write(tmp_path, "es.txt", BODY_ES), tmp_path)
    assert article.language == "es"


# --------------------------------------------------------------------------- JSON and JSONL


def test_json_array_with_three_records(tmp_path):
    records = [
        {
            "headline": "Colombia rejects flights",
            "link": "https://www.eltiempo.com/mundo/2025/01/26/colombia-vuelos",
            "publishedAt": "2025-01-26T23:30:00-05:00",
            "source": {"id": "el-tiempo", "name": "El Tiempo"},
            "content": "short teaser",
            "body": "<p>" + BODY_ES.replace("\n", "</p><p>") + "</p>",
            "lang": "es",
        },
        {
            "title": "Mexico blocks plane",
            "pubDate": "Mon, 27 Jan 2025 10:00:00 GMT",
            "source": {"name": "Wire", "domain": "www.apnews.com"},
            "text": BODY_EN,
        },
        {"title": "No text here", "url": "https://example.com/x"},
    ]
    path = write(tmp_path, "exports/api.json", json.dumps(records))
    articles, rejects = read_raw_file(path, tmp_path)

    assert [a.source_record for a in articles] == [1, 2]
    first, second = articles
    assert first.source_path == "exports/api.json"
    assert first.title == "Colombia rejects flights"
    assert first.outlet == "eltiempo.com"
    assert first.published_date == datetime.date(2025, 1, 26)  # the date as written, not UTC
    assert first.language == "es"
    assert "<p>" not in first.body and "teaser" not in first.body
    assert_paragraphs_start_on_words(first, BODY_ES.splitlines())
    assert second.outlet == "apnews.com"  # no URL: the source's domain
    assert second.published_date == datetime.date(2025, 1, 27)
    assert second.url is None
    assert rejects == [Reject("exports/api.json", 3, rejects[0].reason)]
    assert rejects[0].reason.startswith("record 3 has no text or body field")


def test_json_single_object_has_no_record_number(tmp_path):
    record = {"title": "t", "url": "https://example.org/2025-02-03/story", "full_text": BODY_EN, "language": "EN"}
    article = read_one(write(tmp_path, "one.json", json.dumps(record)), tmp_path)
    assert article.source_record is None
    assert article.published_date == datetime.date(2025, 2, 3)  # from the URL path
    assert article.outlet == "example.org"
    assert article.language == "en"


def test_json_wrapper_object(tmp_path):
    wrapped = {
        "status": "ok",
        "totalResults": 2,
        "articles": [
            {"title": "A", "url": "https://www.nytimes.com/a", "article_body": BODY_EN},
            {"title": "B", "url": "https://www.lemonde.fr/b", "article_body": BODY_ES},
        ],
    }
    articles, rejects = read_raw_file(write(tmp_path, "wrap.json", json.dumps(wrapped)), tmp_path)
    assert rejects == []
    assert [(a.source_record, a.outlet) for a in articles] == [(1, "nytimes.com"), (2, "lemonde.fr")]


def test_jsonl_with_one_bad_line(tmp_path):
    lines = [
        json.dumps({"title": "one", "text": BODY_EN}),
        "",
        '{"title": "broken", "text": ',
        json.dumps({"title": "three", "text": BODY_ES}),
        "",
    ]
    path = write(tmp_path, "feed.jsonl", "\n".join(lines))
    articles, rejects = read_raw_file(path, tmp_path)
    assert [(a.source_record, a.title) for a in articles] == [(1, "one"), (3, "three")]
    assert len(rejects) == 1
    assert rejects[0].source_path == "feed.jsonl" and rejects[0].source_record == 2
    assert rejects[0].reason.startswith("line 3: invalid JSON")


def test_jsonl_non_object_line(tmp_path):
    path = write(tmp_path, "feed.ndjson", json.dumps({"text": BODY_EN}) + "\n[1, 2]\n")
    articles, rejects = read_raw_file(path, tmp_path)
    assert len(articles) == 1
    assert rejects == [Reject("feed.ndjson", 2, "record 2 is an array, not a JSON object")]


# --------------------------------------------------------------------------- HTML

HTML_1252 = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>Colombia turns back US deportation flights - BBC News</title>
<link rel="canonical" href="https://www.bbc.co.uk/news/2025/01/30/world-latin-america-123">
<meta property="og:title" content="Colombia turns back US deportation flights">
<meta property="article:published_time" content="2025-01-26T18:05:00-05:00">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Colombia turns back US deportation flights</h1>
<p>Colombia\u2019s President Gustavo Petro said on Sunday he would not allow two US military planes
carrying deportees to land \u2014 a move that angered Washington.</p>
<p>The White House said the flights had been authorised, and President Trump threatened tariffs
of 25% on Colombian goods in response to the refusal.</p>
<p>Bogot\u00e1 later said it would send its own presidential plane to bring the migrants home
\u201cwith dignity\u201d, according to a statement from the foreign ministry.</p>
</article>
<footer>Copyright 2025</footer>
</body></html>"""


def test_html_windows_1252_canonical_and_meta_date(tmp_path):
    path = write(tmp_path, "pages/bbc.html", HTML_1252.encode("cp1252"))
    article = read_one(path, tmp_path)
    assert article.url == "https://www.bbc.co.uk/news/2025/01/30/world-latin-america-123"
    assert article.outlet == "bbc.co.uk"
    # metadata wins over the URL's 2025/01/30 (trafilatura itself would pick the URL date)
    assert article.published_date == datetime.date(2025, 1, 26)
    assert article.title == "Colombia turns back US deportation flights"
    assert article.language == "en"
    assert "Colombia’s President Gustavo Petro" in article.body
    assert "Bogotá" in article.body and "“with dignity”" in article.body
    assert "Copyright" not in article.body and "Home" not in article.body
    firsts = [article.body[s:].split()[0] for s in article.paragraph_starts]
    assert firsts[-3:] == ["Colombia’s", "The", "Bogotá"]


def test_html_iso_8859_1_label_is_read_as_windows_1252(tmp_path):
    page = HTML_1252.replace("windows-1252", "ISO-8859-1")
    article = read_one(write(tmp_path, "p.htm", page.encode("cp1252")), tmp_path)
    assert "Colombia’s President" in article.body


def test_html_date_only_in_url_and_url_from_sidecar(tmp_path):
    page = HTML_1252.replace('<link rel="canonical" href="https://www.bbc.co.uk/news/2025/01/30/world-latin-america-123">', "")
    page = page.replace('<meta property="article:published_time" content="2025-01-26T18:05:00-05:00">', "")
    path = write(tmp_path, "crawl/0001.html", page.encode("cp1252"))
    write(
        tmp_path,
        "crawl/0001.html.meta.json",
        json.dumps({"url": "https://t.co/abc", "final_url": "https://apnews.com/article/2025/01/27/x", "fetched_at": "2025-03-01T00:00:00Z"}),
    )
    article = read_one(path, tmp_path)
    assert article.url == "https://apnews.com/article/2025/01/27/x"
    assert article.outlet == "apnews.com"
    assert article.published_date == datetime.date(2025, 1, 27)  # not fetched_at
    assert list_raw_files(tmp_path) == [path]


def test_html_json_ld_date_and_og_url(tmp_path):
    page = (
        "<html><head><meta property='og:url' content='https://www.theguardian.com/world/story'>"
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "ImageObject", "datePublished": "2020-01-01"},'
        '{"@type": "NewsArticle", "datePublished": "2025-01-28T08:00:00Z"}]}</script>'
        "</head><body><article><p>" + BODY_EN.replace("\n", "</p><p>") + "</p></article></body></html>"
    )
    article = read_one(write(tmp_path, "g.html", page), tmp_path)
    assert article.url == "https://www.theguardian.com/world/story"
    assert article.outlet == "theguardian.com"
    assert article.published_date == datetime.date(2025, 1, 28)


def test_html_without_article_text(tmp_path):
    articles, rejects = read_raw_file(write(tmp_path, "x.html", "<html><head><title>t</title></head><body></body></html>"), tmp_path)
    assert articles == []
    assert rejects == [Reject("x.html", None, "no article text found in HTML")]


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\n", "empty file (only whitespace)"),
        ("blank.json", b"\n\n", "empty file (only whitespace)"),
        ("binary.txt", b"PK\x03\x04\x00\x00\x08\x00" * 20, "not a text file (contains NUL bytes)"),
        ("latin1.txt", b"Bogot\xe1 refused the flights and said so on Sunday", "not valid UTF-8 (byte 0xe1 at offset 5)"),
        ("bom16.txt", "Bogotá refused".encode("utf-16"), "not valid UTF-8 (the file starts with a UTF-16/UTF-32 byte-order mark)"),
        ("doc.pdf", b"%PDF-1.7 ...", "unsupported file type '.pdf'"),
        ("short.txt", b"Colombia refused planes.", "too short to be an article: 3 words"),
        ("syntax.json", b'{"title": "x",\n "text": }', "invalid JSON at line 2, column 10: Expecting value"),
        ("scalar.json", b"42", "JSON top level is a number, not an object or an array"),
        ("none.json", b'{"articles": []}', "no records in JSON file"),
    ],
)
def test_malformed_inputs_become_rejects(tmp_path, name, content, reason):
    path = write(tmp_path, name, content)
    articles, rejects = read_raw_file(path, tmp_path)
    assert articles == []
    assert rejects == [Reject(name, None, reason)]


def test_unreadable_path_is_a_reject(tmp_path):
    (tmp_path / "dir.txt").mkdir()
    articles, rejects = read_raw_file(tmp_path / "dir.txt", tmp_path)
    assert articles == [] and len(rejects) == 1 and rejects[0].reason.startswith("cannot read file")


# --------------------------------------------------------------------------- listing and dedup


def test_list_raw_files_order_and_skips(tmp_path):
    for name in ["b.txt", "a/z.json", "a/y.html", "a/y.html.meta.json", ".hidden.txt", ".git/x.txt", "c.PDF"]:
        write(tmp_path, name, "x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_raw_files(tmp_path)] == [
        "a/y.html",
        "a/z.json",
        "b.txt",
        "c.PDF",
    ]


def test_same_text_under_two_names_is_one_article(tmp_path):
    wrapped = BODY_EN.replace(" military ", "\nmilitary   ").replace(".\n", ".\n\n")
    write(tmp_path, "b_copy.txt", wrapped)
    write(tmp_path, "a_orig.txt", BODY_EN)
    write(tmp_path, "c.jsonl", json.dumps({"text": BODY_EN}) + "\n" + json.dumps({"text": BODY_ES}) + "\n")
    write(tmp_path, "d.txt", "tiny")
    result = ingest_files(reversed(list_raw_files(tmp_path)), tmp_path)
    assert [(a.source_path, a.source_record) for a in result.articles] == [("a_orig.txt", None), ("c.jsonl", 2)]
    original = result.articles[0].article_id
    assert result.same_text == [("b_copy.txt", original), ("c.jsonl#1", original)]
    assert [r.source_path for r in result.rejects] == ["d.txt"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-01-31", datetime.date(2025, 1, 31)),
        ("2025-01-31T23:59:00+09:00", datetime.date(2025, 1, 31)),
        ("2025-01-31T10:00:00.123Z", datetime.date(2025, 1, 31)),
        ("Fri, 31 Jan 2025 10:00:00 GMT", datetime.date(2025, 1, 31)),
        ("Friday, January 31, 2025", datetime.date(2025, 1, 31)),
        ("31 Jan 2025", datetime.date(2025, 1, 31)),
        ("2025/01/31", datetime.date(2025, 1, 31)),
        (20250131, datetime.date(2025, 1, 31)),
        (1738317600, datetime.date(2025, 1, 31)),  # epoch seconds, UTC
        (1738317600000, datetime.date(2025, 1, 31)),  # epoch milliseconds
        ("last Sunday", None),
        ("0001-01-01", None),
        ("2025-02-30", None),
    ],
)
def test_metadata_date_formats(tmp_path, value, expected):
    record = {"published_at": value, "text": BODY_EN}
    article = read_one(write(tmp_path, "d.json", json.dumps(record)), tmp_path)
    assert article.published_date == expected


def test_markdown_title_control_chars_and_text_sidecar(tmp_path):
    path = write(tmp_path, "note.md", "# Petro refuses US planes\n\n" + BODY_EN.replace("Colombia", "Colombia\x07", 1))
    write(tmp_path, "note.meta.json", json.dumps({"url": "https://www.reuters.com/world/x"}))
    article = read_one(path, tmp_path)
    assert article.title == "Petro refuses US planes"
    assert article.body == normalize_text(BODY_EN).body
    assert (article.url, article.outlet) == ("https://www.reuters.com/world/x", "reuters.com")
    assert list_raw_files(tmp_path) == [path]


def test_redirect_link_does_not_name_the_outlet(tmp_path):
    record = {"url": "https://news.google.com/rss/articles/CBMi", "source": "Reuters", "text": BODY_EN}
    article = read_one(write(tmp_path, "g.json", json.dumps(record)), tmp_path)
    assert article.outlet == "Reuters"


def test_english_is_recognised_without_the_model_and_other_languages_are_not() -> None:
    from deportdata.ingest import _detect_language, clearly_english
    from py3langid.langid import classify
    from tests.foreign_texts import FOREIGN

    from tests.test_nearcopy import GUATEMALA_STORY, OTHER_STORY, WIRE

    seeds = sorted((Path(__file__).resolve().parents[2] / "shared" / "seeds").glob("*"))
    english = [" ".join(WIRE), " ".join(OTHER_STORY), " ".join(GUATEMALA_STORY),
               *(p.read_text(encoding="utf-8", errors="ignore") for p in seeds if p.is_file())]
    for text in english:
        assert clearly_english(text[:1000]) and classify(text[:1000])[0] == "en"
    for language, text in FOREIGN.items():
        assert not clearly_english(text)
        assert _detect_language(text) == language  # the model decides
    assert not clearly_english(BODY_EN) and _detect_language(BODY_EN) == "en"  # too short to tell by words
