"""Fragments: a card rendered once per article and reused by every listing that shows it
the same way, still an ordinary template a site can override, and an edit to it re-renders
the listings (render.Fragments, fingerprint._fragments)."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import jinja2
import pytest
from sitegen import build_site, copy_theme_template, masthead, ok, tiny_site

from masthead.incremental.fingerprint import TemplateFingerprints
from masthead.model import Link
from masthead.render import ArticleView, Fragments, _fragment_key


def counting_env(templates: dict[str, str]) -> tuple[jinja2.Environment, list[str]]:
    calls: list[str] = []
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
    env.globals["count"] = lambda name: calls.append(name) or ""
    env.globals["fragment"] = Fragments(env)
    return env, calls


@dataclasses.dataclass(frozen=True)
class Story:
    title: str


CARD = {"card.html": "{{ count('card') }}<b>{{ item.title }}</b> {{ tag }}"}


def test_equal_values_render_once_and_give_the_same_html() -> None:
    env, calls = counting_env(CARD)
    fragment = env.globals["fragment"]
    story = Story("Rain & sun")
    first = fragment("card.html", item=ArticleView(story), tag="a")
    again = fragment("card.html", item=ArticleView(story), tag="a")  # a new view, same record
    assert first == again == "<b>Rain &amp; sun</b> a"
    assert isinstance(first, jinja2.utils.markupsafe.Markup), "not escaped a second time"
    assert calls == ["card"]


def test_other_values_another_article_or_an_equal_copy_render_again() -> None:
    env, calls = counting_env(CARD)
    fragment = env.globals["fragment"]
    story = Story("One")
    fragment("card.html", item=ArticleView(story), tag="a")
    assert fragment("card.html", item=ArticleView(story), tag="b") == "<b>One</b> b"
    assert fragment("card.html", item=ArticleView(Story("Two")), tag="a") == "<b>Two</b> a"
    copy = dataclasses.replace(story)  # equal but not the same record: not trusted
    assert fragment("card.html", item=ArticleView(copy), tag="a") == "<b>One</b> a"
    assert calls == ["card"] * 4


def test_a_key_is_one_flat_tuple_that_no_other_values_can_spell() -> None:
    """Keys are kept by the ten thousand, so each is one tuple; an article in it is marked
    so that no plain values (a field named like another, a tuple spelling an article) give
    the same key."""
    story = Story("One")
    key, articles = _fragment_key("card.html", {"item": ArticleView(story), "tag": "a"})
    assert articles == (story,)
    assert not any(type(part) is tuple for part in key), key
    spelled = {"item": ("article", id(story), False), "tag": "a"}
    assert _fragment_key("card.html", spelled)[0] != key
    moved = {"item": "tag", "tag": ArticleView(story)}
    assert _fragment_key("card.html", moved)[0] != key
    env, calls = counting_env({"card.html": "{{ count('card') }}{{ item }}|{{ tag }}"})
    fragment = env.globals["fragment"]
    fragment("card.html", item=ArticleView(story), tag="a")
    fragment("card.html", **spelled)
    assert calls == ["card", "card"]


def test_a_value_that_cannot_be_compared_renders_every_time() -> None:
    env, calls = counting_env(CARD)
    fragment = env.globals["fragment"]
    for _ in range(2):
        assert fragment("card.html", item=Story("List"), tag=["x"]) == "<b>List</b> [&#39;x&#39;]"
    assert calls == ["card", "card"]


def test_memory_stays_bounded_oldest_forgotten_first() -> None:
    env, calls = counting_env(CARD)
    fragment = Fragments(env, limit=2)
    stories = [Story(str(i)) for i in range(3)]
    for story in stories:
        fragment("card.html", item=ArticleView(story), tag="")
    assert len(fragment.rendered) == 2
    fragment("card.html", item=ArticleView(stories[2]), tag="")  # remembered
    fragment("card.html", item=ArticleView(stories[0]), tag="")  # forgotten: rendered again
    assert len(calls) == 4


def test_a_fragment_call_is_a_template_dependency() -> None:
    templates = {
        "list.html": '{% for a in items %}{{ fragment("card.html", item=a) }}{% endfor %}',
        "card.html": "<b>{{ item.title }}</b>",
        "other.html": "<p>other</p>",
        "dynamic.html": "{{ fragment(name, item=a) }}",
    }
    env = jinja2.Environment(loader=jinja2.DictLoader(templates))
    before = TemplateFingerprints(env)
    edited = {**templates, "card.html": "<i>{{ item.title }}</i>"}
    after = TemplateFingerprints(jinja2.Environment(loader=jinja2.DictLoader(edited)))
    assert before("list.html") != after("list.html")
    assert before("other.html") == after("other.html")
    assert before("dynamic.html") != after("dynamic.html"), "a computed name: every template"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_site_can_override_the_card_and_an_edit_re_renders_the_listings(
    tmp_path: Path, jobs: int
) -> None:
    site = tiny_site(tmp_path / "site")
    card = copy_theme_template(site, "_card.html")
    card.write_text(
        card.read_text("utf-8").replace('class="card-title"', 'class="card-title mine"'), "utf-8"
    )
    output = site / "output"
    ok(masthead("build", "--site", site, "--jobs", str(jobs)))
    home = (output / "index.html").read_text("utf-8")
    assert home.count('class="card-title mine"') == cards(home) == 3
    article = (output / "2017/09/23/first-story/index.html").read_text("utf-8")
    assert "card-title mine" not in article, "an article page shows no cards"

    card.write_text(card.read_text("utf-8").replace("card-title mine", "card-title ours"), "utf-8")
    again = ok(masthead("build", "--site", site, "--jobs", str(jobs), "-v"))
    assert "card-title ours" in (output / "index.html").read_text("utf-8")
    assert "card-title ours" in (output / "category/world/index.html").read_text("utf-8")
    assert " 0 rendered" not in again.stdout


def test_cards_are_the_same_on_every_listing_as_rendered_alone(tmp_path: Path) -> None:
    """The kicker is left out on the category's own page, the source on the source's page,
    however often the same article's card was reused before."""
    site = tiny_site(tmp_path / "site")
    output = build_site(site)
    home = (output / "index.html").read_text("utf-8")
    world = (output / "category/world/index.html").read_text("utf-8")
    wire = (output / "source/wire/index.html").read_text("utf-8")
    assert cards(home) == 2 and cards(world) == 1 and cards(wire) == 2
    assert home.count('class="kicker"') == 2 and home.count('class="source"') == 2
    assert 'class="kicker"' not in world and world.count('class="source"') == 1
    assert 'class="source"' not in wire and wire.count('class="kicker"') == 2


