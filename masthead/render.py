"""Jinja: the environment (site templates over the theme), and rendering planned pages."""

from __future__ import annotations

import collections
import contextlib
import pickle
import traceback
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path
from types import BuiltinFunctionType, FunctionType

import jinja2
import jinja2.compiler
from jinja2.runtime import Macro
from jinja2.utils import internalcode
from markupsafe import Markup, escape

from . import feedlinks, feeds, metadata, urls
from .article import rtl_direction
from .config import SiteConfig
from .i18n import ENGLISH, Catalogues, Words
from .model import Archive, Article, Link, Page, Problem

PAGE_ERROR = "template error: "
"""How a problem raised while rendering one page begins (the caller names the pages); a
syntax error or a missing template is the template's alone."""


@dataclass(frozen=True)
class SiteView:
    """What templates see as ``site``."""

    title: str
    description: str
    language: str
    base_url: str


def make_environment(
    paths: tuple[Path, ...],
    config: SiteConfig,
    nav: tuple[Link, ...],
    sections: tuple[Link, ...],
    bytecode_dir: Path | None = None,
    catalogues: Catalogues | None = None,
) -> jinja2.Environment:
    """A strict, autoescaping environment with masthead's globals and filters; the theme's
    words come from ``catalogues`` (see i18n.py).

    With ``bytecode_dir``, compiled templates are kept there (keyed by their source), so
    that neither later builds nor each worker process compile them again; when it cannot be
    made or written (a full disk, a read-only cache), templates are simply compiled."""
    bytecode_cache = None
    if bytecode_dir is not None:
        try:
            bytecode_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        else:
            bytecode_cache = BestEffortBytecodeCache(str(bytecode_dir), COMPILED_NAMES)
    env = _Environment(
        loader=_Loader([str(p) for p in paths]),
        bytecode_cache=bytecode_cache,
        # An environment serves one build, whose templates were fingerprinted when it
        # began: looking at each template file's time again on every lookup (the default)
        # would only cost a stat per page, fragment and import.
        auto_reload=False,
        # Plain-text templates (robots.txt, _redirects) are not HTML: escaping would garble
        # their URLs; everything else, and every template a site adds, is escaped.
        autoescape=_escapes,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    base_path = config.base_path
    env.globals.update(
        site=SiteView(config.title, config.description, config.language, config.base_url),
        url=_remembering(partial(urls.href, base_path)),
        abs_url=_remembering(partial(urls.absolute, config.base_url)),
        asset=lambda name: urls.href(base_path, f"{urls.STATIC_PREFIX}{name}"),
        nav=nav,
        sections=sections,
        site_feeds=(Link("Atom", feeds.ATOM_FILE), Link("RSS", feeds.RSS_FILE)),
        entry_id=partial(metadata.entry_id, config),
        canonical_url=partial(metadata.canonical_url, config),
        image_url=partial(metadata.image_url, config),
        news_article=partial(metadata.news_article, config),
        collection_page=partial(metadata.collection_page, config),
        breadcrumbs=partial(metadata.breadcrumbs, config),
        day_url=_day_url,
    )
    env.globals[FRAGMENT_FUNCTION] = Fragments(env)
    words = Words(catalogues or Catalogues(), config.language)
    env.globals.update(
        search_url=partial(_search_href, base_path, config.language) if config.search else None,
        t=_remembering(partial(_translate, words)),
        say=_remembering(partial(_say, words)),
        language_dir=rtl_direction,
        current=nav_current,
        you_are_here=partial(you_are_here, (*sections, *nav)),
    )
    env.filters.update(
        longdate=partial(_localdate, words),
        isodate=metadata.isodate,
        monthname=partial(_monthname, words),
        daterange=partial(_daterange, words),
        rfc822=metadata.rfc822,
        plain=str,
        news_language=metadata.news_language,
        absolute_links=feedlinks.absolute_links,
    )
    return env


MAX_REMEMBERED = 8192
"""Answers each remembering global (``url``, ``abs_url``, ``t``, ``say``) keeps, the most
recently used: the few thousand links and few dozen labels most pages share."""


def _remembering(function: partial):
    """``function`` remembering its recent answers, which depend on its arguments alone
    (percent-encoding a link costs 0.6 us; the word catalogues are frozen). Arguments are
    told apart by type too (Markup from str); one that cannot be a key (a list, say) is
    answered afresh."""
    remembered = lru_cache(maxsize=MAX_REMEMBERED, typed=True)(function)

    def answer(*args, **values):
        try:
            return remembered(*args, **values)
        except TypeError:  # an unhashable argument; a real mistake raises again below
            return function(*args, **values)

    return answer


class _Globals(collections.ChainMap):
    """A template's globals over the environment's, as Jinja makes them, but listing its
    names at C speed. Jinja lists them for every context it makes, and again for every
    ``import`` (to see whether the importing template added any); ``ChainMap`` does both a
    name at a time in Python: 7 % of a build that only renders (``masthead check``); and
    looking each name up without a KeyError per name."""

    def _merged(self) -> dict:
        merged: dict = {}
        for mapping in reversed(self.maps):
            merged.update(mapping)
        return merged

    def keys(self):  # a real dict view, which set arithmetic handles in C
        return self._merged().keys()

    def __getitem__(self, key):
        # Each context copies every global name through here: asking each map first spares
        # the KeyError that ChainMap raises and catches for each name the template's own
        # (nearly always empty) globals lack.
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)

    def __iter__(self):
        return iter(self._merged())


