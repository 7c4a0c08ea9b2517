"""Fingerprints: what a parsed source and a rendered page depend on, as short hashes.

A page is rendered again exactly when its fingerprint changes: the site settings, the
template and every template it extends, includes or imports, the page's own values and the
articles it shows (their content hash and canonical term names, not their positions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, NamedTuple

from .. import __version__, markup
from ..config import SiteConfig
from ..i18n import Catalogues
from ..index import outline_of
from ..model import Archive, Article, Link, Page
from .session import Session

if TYPE_CHECKING:  # imported where used: a build with nothing changed never loads Jinja
    import jinja2


def digest(*parts: str) -> str:
    """A short, stable hash of some strings."""
    joined = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


# Raised whenever parsing produces something new from the same bytes (2: warnings for
# misspelt fields; 3: the line of each field; 4: one pure-Python YAML loader with limits;
# 5: Parsed records moved to masthead.model; 6: imported_from;
# 7: retracted; 8: percent-escapes in aliases decoded; 9: corrections and featured;
# 10: links stored as shared_link calls, so that loading shares them),
# so that outcomes cached by an earlier masthead are parsed again.
PARSE_REVISION = "10"


def parse_fingerprint(config: SiteConfig) -> str:
    """Everything that changes how a source is parsed, besides its bytes."""
    return digest(
        __version__,
        PARSE_REVISION,
        markup.engine_version(config.markdown_engine),
        config.timezone,
        config.content_dir,
        config.permalink,
        config.language,
        str(config.summary_length),
        str(config.slug_length),
        str(config.markdown_seconds),
        repr(config.markdown_extensions),
    )


def site_fingerprint(
    config: SiteConfig,
    nav: tuple[Link, ...],
    sections: tuple[Link, ...],
    catalogues: Catalogues | None = None,
) -> str:
    """Everything every page depends on: masthead, Jinja, Babel (month names), the settings,
    the navigation and the theme's words."""
    import babel
    import jinja2

    words = repr(sorted((catalogues or Catalogues()).entries.items()))
    return digest(
        __version__,
        jinja2.__version__,
        babel.__version__,
        repr(config),
        repr(nav),
        repr(sections),
        words,
    )


ARTICLE_PRINTS = "article prints"
PAGE_PRINTS = "page prints"
PRINTS_BY_POSITION = "article prints by position"
TEMPLATE_REFERENCES = "template references"


@dataclass(frozen=True)
class ArticlePrints:
    """Per article, by archive position: ``planned``, what the plan of the pages depends on
    (every field a listing shows but the word count, which only the article's own page
    shows); ``shown``, what a page listing or linking it depends on (everything but the
    body); and ``full``, what a page showing its body depends on."""

    shown: tuple[str, ...]
    full: tuple[str, ...]
    planned: tuple[str, ...] = ()


KnownPrints = dict[str, tuple[str, tuple[str, str, str]]]
"""Article prints an earlier build made, by source path: the source's content hash, and the
planned, shown and full prints of the article parsed from it."""


def article_fingerprints(
    archive: Archive, session: Session | None = None, known: KnownPrints | None = None
) -> ArticlePrints:
    """The fingerprints of every article, by archive position. ``known`` prints (made by
    this code, with the same parse settings and the same term names: ``term_names``) are
    taken for every article whose source has the same content hash."""
    table = (session or Session()).table(ARTICLE_PRINTS)
    known = known or {}
    every = []
    for article in archive.articles:
        entry = known.get(article.rel)
        if entry is not None and entry[0] == article.digest:
            table.put(article.rel, article, entry[1])
            every.append(entry[1])
        else:
            compute = lambda article=article: _article_prints(article)  # noqa: E731
            every.append(table.get(article.rel, article, compute))
    return ArticlePrints(
        tuple(shown for _, shown, _ in every),
        tuple(full for _, _, full in every),
        tuple(planned for planned, _, _ in every),
    )