def cards(page: str) -> int:
    return page.count('<article class="card')


def test_plain_tuples_are_keyed_named_tuples_and_lists_inside_are_not() -> None:
    env, calls = counting_env(CARD)
    fragment = env.globals["fragment"]
    story = ArticleView(Story("A"))
    for _ in range(2):
        fragment("card.html", item=story, tag=(("nav/", "true"), ("x/", "page")))
    assert calls == ["card"], "equal plain tuples: one render"
    fragment("card.html", item=story, tag=(("nav/", "page"),))
    assert calls == ["card"] * 2, "another tuple: another render"
    for value in (Link("World", "category/world/"), (["x"],)):
        for _ in range(2):
            fragment("card.html", item=story, tag=value)
    assert calls == ["card"] * 6, "a named tuple (read by field) or a list inside: every time"


def test_the_header_renders_once_per_place_in_the_navigation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built in one process, the theme's header is rendered once for each state the
    navigation can show, not once per page; each page still marks its own place."""
    misses: list[tuple] = []
    call = Fragments.__call__

    def counting(self: Fragments, name: str, **values):
        key = _fragment_key(name, values)[0]
        if name == "_header.html" and key not in self.rendered:
            misses.append(key)
        return call(self, name, **values)

    monkeypatch.setattr(Fragments, "__call__", counting)
    site = tiny_site(tmp_path / "site")
    output = build_site(site)
    pages = list(output.rglob("*.html"))
    assert len(misses) == len(set(misses)), "each state rendered once"
    assert len(pages) > 3 * len(misses)
    world = (output / "category/world/index.html").read_text("utf-8")
    assert world.count('aria-current="page"') == 1
    assert 'href="/category/world/" aria-current="page"' in world
    article = (output / "2017/09/23/first-story/index.html").read_text("utf-8")
    assert 'href="/category/world/" aria-current="true"' in article
    home = (output / "index.html").read_text("utf-8")
    assert 'href="/" aria-current="page"' in home and 'aria-current="true"' not in home


def test_template_globals_list_their_names_as_a_chain_map_does() -> None:
    from collections import ChainMap

    from masthead.render import _Environment

    env = _Environment(
        loader=jinja2.DictLoader(
            {
                "macros.html": "{% macro hi() %}{{ greeting }}{% endmacro %}",
                "page.html": '{% import "macros.html" as m %}{{ m.hi() }} {{ extra }}',
            }
        ),
        auto_reload=False,
    )
    env.globals["greeting"] = "hello"
    template = env.get_template("page.html", globals={"extra": "own"})
    expected = ChainMap({"extra": "own"}, env.globals)
    assert list(template.globals) == list(expected)
    assert template.globals.keys() == expected.keys()
    assert len(template.globals) == len(expected) and "extra" in template.globals
    assert template.render() == "hello own"
    env.globals["greeting"] = "later"  # the environment's globals stay live
    assert template.render() == "later own"


def _calls(template: str, **values) -> str:
    """``template`` rendered by masthead's environment and, as the reference, Jinja's own."""
    import functools

    from masthead.render import _Environment

    def stops(*args):
        raise StopIteration

    def marked(kind):
        """A partial carrying Jinja's mark itself, which only its own dict shows."""
        made = functools.partial(
            lambda first, *rest: f"{isinstance(first, jinja2.runtime.Context)}{rest}"
        )
        made.jinja_pass_arg = kind
        return made

    globals_ = {
        "join": functools.partial("-".join),
        "upper": str.upper,
        "plain": lambda *a, **k: f"{a}{sorted(k.items())}",
        "with_context": jinja2.pass_context(lambda c, x: f"{c['who']}:{x}"),
        "with_env": jinja2.pass_environment(lambda e, x: f"{type(e).__name__ != ''}:{x}"),
        "with_eval": jinja2.pass_eval_context(lambda e, x: f"{e.autoescape}:{x}"),
        "marked_context": marked(jinja2.utils._PassArg.context),
        "stops": stops,
        "who": "site",
    }
    rendered = []
    for kind in (_Environment, jinja2.Environment):
        env = kind(autoescape=True, undefined=jinja2.StrictUndefined)
        env.globals.update(globals_)
        rendered.append(env.from_string(template).render(**values))
    assert rendered[0] == rendered[1]
    return rendered[0]