class _Context(jinja2.runtime.Context):
    """Jinja's template context, calling plain callables directly.

    Every call in a template (``url(...)``, ``say(...)``, each macro) goes through
    ``Context.call``, which asks the callable, and its ``__call__``, whether it wants the
    context, the evaluation context or the environment passed first: two failed attribute
    lookups, about 0.8 us a call, 8 % of a build that only renders. A function, partial or
    macro says so only by its own ``jinja_pass_arg`` attribute, and a built-in never does,
    so for those the answer is one dict lookup; anything else is asked as Jinja asks it."""

    @internalcode
    def call(self, obj, /, *args, **kwargs):
        kind = type(obj)
        if kind is BuiltinFunctionType or (
            kind in _PLAIN_CALLABLES and _PASS_ARG not in obj.__dict__
        ):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            try:
                return obj(*args, **kwargs)
            except StopIteration:
                return self.environment.undefined("a callable raised StopIteration")
        return super().call(obj, *args, **kwargs)


_PASS_ARG = "jinja_pass_arg"
"""The attribute by which Jinja's ``pass_context`` and its kin mark a callable."""


try:
    from markupsafe import _escape_inner as _escape_text  # the escaping of escape(str)
except ImportError:  # a MarkupSafe before 3.0: its escape
    _escape_text = escape


def escaped_text(value: object) -> str:
    """The text autoescaped output writes for ``value``: ``escape(value)``'s, without
    wrapping it in a new Markup object (Markup's constructor costs more than the escaping,
    and the page joins its pieces into one plain string anyway); Markup is written as it is."""
    kind = type(value)
    if kind is str:
        return _escape_text(value)
    if kind is Markup:
        return value
    if kind is int:
        return str(value)
    return escape(value)