def known_prints(archive: Archive, prints: ArticlePrints) -> KnownPrints:
    """The prints of ``archive``'s articles, as ``article_fingerprints`` takes them back."""
    return {
        article.rel: (article.digest, (planned, shown, full))
        for article, planned, shown, full in zip(
            archive.articles, prints.planned, prints.shown, prints.full, strict=True
        )
    }


OutlinePrints = dict[str, tuple[str, str]]
"""The print of each article's outline (what the index reads of it), by source path, with
the content hash of the source it was parsed from."""


def outline_prints(articles: Iterable[Article], known: OutlinePrints | None) -> OutlinePrints:
    """The outline print of each article. ``known`` prints (made with the same parse
    settings, which with the source's bytes are all a record depends on) are taken back for
    every source with the same content hash; only the others are made, from the outline."""
    known = known or {}
    prints: OutlinePrints = {}
    for article in articles:
        entry = known.get(article.rel)
        if entry is None or entry[0] != article.digest:
            entry = (article.digest, digest(repr(outline_of(article))))
        prints[article.rel] = entry
    return prints


def index_key(prints: OutlinePrints, content_prefix: str) -> str:
    """What the index of the articles these are the outline prints of depends on: their
    outlines, whatever order they come in (the index orders them), and the content prefix
    its messages name files with."""
    return digest(content_prefix, *(prints[rel][1] for rel in sorted(prints)))


def term_names(archive: Archive) -> str:
    """The name the archive shows for each term: with the source's bytes and the parse
    settings, all an article record depends on (the index names every term canonically)."""
    return digest(
        *(
            f"{kind}\x01{e.link.url}\x01{e.link.name}"
            for kind, entries in sorted(archive.terms.items())
            for e in entries
        )
    )


def _article_prints(article: Article) -> tuple[str, str, str]:
    planned = digest(repr(tuple(getattr(article, name) for name in _PLANNED_FIELDS)))
    shown = digest(planned, str(article.word_count))
    return planned, shown, digest(shown, article.digest)


_PLANNED_FIELDS = tuple(
    f.name
    for f in fields(Article)
    if f.name not in ("body_html", "digest", "field_lines", "imported_from", "word_count")
)


def _referenced(env: jinja2.Environment, source: str) -> tuple[str | None, ...]:
    """The templates a template's source names (None for a name computed at run time)."""
    import jinja2
    from jinja2 import meta

    try:
        tree = env.parse(source)
    except (jinja2.TemplateSyntaxError, RecursionError):
        return ()  # rendering reports it; its own source is already in the hash
    return (*meta.find_referenced_templates(tree), *_fragments(tree))


def _fragments(tree: jinja2.nodes.Template) -> Iterator[str | None]:
    """The templates a source names in ``fragment("name", ...)`` calls (None for a name
    computed at run time)."""
    from jinja2 import nodes

    from ..render import FRAGMENT_FUNCTION

    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == FRAGMENT_FUNCTION:
            first = call.args[0] if call.args else None
            is_name = isinstance(first, nodes.Const) and isinstance(first.value, str)
            yield first.value if is_name else None


class TemplateFingerprints:
    """Fingerprint of each template together with every template it pulls in."""

    def __init__(self, env: jinja2.Environment, session: Session | None = None):
        self.env = env
        self.references = (session or Session()).table(TEMPLATE_REFERENCES)
        self.sources: dict[str, str] = {}
        self.memo: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        """The fingerprint of template ``name`` and its whole dependency closure."""
        if name not in self.memo:
            closure = sorted(self._closure(name))
            self.memo[name] = digest(*(f"{n}\x01{self._source(n)}" for n in closure))
        return self.memo[name]

    def _closure(self, name: str) -> set[str]:
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(self._references(current))
        return seen

    def _references(self, name: str) -> Iterable[str]:
        source = self._source(name)
        found = self.references.get(source, None, lambda: _referenced(self.env, source))
        if None in found:  # a name computed at run time: depend on every template
            return self.env.list_templates()
        return found

    def _source(self, name: str) -> str:
        import jinja2

        if name not in self.sources:
            try:
                self.sources[name] = self.env.loader.get_source(self.env, name)[0]
            except jinja2.TemplateNotFound:
                self.sources[name] = "\x00missing"
            except jinja2.TemplateError as exc:  # unreadable: rendering reports it
                self.sources[name] = f"\x00unreadable {exc}"
        return self.sources[name]