def test_template_calls_pass_what_jinja_passes() -> None:
    template = (
        "{% macro m(x, y=2) %}[{{ x }}{{ y }}]{% endmacro %}"
        "{% macro c(x) %}<{{ x }}{{ caller() }}>{% endmacro %}"
        "{{ join(('a', 'b')) }} {{ upper('x') }} {{ 'abc'.startswith('a') }} "
        "{{ plain(1, b=2) }} {{ m(1) }} {{ m(1, y=3) }} "
        "{% call c(0) %}in{% endcall %} "
        "{% for who in ['loop'] %}{{ with_context(loop.index) }} {{ m(who) }}{% endfor %} "
        "{% block b %}{% set who = 'block' %}{{ with_context(2) }}{% endblock %} "
        "{{ with_context(1) }} {{ with_env(1) }} {{ with_eval(1) }} {{ marked_context(5) }} "
        "{{ stops() is undefined }}"
    )
    assert _calls(template) == (
        "a-b X True (1,)[(&#39;b&#39;, 2)] [12] [13] <0in> site:1 [loop2] block:2 site:1 True:1 "
        "True:1 True(5,) True"
    )


def test_a_macro_called_with_a_wrong_argument_fails_as_in_jinja() -> None:
    for kind in ("{% macro m(x) %}{% endmacro %}{{ m(1, 2) }}", "{{ upper() }}"):
        with pytest.raises(TypeError):
            _calls(kind)