ESCAPED_TEXT = "masthead_escaped_text"
"""The name compiled templates call ``escaped_text`` by."""


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing autoescaped output through ``escaped_text``.

    Only the call that wraps each ``{{ ... }}`` in an autoescaped template changes; a Jinja
    whose compiler no longer has this hook compiles as it always did (Markup made, then
    joined), which is slower, not different."""

    def visit_Template(self, node, frame=None):
        self.writeline(f"from {__name__} import escaped_text as {ESCAPED_TEXT}")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node, frame, finalize):
        if not frame.eval_ctx.autoescape or frame.eval_ctx.volatile:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write(f"{ESCAPED_TEXT}(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(jinja2.Environment):
    """Jinja's environment with faster template globals (see ``_Globals``), calls (see
    ``_Context``) and escaping (see ``_CodeGenerator``)."""

    context_class = _Context
    code_generator_class = _CodeGenerator

    def make_globals(self, d):
        return _Globals({} if d is None else d, self.globals)


def _escapes(name: str | None) -> bool:
    return not (name or "").endswith(".txt")


class TemplateUnreadable(jinja2.TemplateError):
    """A template file that cannot be read as UTF-8 text (or at all)."""

    def __init__(self, name: str, filename: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.filename, self.reason = name, filename, reason


class _Loader(jinja2.FileSystemLoader):
    """Jinja's file loader, naming the template when its file cannot be read."""

    def get_source(self, environment: jinja2.Environment, template: str):
        try:
            return super().get_source(environment, template)
        except jinja2.TemplateNotFound:  # an OSError too, but a template problem of its own
            raise
        except UnicodeDecodeError as exc:
            reason = (
                f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); save the template as UTF-8"
            )
            raise TemplateUnreadable(template, self._filename(template), reason) from None
        except OSError as exc:
            reason = f"cannot read the template: {exc.strerror or exc}"
            raise TemplateUnreadable(template, self._filename(template), reason) from None

    def _filename(self, template: str) -> str:
        for folder in self.searchpath:
            path = Path(folder) / template
            if path.exists():
                return str(path)
        return template


COMPILED_NAMES = "__masthead_escaped_text_%s.cache"
"""How compiled templates are named in the cache folder. The name says which compiler made
them (``_CodeGenerator``'s output calls ``escaped_text``), so that a masthead whose
compiler writes other code, older or newer, never loads them; change it with what
``_CodeGenerator`` writes."""


class BestEffortBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates on disk, as an optimisation only: a file that cannot be read
    (missing, truncated, corrupt) is a miss, and one that cannot be written is skipped."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _search_href(base_path: str, site_language: str, lang: str) -> str:
    """``search_url(page.lang)``: the search page that finds articles in ``lang``."""
    return urls.href(base_path, urls.search_url(lang, site_language))


def _translate(words: Words, key: str, lang: str | None = None, n: int | None = None, **values):
    """``t("By")`` in templates: the site's language; ``t("By", article.lang)`` another."""
    return words.of(lang)(key, n, **values) if lang else words(key, n, **values)


def _say(words: Words, key: str, lang: str | None = None, n: int | None = None, **values):
    """``say("By", article.lang)``: ``t()`` as HTML, the word wrapped in
    ``<span lang="en" dir="ltr">`` when no catalogue of ``lang`` has it, so that an English
    label inside, say, an Urdu article is marked as English."""
    text = _translate(words, key, lang, n, **values)
    lang = lang or words.lang
    if lang.split("-")[0].lower() == ENGLISH or any(
        key in entries for entries in words.catalogues.words(lang)
    ):
        return escape(text)
    return Markup('<span lang="en" dir="ltr">{}</span>').format(text)


PERIOD_KINDS = ("year", "month", "day")


HereState = tuple[tuple[str, str], ...]
"""Where a page stands among the navigation links: (link URL, "page" or "true") for each
link ``current`` marks on it (see ``you_are_here``)."""


def nav_current(link_url: str, page: Page | HereState) -> Markup:
    """The ``aria-current`` attribute of a navigation link on ``page``: ``page`` on the page
    itself, ``true`` in its section (a later page of a listing, an article of a category, a
    term of a listing, a date of the archive: the links of the page's trail), else none.
    ``page`` may be ``you_are_here(page)`` instead, as a fragment is given it."""
    if isinstance(page, tuple):
        state = dict(page).get(link_url)
        return Markup(f' aria-current="{state}"') if state else Markup("")
    if link_url == page.url:
        return Markup(' aria-current="page"')
    trail = page.values.get("trail") or ()
    if any(link.url == link_url for link in trail) or (
        link_url == urls.ARCHIVE_URL and page.kind in PERIOD_KINDS
    ):
        return Markup(' aria-current="true"')
    return Markup("")


