"""The Markdown engines (``markdown_engine``): Python-Markdown and pyromark give the same
markup where a page depends on it (footnotes, tables, raw HTML, summaries, word counts),
and switching engines re-renders everything."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sitegen import output_tree, set_config, tree_difference, write_site

from masthead import markup
from masthead.article import parse_article
from masthead.config import SiteConfig
from masthead.incremental.fingerprint import parse_fingerprint
from masthead.model import BuildOptions, ProblemsError
from masthead.pipeline import build

ENGINES = sorted(markup.ENGINES)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def convert(engine: str):
    return markup.make_converter(SiteConfig(markdown_engine=engine)).convert


def test_every_engine_is_a_setting_choice():
    from masthead.config import ENGINE_CHOICES

    assert set(ENGINE_CHOICES) == set(markup.ENGINES)


def test_a_paragraph_comes_out_alike(convert):
    assert convert("Hello *world*.") == "<p>Hello <em>world</em>.</p>"
    assert convert("") == ""


def test_tables(convert):
    html = convert("| a | b |\n|---|:-:|\n| 1 | *2* |\n")
    assert "<table>" in html and "<th>a</th>" in html
    assert '<td style="text-align: center' in html and "<em>2</em>" in html


FOOTNOTED = "Claim.[^src] Again.[^src] Other.[^2]\n\n[^src]: The *source*.\n[^2]: Second.\n"


def test_footnotes_have_python_markdowns_markup(convert):
    html = convert(FOOTNOTED)
    assert '<p>Claim.<sup id="fnref:src"><a class="footnote-ref" href="#fn:src">1</a></sup>' in html
    assert '<sup id="fnref2:src"><a class="footnote-ref" href="#fn:src">1</a></sup>' in html
    assert html.index('<div class="footnote">\n<hr>\n<ol>\n<li id="fn:src">') > html.index("Other.")
    assert (
        '<p>The <em>source</em>.&#160;<a class="footnote-backref" href="#fnref:src" '
        'title="Jump back to footnote 1 in the text">&#8617;</a><a class="footnote-backref" '
        'href="#fnref2:src" title="Jump back to footnote 1 in the text">&#8617;</a></p>'
    ) in html
    assert '<li id="fn:2">' in html
    assert html.endswith("</ol>\n</div>")


def test_footnotes_written_mid_body_go_to_the_end(convert):
    html = convert("One.[^a]\n\n[^a]: Note.\n\nTwo.\n")
    assert html.index("<p>Two.</p>") < html.index('<div class="footnote">')
    assert html.count("Note.") == 1


def test_a_footnote_ending_in_a_block_gets_its_back_link_in_a_paragraph(engine):
    html = markup.make_converter(SiteConfig(markdown_engine=engine)).convert(
        "One.[^a]\n\n[^a]: Note.\n\n    > Quoted.\n"
    )
    assert "Quoted." in html and 'href="#fnref:a"' in html
    assert '<li id="fn:a">' in html


def test_raw_html_in_a_footnote_does_not_swallow_the_body():
    convert = markup.make_converter(SiteConfig(markdown_engine="pyromark")).convert
    html = convert("One.[^a]\n\n[^a]: Note <div>unclosed\n\nAfter.\n")
    assert "After." in html and 'id="fn:a"' in html


def test_converters_are_reset_between_documents(convert):
    assert "footnote" in convert(FOOTNOTED)
    assert convert("No notes here.") == "<p>No notes here.</p>"


def test_raw_html_is_published_as_written_by_both(convert):
    """The documented rule (README, 'Trusted, not sandboxed'): masthead does not sanitise
    the archive's own HTML, whichever engine converts it."""
    raw = '<div class="box">raw <script>alert(1)</script></div>'
    assert raw in convert(f"Before.\n\n{raw}\n\nAfter.\n")
    assert '<span class="x">' in convert('Inline <span class="x">html</span>.')


def test_markup_in_text_is_escaped_by_both(convert):
    html = convert("Use `<script>` and 5 < 6 & 7.\n\n    <b>code</b>\n")
    assert "<code>&lt;script&gt;</code>" in html
    assert "5 &lt; 6 &amp; 7" in html
    assert "&lt;b&gt;code&lt;/b&gt;" in html


def test_headings_have_no_ids_by_default_and_take_attributes(convert):
    assert convert("## Background") == "<h2>Background</h2>"
    assert 'id="why"' in convert("## Why it matters {#why}")


def test_definition_lists(convert):
    html = convert("Term\n: Definition\n")
    assert "<dl>" in html and "<dt>Term</dt>" in html and "<dd>Definition</dd>" in html