class _Html:
    def __html__(self):
        return "<i>own</i>"


class _Text(str):
    pass


def test_autoescaped_output_writes_what_jinja_writes() -> None:
    from markupsafe import Markup

    values = {
        "text": "<a href='x'>&amp; \"q\"</a>",
        "markup": Markup("<b>safe</b> &amp;"),
        "number": 7,
        "flag": True,
        "ratio": 0.5,
        "nothing": None,
        "html": _Html(),
        "subclass": _Text("<s>"),
        "items": ["<li>", Markup("<br>")],
    }
    template = (
        "{{ text }} {{ markup }} {{ number }} {{ flag }} {{ ratio }} {{ nothing }} {{ html }} "
        "{{ subclass }} {{ items }} {{ text|upper }} {{ markup ~ text }} {{ text|safe }} "
        "{% for item in items %}{{ item }}{% endfor %} "
        "{% set block %}{{ text }}{{ markup }}{% endset %}{{ block }} "
        "{% macro m(v) %}<{{ v }}>{% endmacro %}{{ m(text) }} {{ m(markup) }} "
        "{% autoescape false %}{{ text }}{% endautoescape %}"
    )
    assert _calls(template, **values).startswith("&lt;a href=&#39;x&#39;&gt;&amp;amp;")


def test_a_template_without_autoescape_writes_text_as_it_is() -> None:
    from masthead.render import _Environment

    for kind in (_Environment, jinja2.Environment):
        env = kind(autoescape=False)
        assert env.from_string("{{ a }}{{ b }}").render(a="<x>", b=3) == "<x>3"


def test_an_undefined_value_fails_as_in_jinja() -> None:
    with pytest.raises(jinja2.UndefinedError):
        _calls("{{ missing }}")


def test_remembered_words_answer_as_the_translation_does() -> None:
    from markupsafe import Markup

    from masthead.render import _remembering

    asked = []

    def translate(key, lang=None, n=None, **values):
        asked.append(key)
        return f"{key}|{lang}|{n}|{sorted((k, str(v)) for k, v in values.items())}"

    words = _remembering(partial(translate))
    assert words("By", "ur") == words("By", "ur") == "By|ur|None|[]"
    assert asked == ["By"]  # the second answer was remembered
    assert words("{n} items", n=2) != words("{n} items", n=3)
    assert words("for {x}", x=["a", "b"]) == "for {x}|None|None|[('x', \"['a', 'b']\")]"
    assert words("for {x}", x=Markup("<b>")) == words("for {x}", x="<b>")  # each its own
    assert asked.count("for {x}") == 3
    with pytest.raises(TypeError):
        words()


def test_labels_in_pages_are_translated_once_per_language(tmp_path) -> None:
    """The theme's labels in another language still come out translated: the remembered
    answer is per language."""
    from masthead.config import SiteConfig
    from masthead.i18n import Catalogues
    from masthead.render import make_environment

    env = make_environment(
        (Path(__file__).parent.parent / "templates",),
        SiteConfig(),
        (),
        (),
        catalogues=Catalogues({"de": {"By": "Von"}}),
    )
    say = env.globals["say"]
    assert [str(say("By", lang)) for lang in ("de", "en", "de", "fr")] == [
        "Von",
        "By",
        "Von",
        '<span lang="en" dir="ltr">By</span>',
    ]
