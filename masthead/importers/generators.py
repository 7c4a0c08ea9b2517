"""What the Jekyll, Hugo and Pelican importers share: posts, the plan, links, drafts.

Each generator module reads its site's settings into an ``OldSite`` and its posts into
``Post`` records (fields mapped, old URLs worked out with the site's own permalink rules).
``migrate`` then plans the whole import before converting any body: which posts are
imported (``--lang``), each one's explicit slug and new URL (free of every URL the site has
and of each other), which old URLs become aliases; only then are bodies converted, so that a
link to any other post can be rewritten to its new URL. Every choice that is not plain
copying is said in a note on the post's line.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import urls
from ..config import LANG_PATTERN, SiteConfig
from ..model import WARNING, Problem
from . import Draft, Failed
from .bodies import Body, Target, html_to_markdown, placeholder_in, rewrite_links
from .store import existing_articles

ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
"""Two-letter language codes: a folder so named holds posts in that language."""
_DATE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.I,
)
STATIC_FOLDER = "static"


@dataclass(frozen=True)
class OldSite:
    """The settings of the site being imported, as its generator reads them."""

    root: Path
    kind: str
    title: str | None
    origin: str | None
    """Scheme and host the old site was published at (``https://blog.example.org``)."""
    base_path: str
    """The path the old site lived under: ``/`` or ``/blog/``."""
    tz: ZoneInfo
    lang: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    """What the generator module keeps for itself (permalinks, languages...)."""


@dataclass
class Post:
    """One post of the old site while the import is planned (filled in step by step)."""

    file: Path
    rel: str
    """Its path below the old site's folder: its identity and how messages name it."""
    body: str
    body_line: int
    markup: str = "markdown"
    title: str | None = None
    date: datetime | None = None
    updated: datetime | None = None
    slug: str = ""
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    summary: str | None = None
    image: str | None = None
    source: str | None = None
    lang: str | None = None
    draft: bool = False
    published: bool = True
    """Whether its old URLs were live (they become aliases only then)."""
    old_paths: list[str] = field(default_factory=list)
    """Its URL paths on the old server, first the one it was linked by (``/blog/x.html``)."""
    notes: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    new_url: str = ""
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """What a generator module keeps for its own later steps."""

    def note(self, shown: str, line: int | None, message: str) -> None:
        self.notes.append(Problem(shown, line, message, WARNING))


class Generator(Protocol):
    """What a generator module offers ``migrate``."""

    KIND: str

    def read_site(self, root: Path, args: argparse.Namespace) -> OldSite: ...

    def posts(self, site: OldSite, args: argparse.Namespace) -> Iterator[Post | Failed]: ...

    def convert(self, post: Post, body: Body, plan: Plan) -> str: ...

    def special_link(self, dest: str, post: Post, plan: Plan) -> str | Target | None: ...

    def asset(self, site: OldSite, path: str, post: Post) -> tuple[Path, str] | None: ...


class SiteError(Exception):
    """The old site cannot be read at all (not a folder, broken settings)."""


def add_site_arguments(parser: argparse.ArgumentParser, kind: str, example: str) -> None:
    """The arguments every site importer takes: DIR and --old-permalink; --lang selects."""
    parser.add_argument("dir", metavar="DIR", help=f"the {kind} site's folder")
    parser.add_argument(
        "--old-permalink",
        metavar="PATTERN",
        help=f"the permalink pattern the site was published with, in {kind}'s own syntax "
        f"({example}), instead of the one its settings give",
    )
    for action in parser._actions:  # the common option means a choice for a whole site
        if action.dest == "lang":
            action.help = "import only posts in these languages (comma-separated: en,ja)"


def migrate(
    generator: Generator, args: argparse.Namespace, site_path: Path, config: SiteConfig
) -> tuple[Iterator[Draft | Failed], int]:
    """Plan the import of a whole site; the drafts come lazily, the total at once."""
    root = Path(args.dir)
    if not root.is_dir():
        return iter([Failed(str(root), "not a folder")]), 1
    try:
        site = generator.read_site(root, args)
    except SiteError as exc:
        return iter([Failed(str(root), str(exc))]), 1
    failed: list[Failed] = []
    posts: list[Post] = []
    for item in generator.posts(site, args):
        (failed if isinstance(item, Failed) else posts).append(item)
    plan = Plan(generator, site, args, site_path, config, posts)
    return _drafts(plan, failed), len(failed) + len(plan.chosen)


def _drafts(plan: Plan, failed: list[Failed]) -> Iterator[Draft | Failed]:
    yield from failed
    for post in plan.chosen:
        yield plan.draft(post)


class Plan:
    """Every post, what each becomes, and how to follow a link in any of them."""

    def __init__(
        self,
        generator: Generator,
        site: OldSite,
        args: argparse.Namespace,
        site_path: Path,
        config: SiteConfig,
        posts: list[Post],
    ):
        self.generator = generator
        self.site = site
        self.args = args
        self.config = config
        self.root = Path(args.dir)
        self.posts = sorted(posts, key=lambda p: p.rel)
        self.by_rel = {p.rel: p for p in self.posts}
        self.by_path: dict[str, Post] = {}
        for post in self.posts:
            for path in post.old_paths:
                self.by_path.setdefault(path_key(path), post)
        wanted = _languages(getattr(args, "lang", None))
        self.chosen = [p for p in self.posts if _wanted(self.lang_of(p), wanted)]
        existing = existing_articles(site_path, config, read_only=getattr(args, "dry_run", False))
        self.done = {a.imported_from: a for a in existing if a.imported_from}
        self.taken = {urls.output_rel(a.url) for a in existing}
        self.taken |= {urls.output_rel(alias) for a in existing for alias in a.aliases}
        self.files = {f"{a.date.astimezone(config.tz):%Y/%m}/{a.slug}" for a in existing}
        self.terms: dict[str, set[str]] = {"tag": set(), "category": set(), "author": set()}
        home = config.language.split("-")[0].lower()
        for post in sorted(  # the site's own language first: translations get the suffix
            self.chosen, key=lambda p: (p.date or _EPOCH, self.lang_of(p).lower() != home, p.rel)
        ):
            self._place(post, site_path)
        for post in self.chosen:
            self._alias(post)

    # -- planning -------------------------------------------------------------------------

    def origin(self, post: Post) -> str:
        return f"{self.site.kind}:{post.rel}"

    def shown(self, post: Post) -> str:
        return (self.root / post.rel).as_posix()

    def lang_of(self, post: Post) -> str:
        return (post.lang or self.site.lang or self.config.language).replace("_", "-")

    def _place(self, post: Post, site_path: Path) -> None:
        """The post's explicit slug and new URL, free of every URL taken."""
        for kind, names in (("tag", post.tags), ("author", post.authors)):
            self.terms[kind] |= {urls.slugify(n, self.config.slug_length) for n in names}
        if post.category:
            self.terms["category"].add(urls.slugify(post.category, self.config.slug_length))
        done = self.done.get(self.origin(post))
        if done is not None:
            post.new_url = done.url
            return
        if post.date is None or not post.category:
            return
        base = post.slug if post.slug and urls.slug_problem(post.slug) is None else ""
        base = base or urls.slugify(post.slug or post.title or "", self.config.slug_length)
        base = base or "untitled"
        when = post.date.astimezone(self.config.tz)
        category_slug = urls.slugify(post.category, self.config.slug_length)
        lang = self.lang_of(post).lower()
        first = [base] + (
            [f"{base}-{lang}"]
            if lang.split("-")[0] != self.config.language.split("-")[0].lower()
            else []
        )
        for number in range(1, 1000):
            slug = (
                first[number - 1] if number <= len(first) else f"{base}-{number - len(first) + 1}"
            )
            url = urls.article_url(self.config.permalink, when, slug, category_slug)
            file = f"{when:%Y/%m}/{slug}"
            if urls.output_rel(url) not in self.taken and file not in self.files:
                on_disk = site_path / self.config.content_dir / f"{file}.md"
                if not on_disk.exists():
                    break
        post.slug, post.new_url = slug, url
        self.taken.add(urls.output_rel(url))
        self.files.add(file)

    def _alias(self, post: Post) -> None:
        """Each old URL of a published post that this site can serve, as an alias."""
        if not post.published or not post.new_url or self.origin(post) in self.done:
            return
        own = urls.output_rel(post.new_url)
        base = self.config.base_path
        for path in dict.fromkeys(post.old_paths):
            shown = self.shown(post)
            if not path.startswith(base):
                message = f"old URL {path} is outside this site's base path {base}: no redirect"
                post.note(shown, None, message)
                continue
            alias = "/" + path[len(base) :]
            problem = urls.alias_problem(alias) if alias != "/" else "is the home page"
            if problem:
                post.note(shown, None, f"old URL {path} cannot be redirected: it {problem}")
                continue
            file = urls.output_rel(urls.normalise_alias(alias))
            if file == own:
                continue
            if file in self.taken:
                message = f"old URL {path} is another page's URL here: no redirect"
                post.note(shown, None, message)
                continue
            self.taken.add(file)
            post.aliases.append(alias)

    # -- links ----------------------------------------------------------------------------

    def href(self, url: str) -> str:
        """A link to a site-relative URL of the new site."""
        return urls.href(self.config.base_path, url)

    def post_target(self, target: Post, post: Post, fragment: str = "") -> Target:
        """The link from ``post`` to another post."""
        if not target.new_url:
            why = "it was not imported" + (" (--lang)" if target not in self.chosen else "")
            return Target(lost=why)
        if target.draft and not post.draft:
            return Target(lost="it points at a draft, which the site does not publish")
        return Target(self.href(target.new_url) + (f"#{fragment}" if fragment else ""))

    def term_target(self, kind: str, name: str) -> Target:
        """The link to a tag, category or author page, when an imported post has it."""
        slug = urls.slugify(name, self.config.slug_length)
        if slug not in self.terms[kind]:
            return Target(lost=f"no imported article has the {kind} {name!r}")
        return Target(self.href(urls.term_url(kind, slug)))

    def resolve(self, dest: str, post: Post, assets: dict[str, str]) -> Target:
        """Where a link in ``post`` leads in the new site."""
        if placeholder_in(dest):
            return Target(lost="it holds a template tag that was not converted")
        special = self.generator.special_link(dest, post, self)
        if isinstance(special, Target):
            return special
        dest = special or dest
        parts = urlsplit(dest)
        if not dest or dest.startswith("#") or parts.scheme not in ("", "http", "https"):
            return Target(dest)
        origin = f"{parts.scheme or 'https'}://{parts.netloc}"
        if (parts.scheme or dest.startswith("//")) and origin != self.site.origin:
            return Target(dest)  # another site
        page = post.old_paths[0] if post.old_paths else self.site.base_path
        path = unquote(urlsplit(urljoin(page, dest)).path)
        target = self.by_path.get(path_key(path))
        if target is not None:
            return self.post_target(target, post, parts.fragment)
        if not path.startswith(self.site.base_path):
            return Target(lost=f"it is outside the old site's base path {self.site.base_path}")
        found = self.generator.asset(self.site, path[len(self.site.base_path) :], post)
        if found is None:
            return Target(lost="it is not an imported article nor a file of the old site")
        file, rel = found
        assets[rel] = str(file)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return Target(self.href(f"{STATIC_FOLDER}/{rel}") + fragment)

    # -- drafts ---------------------------------------------------------------------------

    def draft(self, post: Post) -> Draft:
        """The post as a Draft: fields, converted body, notes, files to copy."""
        shown = self.shown(post)
        body = Body(shown, post.body_line, post.body)
        assets: dict[str, str] = {}
        text = self.generator.convert(post, body, self)
        if post.markup == "html":
            text = html_to_markdown(text)
        text = rewrite_links(text, body, lambda dest: self.resolve(dest, post, assets))
        text = body.finish(text)
        fields = self.fields(post, assets, body)
        static = f"{self.config.templates_dir.rstrip('/')}/{STATIC_FOLDER}"
        return Draft(
            origin=self.origin(post),
            shown_as=shown,
            fields=fields,
            body=text,
            missing=tuple(post.missing),
            fallbacks=tuple(post.fallbacks),
            notes=tuple(post.notes + body.notes),
            assets=tuple((Path(file), f"{static}/{rel}") for rel, file in sorted(assets.items())),
        )

    def fields(self, post: Post, assets: dict[str, str], body: Body) -> dict[str, Any]:
        """The front matter of the post's new article."""
        lang = self.lang_of(post)
        if lang.split("-")[0].lower() == self.config.language.split("-")[0].lower():
            lang = ""
        elif not LANG_PATTERN.match(lang):
            post.note(self.shown(post), None, f"language {lang!r} is not a BCP 47 tag: left out")
            lang = ""
        image = None
        if post.image:
            path = post.image
            if path.startswith("/") and not path.startswith(self.site.base_path):
                path = self.site.base_path + path.lstrip("/")  # written below the base path
            found = self.resolve(path, post, assets)
            image = found.url if found.url and not found.lost else None
            if image and image.startswith(self.config.base_path):
                image = "/" + image[len(self.config.base_path) :]
            if found.lost:
                post.note(self.shown(post), None, f"image {post.image} left out: {found.lost}")
        updated = post.updated if post.updated and post.date and post.updated > post.date else None
        return {
            "title": post.title,
            "date": self.date_text(post.date),
            "category": post.category,
            "source": post.source,
            "authors": post.authors,
            "tags": post.tags,
            "summary": post.summary,
            "slug": post.slug,
            "updated": self.date_text(updated),
            "draft": True if post.draft else None,
            "lang": lang,
            "image": image,
            "aliases": post.aliases,
        }

    def date_text(self, when: datetime | None) -> str | None:
        """A date as front matter: ``YYYY-MM-DD`` when that says it exactly, else ISO 8601."""
        if when is None:
            return None
        same_zone = when.utcoffset() == when.astimezone(self.config.tz).utcoffset()
        if same_zone and (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
            return f"{when:%Y-%m-%d}"
        return when.isoformat()


_EPOCH = datetime(1000, 1, 1, tzinfo=UTC)


def path_key(path: str) -> str:
    """One spelling of a URL path: ``/a/`` for ``/a``, ``/a/`` and ``/a/index.html``."""
    path = unquote(path)
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    last = path.rsplit("/", 1)[-1]
    if last and "." not in last:
        path += "/"
    return path


def _languages(value: str | None) -> set[str]:
    return {v.strip().lower().replace("_", "-") for v in (value or "").split(",") if v.strip()}


def _wanted(lang: str, wanted: set[str]) -> bool:
    lang = lang.lower()
    return not wanted or any(lang == w or lang.startswith(w + "-") for w in wanted)


# -- field values in the forms these generators accept -------------------------------------


def parse_date(value: Any, tz: ZoneInfo) -> datetime | None:
    """A date or time as written by Jekyll, Hugo or Pelican users, aware (naive: in ``tz``)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if not isinstance(value, str):
        return None
    match = _DATE.match(value.strip())
    if not match:
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=tz)
    year, month, day, hour, minute, second, offset = match.groups()
    text = f"{int(year):04d}-{int(month):02d}-{int(day):02d}T{int(hour or 0):02d}:{int(minute or 0):02d}:{int(second or 0):02d}"
    if offset and offset.upper() in ("Z", "UTC", "GMT"):
        offset = "+00:00"
    elif offset and ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    try:
        when = datetime.fromisoformat(text + (offset or ""))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def zone(name: Any, shown: str) -> ZoneInfo:
    """The time zone a site names (UTC when it names none); SiteError for an unknown one."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteError(f"{shown}: unknown time zone {name!r}") from None


def names(value: Any) -> list[str]:
    """Author names in every form: "A", "A, B", "A and B", lists, maps with a name."""
    if isinstance(value, dict):
        if "name" in value or "display_name" in value:
            return names(value.get("name") or value.get("display_name"))
        return [n for key in value for n in names(key)]
    if isinstance(value, list):
        return list(dict.fromkeys(n for item in value for n in names(item)))
    if not isinstance(value, str):
        return []
    parts = re.split(r"\s*[,;]\s*|\s+and\s+|\s*&\s*", value.strip())
    return [" ".join(p.split()) for p in parts if p.strip()]


def terms(value: Any, separators: str = ",") -> list[str]:
    """Names of categories or tags: a list, or one string split at ``separators``
    (a space for Jekyll, commas and semicolons for Pelican)."""
    if isinstance(value, list):
        items = [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    elif isinstance(value, (str, int, float)):
        text = str(value)
        if separators == " ":
            items = text.split()
        else:
            split = ";" if ";" in text else separators
            items = text.split(split)
    else:
        return []
    return list(dict.fromkeys(" ".join(i.split()) for i in items if i.strip()))


def text_value(value: Any) -> str | None:
    """A field as one line of text, or None."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split()) or None
    return None


def language_folder(parts: tuple[str, ...], known: set[str]) -> str | None:
    """The language a post's folders name (``en/_posts/...``, ``content/ja/...``)."""
    for part in parts:
        lower = part.lower().replace("_", "-")
        named = lower in known or (lower.split("-")[0] in ISO_639_1 and len(lower) <= 8)
        if named and LANG_PATTERN.match(lower):
            return lower
    return None


def clean_text(text: str) -> str:
    """A source's text with the characters the placeholders use taken out."""
    return text.replace("\ue000", "").replace("\ue001", "").replace("\x00", "")


def relative_asset(root: Path, rel: str) -> tuple[Path, str] | None:
    """The file ``rel`` below ``root``, when it exists and may be copied (no hidden parts)."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("..", ".") or p.startswith((".", "_")) for p in parts):
        return None
    file = root.joinpath(*parts)
    if not file.is_file():
        return None
    return file, "/".join(parts)


def fill_required(post: Post, args: argparse.Namespace, site: OldSite, shown: str) -> None:
    """Source and category from the command line when the post names none (said per
    post), the source else from the old site's title; what is still missing is reported."""
    if not post.source and getattr(args, "source", None):
        post.source = args.source
        post.fallbacks.append("source")
    if not post.source and site.title:
        post.source = site.title
    if not post.category and getattr(args, "category", None):
        post.category = args.category
        post.fallbacks.append("category")
    for name in ("title", "date", "category", "source"):
        if not getattr(post, name):
            post.missing.append(name)


def now() -> datetime:
    """The time of the import (what 'expired' and 'scheduled' are measured against)."""
    return datetime.now(UTC)