class PagePrints:
    """Fingerprints of pages. With a session, a page's fingerprint is computed again only
    when its own fields, its template, the site or an article it shows changed."""

    def __init__(self, site: str, articles: ArticlePrints, session: Session | None = None):
        session = session or Session()
        self.site = site
        self.articles = articles
        self.prints = session.table(PAGE_PRINTS)
        by_position = session.table(PRINTS_BY_POSITION)
        self.changed = changed_positions(by_position.last(None), articles)
        by_position.put(None, None, articles)

    def __call__(self, page: Page, template: str) -> str:
        """What one page's bytes depend on: the site, its template, its own fields and the
        articles it shows (bodies too, where it shows them)."""
        inputs = (page, self.site, template)
        found = self.prints.lookup(page.url, inputs)
        if found is not None and not (self.changed and not self.changed.isdisjoint(found[1])):
            return found[0]
        own = own_prints(page)
        fingerprint = self._compute(own, template)
        self.prints.put(page.url, inputs, (fingerprint, own.positions))
        return fingerprint

    def _compute(self, own: _Own, template: str) -> str:
        return page_fingerprint(self.site, template, own, self.articles)


def page_fingerprint(site: str, template: str, own: _Own, articles: ArticlePrints) -> str:
    """A page's fingerprint from the site's, its template's, its own fields (``own_prints``)
    and the prints of the articles it shows."""
    parts = [site, template, own.digest]
    for label, positions, with_body in own.groups:
        prints = articles.full if with_body else articles.shown
        parts.append(label + ",".join(map(prints.__getitem__, positions)))
    return digest(*parts)


class _Own(NamedTuple):
    """A page's own fields hashed, and its article references grouped as (label, positions,
    whether the page shows their bodies), with every position it refers to."""

    digest: str
    groups: tuple[tuple[str, tuple[int, ...], bool], ...]
    positions: tuple[int, ...]
    """Every position the page refers to, once each, in order: a tuple, which takes a
    quarter of a frozenset's memory or less (64 bytes against 216 for three positions, 200
    against 2,264 for twenty; a build keeps one for each of its pages, and so does the saved
    plan); ``set.isdisjoint`` takes either."""


def own_prints(page: Page) -> _Own:
    """A page's own fields hashed, and the articles it refers to, grouped."""
    with_body = page.body_positions()
    groups = []
    for name, ref in sorted(page.refs.items()):
        positions = () if ref is None else (ref,) if isinstance(ref, int) else tuple(ref)
        shows_bodies = bool(positions) and all(i in with_body for i in positions)
        if not shows_bodies and any(i in with_body for i in positions):
            raise ValueError(f"page /{page.url}: {name} shows only some bodies")
        groups.append((f"{name}:", positions, shows_bodies))
    every = tuple(sorted({i for _, positions, _ in groups for i in positions}))
    return _Own(_own_fingerprint(page), tuple(groups), every)


def changed_positions(before: ArticlePrints | None, now: ArticlePrints) -> set[int]:
    """Archive positions whose article prints differ from the previous build's."""
    if before is None:
        return set()  # nothing remembered, so nothing to reuse either
    changed = {
        position
        for position, (old_shown, new_shown, old_full, new_full) in enumerate(
            zip(before.shown, now.shown, before.full, now.full, strict=False)
        )
        if old_shown != new_shown or old_full != new_full
    }
    longer = max(len(before.shown), len(now.shown))
    changed.update(range(min(len(before.shown), len(now.shown)), longer))
    return changed


def _own_fingerprint(page: Page) -> str:
    parts = [page.url, page.template, page.kind, page.title, page.lang, page.dir]
    parts.append(page.description)
    parts.extend(f"{key}={value!r}" for key, value in sorted(page.values.items()))
    return digest(*parts)
