"""The theme's page chrome: language and direction of the chrome and of the article, the
"you are here" marks of the navigation, and the print-only address. Built output, read as
text; the browser tests (test_browser.py) check the same pages laid out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sitegen import build_site, write_site

from masthead.i18n import Catalogues, Words
from masthead.model import Link, Page
from masthead.render import _say, nav_current, you_are_here

URDU = {"lang": "ur", "title": "کتب میلہ", "date": "2017-08-16", "category": "Culture"}


def _site(root: Path, language: str = "en", **settings) -> Path:
    articles = {
        f"2017/0{n}/story-{n}.md": {
            "title": f"Story {n}",
            "lang": "en",
            "date": f"2017-0{n}-0{n}",
            "category": "Culture" if n % 2 else "Sport",
            "source": "Wire",
            "authors": ["Amina Khan"],
            "tags": ["Books"],
        }
        for n in range(1, 6)
    }
    articles["2017/08/urdu.md"] = {
        **URDU,
        "source": "BBC Urdu",
        "tags": ["Books"],
        "authors": ["Farah Naqvi", "Ali Raza"],
    }
    config = {
        "title": "Look Test",
        "timezone": "UTC",
        "base_url": "https://example.org/",
        "per_page": 2,
        "url_ledger": False,
        "language": language,
        **settings,
    }
    return build_site(write_site(root, config, articles))


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _site(tmp_path_factory.mktemp("look-en"))


def _read(output: Path, rel: str) -> str:
    return (output / rel).read_text(encoding="utf-8")


def _urdu_page(output: Path) -> str:
    (found,) = output.glob("2017/08/*/*/index.html")
    return found.read_text(encoding="utf-8")


def _nav_marks(html: str) -> dict[str, str]:
    """{link text: aria-current value} of the header's navigation links that have one."""
    header = html.split("</header>", 1)[0]
    return dict(
        (name, value)
        for value, name in re.findall(r'aria-current="(\w+)">([^<]+)</a></li>', header)
    )


def test_the_chrome_of_an_urdu_article_keeps_the_sites_language(english: Path) -> None:
    html = _urdu_page(english)
    assert '<html lang="en" dir="ltr">' in html
    assert '<article class="story" lang="ur" dir="rtl">' in html
    article = html.split('<article class="story"', 1)[1].split("</article>", 1)[0]
    # Labels inside the article are Urdu (the theme's catalogue); names are the site's.
    assert "بشکریہ: <a " in article and "ٹیگ" in article
    assert re.search(r">از <a [^>]+>Farah Naqvi</a> اور <a [^>]+>Ali Raza</a>", article)
    for name in ("Culture", "BBC Urdu", "Books", "Farah Naqvi", "Ali Raza"):
        assert re.search(rf'lang="en" dir="ltr">{name}</a>', article), name
    # The chrome has no lang of its own to repeat: it is the page's.
    assert '<header class="site-header">' in html and '<footer class="site-footer">' in html
    # The JSON-LD still names the article's language.
    assert '"inLanguage": "ur"' in html


def test_an_urdu_site_is_right_to_left_and_its_english_article_left_to_right(
    tmp_path: Path,
) -> None:
    output = _site(tmp_path, language="ur")
    home = _read(output, "index.html")
    assert '<html lang="ur" dir="rtl">' in home
    (english_story,) = output.glob("2017/01/*/story-1/index.html")
    html = english_story.read_text(encoding="utf-8")
    assert '<html lang="ur" dir="rtl">' in html
    assert '<article class="story" lang="en" dir="ltr">' in html
    assert re.search(r'<p class="kicker"><a href="[^"]+" lang="ur" dir="rtl">Culture</a>', html)
    urdu = _urdu_page(output)
    assert '<article class="story" lang="ur" dir="rtl">' in urdu
    assert 'lang="en" dir="ltr">Culture</a>' not in urdu


def test_the_navigation_says_where_one_is(english: Path) -> None:
    assert _nav_marks(_read(english, "category/culture/index.html")) == {
        "Culture": "page",
        "Categories": "true",
    }
    assert _nav_marks(_read(english, "category/culture/page/2/index.html")) == {
        "Culture": "true",
        "Categories": "true",
    }
    assert _nav_marks(_urdu_page(english)) == {"Culture": "true"}
    assert _nav_marks(_read(english, "2017/index.html")) == {"Archive": "true"}
    assert _nav_marks(_read(english, "2017/08/index.html")) == {"Archive": "true"}
    assert _nav_marks(_read(english, "archive/index.html")) == {"Archive": "page"}
    assert _nav_marks(_read(english, "tag/books/index.html")) == {"Tags": "true"}
    assert _nav_marks(_read(english, "tags/index.html")) == {"Tags": "page"}
    assert _nav_marks(_read(english, "index.html")) == {}


def test_an_article_prints_its_address_under_the_headline(english: Path) -> None:
    html = _urdu_page(english)
    url = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert re.search(rf'</h1>\s*<p class="print-url" dir="ltr">{re.escape(url)}</p>', html)


def test_nav_current() -> None:
    page = Page(
        "category/culture/page/2/",
        "list.html",
        "category",
        "Culture",
        "en",
        values={"trail": (Link("Home", ""), Link("Categories", "categories/"))},
    )
    assert nav_current("category/culture/page/2/", page) == ' aria-current="page"'
    assert nav_current("categories/", page) == ' aria-current="true"'
    assert nav_current("archive/", page) == ""
    day = Page("2017/08/16/", "list.html", "day", "16 August 2017", "en")
    assert nav_current("archive/", day) == ' aria-current="true"'


def test_say_marks_a_word_no_catalogue_translates() -> None:
    words = Words(Catalogues({"ur": {"By": "از"}}), "en")
    assert _say(words, "By", "ur") == "از"
    assert _say(words, "Tags", "ur") == '<span lang="en" dir="ltr">Tags</span>'
    assert _say(words, "Tags", "en-GB") == "Tags"
    assert _say(words, "<b>", "fa") == '<span lang="en" dir="ltr">&lt;b&gt;</span>'


def test_you_are_here_says_what_current_says_of_every_link() -> None:
    links = (
        Link("Categories", "categories/"),
        Link("Archive", "archive/"),
        Link("Culture", "category/culture/"),
        Link("World", "category/world/"),
    )
    trail = (Link("Home", ""), Link("Culture", "category/culture/"))
    pages = (
        Page("category/culture/", "list.html", "category", "Culture", "en"),
        Page(
            "2017/08/16/story/", "article.html", "article", "Story", "en", values={"trail": trail}
        ),
        Page("2017/08/16/", "list.html", "day", "16 August 2017", "en"),
        Page("about/", "list.html", "terms", "About", "en"),
    )
    for page in pages:
        here = you_are_here(links, page)
        for link in links:
            assert nav_current(link.url, here) == nav_current(link.url, page), (page.url, link)
    assert you_are_here(links, pages[3]) == (), "nothing marked: the state most pages share"
    assert you_are_here(links, pages[1]) == (("category/culture/", "true"),)