def you_are_here(links: tuple[Link, ...], page: Page) -> HereState:
    """``you_are_here(page)``: what ``current`` says of each of ``links`` (the ``sections``
    and ``nav`` links) on ``page``, with the unmarked links left out. Most pages of an
    archive share one of a few dozen states, so a header rendered as a fragment from it is
    rendered a few dozen times instead of once per page."""
    found = []
    for link in links:
        marker = nav_current(link.url, page)
        if marker:
            found.append((link.url, "page" if marker == _PAGE_MARKER else "true"))
    return tuple(found)


_PAGE_MARKER = Markup(' aria-current="page"')


def _localdate(words: Words, when: datetime, lang: str | None = None, style: str = "long") -> str:
    """``when|longdate(lang)``: ``23 September 2017``, or as readers of ``lang`` write it;
    the same on every machine whatever its locale."""
    return (words.of(lang) if lang else words).date(when, style)


def _day_url(when: datetime) -> str:
    """``day_url(article.date)``: the site-relative URL of the day archive of a date."""
    return urls.period_url((when.year, when.month, when.day))


def _daterange(words: Words, articles, lang: str | None = None) -> str:
    """``articles|daterange``: the dates a listing's articles cover (newest first or not),
    ``1–14 September 2017``; empty for no articles."""
    if not articles:
        return ""
    dates = [a.date for a in articles]
    return (words.of(lang) if lang else words).date_range(min(dates), max(dates))


def _monthname(words: Words, month: int, lang: str | None = None) -> str:
    """``number|monthname``: the name of a month (in the site's language unless ``lang``)."""
    return (words.of(lang) if lang else words).month(month)


FRAGMENT_FUNCTION = "fragment"
"""The global templates call to include a fragment: ``fragment("_card.html", item=...)``."""

MAX_FRAGMENTS = 50_000
"""Fragments one environment remembers (oldest forgotten first): memory stays bounded."""


class Fragments:
    """``fragment(name, **values)``: template ``name`` rendered with only ``values`` (and
    the globals), once for each set of values, then reused.

    A listing shows each article's card, and about eight listing pages show the same
    article, so a card is rendered once instead of on every page. Because the template sees
    nothing but ``values``, equal values give equal HTML, whatever page asks. Articles are
    compared by identity (one build's records are immutable); values that cannot be compared
    that way render every time."""

    def __init__(self, env: jinja2.Environment, limit: int = MAX_FRAGMENTS):
        self.env = env
        self.limit = limit
        self.rendered: dict[tuple, tuple[tuple, Markup]] = {}

    def __call__(self, name: str, **values) -> Markup:
        """The fragment's HTML, marked safe (its template escaped what it shows)."""
        key, articles = _fragment_key(name, values)
        found = self.rendered.get(key) if key is not None else None
        if found is not None:
            return found[1]
        html = Markup(self.env.get_template(name).render(values))
        if key is not None:
            if len(self.rendered) >= self.limit:
                del self.rendered[next(iter(self.rendered))]
            # The entry keeps its articles alive, so no other record can take their ids.
            self.rendered[key] = (articles, html)
        return html


_PLAIN_CALLABLES = frozenset({FunctionType, partial, Macro, Fragments})
"""Callables that take a Jinja pass argument only if their own ``__dict__`` says so (see
``_Context``)."""


_SCALARS = (str, int, float, bool, type(None))


_ARTICLE = object()
"""Marks an article in a fragment key: no plain value is this object, so a key reads one
way only."""