BODY = (
    "## Lead heading\n\nFirst *para* with a [link](https://example.org/) and a note.[^1]\n\n"
    "![A harbour](/img/harbour.jpg)\n\n| a | b |\n|---|---|\n| one | two |\n\n"
    "- item one\n- item two\n\n[^1]: The note.\n"
)


def test_summary_and_word_count_come_out_alike_from_both_engines():
    config = SiteConfig()
    text = "---\ntitle: T\ndate: 2020-01-02\ncategory: C\nsource: S\n---\n" + BODY
    made = {}
    for engine in ENGINES:
        article, problems = parse_article("a.md", text, SiteConfig(markdown_engine=engine))
        assert article is not None, problems
        made[engine] = article
    summaries = {engine: a.summary for engine, a in made.items()}
    assert set(summaries.values()) == {"First para with a link and a note.1"}, summaries
    counts = {engine: a.word_count for engine, a in made.items()}
    assert len(set(counts.values())) == 1, counts
    for article in made.values():
        assert '<img alt="A harbour" src="/img/harbour.jpg"' in article.body_html or (
            '<img src="/img/harbour.jpg" alt="A harbour"' in article.body_html
        )
    assert config.markdown_engine == "markdown"


def test_hostile_bodies_convert_quickly_and_without_crashing():
    """pulldown-cmark is linear and iterative: no RecursionError on deep nesting and no
    quadratic blow-up on runs of brackets (which markdown_seconds guards Python-Markdown
    against)."""
    convert = markup.make_converter(SiteConfig(markdown_engine="pyromark")).convert
    for text in (
        ">" * 50_000,
        "[" * 100_000,
        "*a **" * 20_000,
        "\n".join("  " * i + "- x" for i in range(500)),
    ):
        assert convert(text)


def test_the_parse_print_covers_the_engine():
    assert parse_fingerprint(SiteConfig(markdown_engine="pyromark")) != parse_fingerprint(
        SiteConfig()
    )


def test_a_missing_engine_library_is_a_one_line_config_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyromark", None)  # import pyromark: ImportError
    site = write_site(
        tmp_path / "site",
        {"markdown_engine": "pyromark"},
        {"a.md": {"title": "A", "date": "2020-01-01"}},
    )
    with pytest.raises(ProblemsError) as caught:
        build(site, BuildOptions(use_cache=False, jobs=1))
    assert [str(p) for p in caught.value.problems] == [
        "pyproject.toml: error: [tool.masthead] markdown_engine: " + markup.ENGINE_MISSING
    ]


def _footnoted_site(root: Path, engine: str) -> Path:
    articles = {
        f"2020/0{n}/story-{n}.md": {
            "title": f"Story {n}",
            "date": f"2020-0{n}-0{n}T10:00:00",
            "category": "World",
            "source": "Wire",
            "body": BODY,
        }
        for n in range(1, 5)
    }
    return write_site(root, {"markdown_engine": engine, "per_page": 2}, articles)


def test_switching_engines_parses_and_renders_everything_again(tmp_path):
    site = _footnoted_site(tmp_path / "site", "markdown")
    first = build(site, BuildOptions(jobs=1))
    assert not first.errors and first.parsed == 4
    assert build(site, BuildOptions(jobs=1)).rendered == 0
    set_config(site, "markdown_engine", '"pyromark"')
    switched = build(site, BuildOptions(jobs=1))
    assert not switched.errors
    assert (switched.parsed, switched.reused) == (4, 0)
    assert switched.rendered == switched.pages
    clean = tmp_path / "clean"
    assert not build(site, BuildOptions(jobs=1, use_cache=False, output=str(clean))).errors
    assert tree_difference(output_tree(site / "output"), output_tree(clean)) == ""
    assert b'<li id="fn:1">' in (site / "output/2020/01/01/story-1/index.html").read_bytes()
    set_config(site, "markdown_engine", '"markdown"')
    back = build(site, BuildOptions(jobs=1))
    assert (back.parsed, back.rendered) == (4, back.pages)


def test_void_elements_are_written_as_html_by_both(convert):
    html = convert('![A "q"](/a.jpg "T")\n\none  \ntwo\n\n---\n\n`<br />`\n')
    assert " />" not in html.replace("&lt;br /&gt;", "")
    assert "<br>" in html and "<hr>" in html and "&lt;br /&gt;" in html
    assert 'src="/a.jpg"' in html and 'alt="A &quot;q&quot;"' in html


