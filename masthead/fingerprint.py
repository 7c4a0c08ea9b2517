"""Fingerprints: what a parsed source and a rendered page depend on, as short hashes.

A page is rendered again exactly when its fingerprint changes: the site settings, the
template and every template it extends, includes or imports, the page's own values and the
articles it shows (their content hash and canonical term names, not their positions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, fields

import jinja2
import markdown
from jinja2 import meta

from . import __version__
from .config import SiteConfig
from .model import Archive, Article, Link, Page
from .render import bodies_needed


def digest(*parts: str) -> str:
    """A short, stable hash of some strings."""
    joined = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


def parse_fingerprint(config: SiteConfig) -> str:
    """Everything that changes how a source is parsed, besides its bytes."""
    return digest(
        __version__,
        markdown.__version__,
        config.timezone,
        config.content_dir,
        config.permalink,
        config.language,
        str(config.summary_length),
        repr(config.markdown_extensions),
    )


def site_fingerprint(config: SiteConfig, nav: tuple[Link, ...], sections: tuple[Link, ...]) -> str:
    """Everything every page depends on: masthead, Jinja, the settings and the navigation."""
    return digest(__version__, jinja2.__version__, repr(config), repr(nav), repr(sections))


@dataclass(frozen=True)
class ArticlePrints:
    """Per article: ``shown``, what a page listing or linking it depends on (everything but
    the body), and ``full``, what a page showing its body depends on."""

    shown: tuple[str, ...]
    full: tuple[str, ...]


def article_fingerprints(archive: Archive) -> ArticlePrints:
    """Both fingerprints of every article, by archive position."""
    shown = tuple(_shown_fingerprint(article) for article in archive.articles)
    full = tuple(
        digest(prints, article.digest)
        for prints, article in zip(shown, archive.articles, strict=True)
    )
    return ArticlePrints(shown, full)


_SHOWN_FIELDS = tuple(f.name for f in fields(Article) if f.name not in ("body_html", "digest"))


def _shown_fingerprint(article: Article) -> str:
    return digest(repr(tuple(getattr(article, name) for name in _SHOWN_FIELDS)))


class TemplateFingerprints:
    """Fingerprint of each template together with every template it pulls in."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
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
        try:
            found = list(meta.find_referenced_templates(self.env.parse(source)))
        except jinja2.TemplateSyntaxError:
            return []  # rendering reports it; its own source is already in the hash
        if None in found:  # a name computed at run time: depend on every template
            return self.env.list_templates()
        return [n for n in found if n is not None]

    def _source(self, name: str) -> str:
        if name not in self.sources:
            try:
                self.sources[name] = self.env.loader.get_source(self.env, name)[0]
            except jinja2.TemplateNotFound:
                self.sources[name] = "\x00missing"
        return self.sources[name]


def page_fingerprint(page: Page, site: str, template: str, articles: ArticlePrints) -> str:
    """What one page's bytes depend on."""
    with_body = set(bodies_needed(page))
    parts = [
        site,
        template,
        page.url,
        page.template,
        page.kind,
        page.title,
        page.lang,
        page.dir,
        page.description,
    ]
    parts.extend(f"{key}={value!r}" for key, value in sorted(page.values.items()))
    for name, ref in sorted(page.refs.items()):
        positions = () if ref is None else (ref,) if isinstance(ref, int) else ref
        prints = (articles.full[i] if i in with_body else articles.shown[i] for i in positions)
        parts.append(f"{name}:" + ",".join(prints))
    return digest(*parts)