def _fragment_key(name: str, values: dict) -> tuple[tuple | None, tuple]:
    """A key equal for equal values (articles by identity), and the articles in it; the key
    is None for a value that is neither an article, a plain scalar nor a plain tuple of
    those (nested tuples allowed).

    The key is one flat tuple (name, field, value, field, value, ...; an article as the
    marker, its id and whether it has its body), not a tuple per field: a worker keeps tens
    of thousands of keys, and one tuple takes a third of the memory of eight."""
    parts: list = [name]
    articles = []
    for field, value in sorted(values.items()):
        if isinstance(value, ArticleView):
            articles.append(value._article)
            parts += (field, _ARTICLE, id(value._article), value._body is not None)
        elif _is_plain(value):
            parts += (field, value)
        else:
            return None, ()
    return tuple(parts), tuple(articles)


def _is_plain(value: object) -> bool:
    """A scalar, or a tuple (exactly: not a named tuple, which a template reads by field
    name) of plain values: equal ones always render alike."""
    if isinstance(value, _SCALARS):
        return True
    return type(value) is tuple and all(_is_plain(item) for item in value)


class ArticleView:
    """An Article as templates see it: ``body_html`` marked safe, fields passed through.

    The archive's articles carry no bodies (the cache holds them); the articles whose body a
    page shows get it passed in."""

    __slots__ = ("_article", "_body")

    def __init__(self, article: Article, body: str | None = None):
        self._article = article
        self._body = body

    def __getattr__(self, name: str):
        return getattr(self._article, name)

    @property
    def body_html(self) -> Markup:
        """The rendered body, trusted: it comes from the archive's own Markdown."""
        return Markup(self._body if self._body is not None else self._article.body_html)


def page_context(page: Page, archive: Archive, bodies: dict[int, str] | None = None) -> dict:
    """Template variables of one page: its values plus the articles its refs name.

    ``bodies`` maps archive positions to the bodies this page shows."""
    bodies = bodies or {}
    context = dict(page.values)
    for name, ref in page.refs.items():
        if ref is None:
            context[name] = None
        elif isinstance(ref, int):
            context[name] = ArticleView(archive.articles[ref], bodies.get(ref))
        else:
            context[name] = tuple(ArticleView(archive.articles[i], bodies.get(i)) for i in ref)
    context["page"] = page
    return context


def render_page(
    env: jinja2.Environment, page: Page, archive: Archive, bodies: dict[int, str] | None = None
) -> bytes:
    """Render one page to UTF-8 bytes (template errors propagate)."""
    template = env.get_template(page.template)
    return template.render(page_context(page, archive, bodies)).encode("utf-8")


def template_problem(
    exc: Exception, page: Page, site_path: Path, env: jinja2.Environment | None = None
) -> Problem:
    """Turn an exception raised while rendering into a Problem naming template and line
    (not the page: one mistake fails many pages, and the caller says which)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path = _shown_path(exc.filename or exc.name or page.template, site_path)
        return Problem(path, exc.lineno, f"template syntax error: {exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        frame = _innermost_template_frame(exc)  # the template that names the missing one
        if frame and Path(frame[0]).name != exc.name:
            return Problem(
                _shown_path(frame[0], site_path), frame[1], f"template not found: {exc.name}"
            )
        return Problem(page.template, None, f"template not found: {exc.name}")
    if isinstance(exc, TemplateUnreadable):
        return Problem(_shown_path(exc.filename, site_path), None, exc.reason)
    if isinstance(exc, RecursionError):
        message = "the template nests too deeply to compile (expressions or blocks inside each other); simplify it"
        where = page.template
        if env is not None and isinstance(env.loader, _Loader):
            where = _shown_path(env.loader._filename(page.template), site_path)
        return Problem(where, None, message)
    frame = _innermost_template_frame(exc)
    path, line = frame if frame else (page.template, None)
    message = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
    return Problem(_shown_path(path, site_path), line, f"{PAGE_ERROR}{message}")


def _innermost_template_frame(exc: Exception) -> tuple[str, int] | None:
    frames = [
        (f.filename, f.lineno)
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.endswith((".html", ".xml", ".txt", ".j2"))
    ]
    return frames[-1] if frames else None


def _shown_path(filename: str, site_path: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(site_path.resolve()).as_posix()
    except ValueError:
        return str(path)