# Each row of docs/content.md's "Syntax differences" table: source -> (markdown, pyromark).
DOCUMENTED = {
    "A paragraph.\n{: .lead }\n": (
        '<p class="lead">A paragraph.</p>',
        "<p>A paragraph.\n{: .lead }</p>",
    ),
    "## Results {#results .wide}\n": (
        '<h2 class="wide" id="results">Results</h2>',
        '<h2 id="results" class="wide">Results</h2>',
    ),
    "The UN met.\n\n*[UN]: United Nations\n": (
        '<p>The <abbr title="United Nations">UN</abbr> met.</p>',
        "<p>The UN met.</p>\n<p>*[UN]: United Nations</p>",
    ),
    '<div markdown="1">\n*Kept*\n</div>\n': (
        "<div>\n<p><em>Kept</em></p>\n</div>",
        '<div markdown="1">\n*Kept*\n</div>',
    ),
    '<div class="box">\n\n*inside*\n\n</div>\n': (
        '<div class="box">\n\n*inside*\n\n</div>',
        '<div class="box">\n<p><em>inside</em></p>\n</div>',
    ),
    "Points:\n- one\n- two\n": (
        "<p>Points:\n- one\n- two</p>",
        "<p>Points:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
    ),
    "- outer\n  - inner\n": (
        "<ul>\n<li>outer</li>\n<li>inner</li>\n</ul>",
        "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n</ul>\n</li>\n</ul>",
    ),
    "- outer\n    - inner\n": (
        "<ul>\n<li>outer<ul>\n<li>inner</li>\n</ul>\n</li>\n</ul>",
        "<ul>\n<li>outer\n<ul>\n<li>inner</li>\n</ul>\n</li>\n</ul>",
    ),
    "#Hashtag\n": ("<h1>Hashtag</h1>", "<p>#Hashtag</p>"),
    "~~gone~~\n": ("<p>~~gone~~</p>", "<p><del>gone</del></p>"),
    "| a |\n|:-:|\n| 1 |\n": (
        '<table>\n<thead>\n<tr>\n<th style="text-align: center;">a</th>\n</tr>\n</thead>\n'
        '<tbody>\n<tr>\n<td style="text-align: center;">1</td>\n</tr>\n</tbody>\n</table>',
        '<table><thead><tr><th style="text-align: center">a</th></tr></thead><tbody>\n'
        '<tr><td style="text-align: center">1</td></tr>\n</tbody></table>',
    ),
}
SAME = (
    '"Quoted" -- it\'s...\n',
    "Text.\n\n    code line\n",
    "```python\nx = 1\n```\n",
    "- first\ncontinued lazily\n- second\n",
    "3. three\n4. four\n",
    "See <https://example.org> and https://example.org now.\n",
    "snake_case_name\n",
    "Quorum\n: The members needed to vote.\n",
)


@pytest.mark.parametrize("source", list(DOCUMENTED) + list(SAME))
def test_the_documented_syntax_differences_hold(source):
    python_markdown, fast = (
        markup.make_converter(SiteConfig(markdown_engine=name)).convert(source)
        for name in ("markdown", "pyromark")
    )
    if source in DOCUMENTED:
        assert (python_markdown, fast) == DOCUMENTED[source]
    else:
        assert python_markdown == fast


def test_footnotes_are_numbered_in_the_order_they_are_defined(convert):
    """Python-Markdown's numbering: the list's order, so that each number names its item."""
    html = convert("B[^b] A[^a]\n\n[^a]: Note a.\n[^b]: Note b.\n")
    assert '<a class="footnote-ref" href="#fn:b">2</a>' in html
    assert '<a class="footnote-ref" href="#fn:a">1</a>' in html
    assert html.index('<li id="fn:a">') < html.index('<li id="fn:b">')


def test_a_note_nothing_refers_to_has_no_back_link_to_nowhere():
    convert = markup.make_converter(SiteConfig(markdown_engine="pyromark")).convert
    html = convert("Text.[^a]\n\n[^a]: Used.\n[^c]: Unused.\n")
    assert '<li id="fn:c">\n<p>Unused.</p>\n</li>' in html


def test_the_demo_archive_bodies_come_out_byte_identical_from_both_engines():
    """Plain news prose (paragraphs, subheadings, lists, links, emphasis): no difference."""
    from masthead.readers import read_front_matter

    bodies = [
        read_front_matter(path.read_text("utf-8")).body
        for path in sorted((Path(__file__).parent.parent / "content").rglob("*.md"))
    ]
    assert len(bodies) >= 30
    python_markdown, fast = (
        markup.make_converter(SiteConfig(markdown_engine=name)).convert for name in ENGINES
    )
    assert [python_markdown(b) for b in bodies] == [fast(b) for b in bodies]
