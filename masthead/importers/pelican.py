"""``masthead import pelican DIR``: a Pelican site's articles, with their old URLs.

The settings are read from ``pelicanconf.py`` (and ``publishconf.py`` over it, for the
published ``SITEURL``) by parsing them with ``ast``; nothing in them is ever run. Literal
values are read, and names of settings assigned before; anything computed is left at
Pelican's default. Used: ``PATH``, ``ARTICLE_PATHS``, ``ARTICLE_EXCLUDES``, ``PAGE_PATHS``,
``ARTICLE_URL``/``ARTICLE_SAVE_AS``, ``ARTICLE_LANG_URL``/``ARTICLE_LANG_SAVE_AS``,
``DRAFT_URL``, ``SITEURL``, ``SITENAME``, ``TIMEZONE``, ``DEFAULT_LANG``, ``AUTHOR``,
``DEFAULT_CATEGORY``, ``USE_FOLDER_AS_CATEGORY``, ``FILENAME_METADATA``, ``PATH_METADATA``,
``DEFAULT_DATE``, ``DEFAULT_DATE_FORMAT`` (to read dates written in it), ``DEFAULT_METADATA``,
``SLUGIFY_SOURCE``, ``SLUG_REGEX_SUBSTITUTIONS``, ``SLUGIFY_USE_UNICODE`` and
``SLUGIFY_PRESERVE_CASE``.
"""

from __future__ import annotations

import argparse
import ast
import html
import posixpath
import re
import string
import sys
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import Failed
from .bodies import Body, Target, fenced
from .generators import (
    OldSite,
    Plan,
    Post,
    SiteError,
    add_site_arguments,
    clean_text,
    fill_required,
    language_folder,
    migrate,
    names,
    parse_date,
    relative_asset,
    terms,
    text_value,
    zone,
)

KIND = "pelican"
HELP = "migrate a Pelican site's articles, keeping every old URL as a redirect"
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".mkd": "markdown", ".mdown": "markdown",
            ".rst": "rst", ".html": "html", ".htm": "html"}  # fmt: skip
DEFAULTS: dict[str, Any] = {
    "PATH": "content",
    "ARTICLE_PATHS": [""],
    "ARTICLE_EXCLUDES": [],
    "PAGE_PATHS": ["pages"],
    "ARTICLE_URL": "{slug}.html",
    "ARTICLE_SAVE_AS": "{slug}.html",
    "ARTICLE_LANG_URL": "{slug}-{lang}.html",
    "ARTICLE_LANG_SAVE_AS": "{slug}-{lang}.html",
    "DRAFT_URL": "drafts/{slug}.html",
    "DEFAULT_LANG": "en",
    "DEFAULT_CATEGORY": "misc",
    "USE_FOLDER_AS_CATEGORY": True,
    "FILENAME_METADATA": r"(?P<date>\d{4}-\d{2}-\d{2}).*",
    "PATH_METADATA": "",
    "SLUGIFY_SOURCE": "title",
    "SLUG_REGEX_SUBSTITUTIONS": [
        (r"[^\w\s-]", ""),
        (r"(?u)\A\s*", ""),
        (r"(?u)\s*\Z", ""),
        (r"[-\s]+", "-"),
    ],
    "SLUGIFY_USE_UNICODE": False,
    "SLUGIFY_PRESERVE_CASE": False,
    "DEFAULT_METADATA": {},
}
_LINK = re.compile(r"^(?:\{(\w+)\}|\|(\w+)\|)(.*)$", re.S)
_HEADER = re.compile(r"^([A-Za-z][\w-]*):\s*(.*)$")
_RST_FIELD = re.compile(r"^:([\w-]+):\s*(.*)$")
_LIQUID = re.compile(r"\{%.*?%\}", re.S)
_CODE_LANG = re.compile(r"^((?:    |\t)+)(?::::|#!)([\w+-]+)[ \t]*\n((?:(?:\1.*)?\n)*)", re.M)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR and --old-permalink (an ARTICLE_URL pattern)."""
    add_site_arguments(parser, "Pelican", "{date:%Y}/{date:%m}/{slug}.html")


def drafts(args: argparse.Namespace, site_path: Path, config: Any) -> tuple[Iterator, int]:
    """The site's articles as drafts, planned as a whole (see generators.migrate)."""
    return migrate(sys.modules[__name__], args, site_path, config)


# -- settings, by parsing -------------------------------------------------------------------


def read_settings(text: str, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """The upper-case settings a Pelican settings file assigns literally (never run)."""
    settings = dict(known or {})
    tree = ast.parse(text)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                value = _value(node.value, settings)  # type: ignore[union-attr]
                if value is not _UNKNOWN:
                    settings[target.id] = value
    return settings


_UNKNOWN = object()


def _value(node: ast.AST, settings: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return settings.get(node.id, _UNKNOWN)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _value(node.left, settings), _value(node.right, settings)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return _UNKNOWN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


def read_site(root: Path, args: argparse.Namespace) -> OldSite:
    """``pelicanconf.py``, then ``publishconf.py`` over it, on Pelican's defaults."""
    settings = dict(DEFAULTS)
    for name in ("pelicanconf.py", "publishconf.py"):
        if (root / name).is_file():
            try:
                settings = read_settings((root / name).read_text(encoding="utf-8"), settings)
            except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
                raise SiteError(f"{name}: cannot be parsed: {exc}") from None
    if args.old_permalink:
        settings["ARTICLE_URL"] = settings["ARTICLE_SAVE_AS"] = args.old_permalink
    url = str(settings.get("SITEURL") or "")
    parts = urlsplit(url)
    base = parts.path.strip("/")
    return OldSite(
        root=root,
        kind=KIND,
        title=text_value(settings.get("SITENAME")),
        origin=f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None,
        base_path=f"/{base}/" if base else "/",
        tz=zone(settings.get("TIMEZONE"), "pelicanconf.py: TIMEZONE"),
        lang=str(settings.get("DEFAULT_LANG") or "en"),
        settings=settings,
    )


# -- articles ------------------------------------------------------------------------------


def posts(site: OldSite, args: argparse.Namespace) -> Iterator[Post | Failed]:
    """Every article below ``ARTICLE_PATHS`` (pages and excluded folders left out), with
    translations (the same slug in another language) at ``ARTICLE_LANG_URL``."""
    settings = site.settings
    content = site.root / str(settings["PATH"])
    skip = [
        str(p).strip("/") for p in list(settings["PAGE_PATHS"]) + list(settings["ARTICLE_EXCLUDES"])
    ]
    found: dict[Path, None] = {}
    for folder in settings["ARTICLE_PATHS"] or [""]:
        top = content / str(folder)
        for file in sorted(top.rglob("*")) if top.is_dir() else []:
            rel = file.relative_to(content).as_posix()
            if (
                file.is_file()
                and file.suffix.lower() in SUFFIXES
                and not any(p.startswith(".") for p in file.relative_to(content).parts)
                and not any(p and (rel == p or rel.startswith(p + "/")) for p in skip)
            ):
                found[file] = None
    made = [_post(site, args, file, content) for file in found]
    _translations(site, [p for p in made if isinstance(p, Post)])
    yield from made


def _post(site: OldSite, args: argparse.Namespace, file: Path, content: Path) -> Post | Failed:
    settings = site.settings
    rel = file.relative_to(site.root).as_posix()
    shown = (Path(args.dir) / rel).as_posix()
    markup = SUFFIXES[file.suffix.lower()]
    try:
        text = clean_text(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return Failed(shown, f"cannot read: {exc}")
    meta, body, body_line = {"markdown": _markdown_meta, "rst": _rst_meta, "html": _html_meta}[
        markup
    ](text)
    if markup == "rst":
        try:
            body = _rst_to_html(body)
        except ImportError:
            return Failed(shown, "reStructuredText needs docutils: pip install docutils")
        markup = "html"
    meta = {**{k.lower(): v for k, v in (settings.get("DEFAULT_METADATA") or {}).items()}, **meta}
    inside = file.relative_to(content).as_posix()
    for pattern, subject in (
        (settings["FILENAME_METADATA"], file.stem),
        (settings["PATH_METADATA"], inside),
    ):
        match = re.match(str(pattern), subject) if pattern else None
        for key, value in (match.groupdict() if match else {}).items():
            if value:
                meta.setdefault(key.lower(), value)
    post = Post(file=file, rel=rel, body=body, body_line=body_line, markup=markup)
    post.title = text_value(meta.get("title"))
    post.date = _date(meta.get("date"), site)
    if post.date is None and settings.get("DEFAULT_DATE") == "fs":
        post.note(
            shown,
            None,
            "no date: DEFAULT_DATE = 'fs' took the file's time, which does not survive a checkout; give the article a Date:",
        )
    elif post.date is None and isinstance(settings.get("DEFAULT_DATE"), (tuple, list)):
        try:
            post.date = datetime(*settings["DEFAULT_DATE"], tzinfo=site.tz)
        except (TypeError, ValueError):
            post.note(shown, None, f"DEFAULT_DATE {settings['DEFAULT_DATE']!r} is not a date")
    post.updated = _date(meta.get("modified"), site)
    folders = file.relative_to(content).parts[:-1]
    post.lang = text_value(meta.get("lang")) or language_folder(folders, set())
    folder = folders[-1] if folders else None
    old_category = text_value(meta.get("category"))
    if not old_category and settings["USE_FOLDER_AS_CATEGORY"] and folder:
        old_category = folder
    post.category = old_category if old_category and old_category != post.lang else None
    if (
        not post.category
        and "DEFAULT_CATEGORY" in settings
        and settings["DEFAULT_CATEGORY"] != "misc"
    ):
        post.category = str(settings["DEFAULT_CATEGORY"])
    old_category = old_category or str(settings["DEFAULT_CATEGORY"])
    post.tags = terms(meta.get("tags"))
    post.authors = names(meta.get("authors") or meta.get("author")) or names(settings.get("AUTHOR"))
    post.summary = text_value(meta.get("summary"))
    post.source = text_value(meta.get("source"))
    post.image = text_value(meta.get("image") or meta.get("cover"))
    status = str(meta.get("status") or "published").lower()
    post.draft = status in ("draft", "hidden")
    post.published = status != "draft"
    if status == "hidden":
        post.note(
            shown,
            None,
            "Status: hidden: masthead has no unlisted articles; imported as a draft (its old URL redirects once you publish it)",
        )
    source = str(settings["SLUGIFY_SOURCE"])
    post.slug = text_value(meta.get("slug")) or slugify(
        file.stem if source == "basename" else post.title or file.stem, settings
    )
    post.old_paths = []
    post.extra["meta"] = {k: v for k, v in meta.items() if isinstance(v, str)}
    post.extra["category"] = old_category
    post.extra["translation"] = str(meta.get("translation") or "").lower() == "true"
    fill_required(post, args, site, shown)
    return post


def _markdown_meta(text: str) -> tuple[dict[str, Any], str, int]:
    """Python-Markdown's ``meta`` headers (``Key: value``, indented continuation lines;
    optionally between ``---`` lines), as Pelican's Markdown reader reads them."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    index, key = 0, None
    if lines and lines[0].strip() == "---":
        index = 1
    while index < len(lines):
        line = lines[index]
        if line.strip() in ("", "---", "..."):
            index += 1 if line.strip() in ("---", "...") or not line.strip() else 0
            break
        header = _HEADER.match(line)
        if header:
            key = header.group(1).lower()
            meta[key] = header.group(2).strip()
        elif key and line.startswith(("    ", "\t")):
            meta[key] += " " + line.strip()
        else:
            break
        index += 1
    return meta, "\n".join(lines[index:]), index + 1


def _rst_meta(text: str) -> tuple[dict[str, Any], str, int]:
    """The title (the first section heading) and the field list under it."""
    lines = text.split("\n")
    meta: dict[str, Any] = {}
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index + 1 < len(lines) and re.match(r"^([=\-#*~^\"'`+])\1+\s*$", lines[index + 1]):
        meta["title"] = lines[index].strip()
        index += 2
    elif index + 2 < len(lines) and re.match(r"^([=\-#*~^])\1+\s*$", lines[index]):
        meta["title"] = lines[index + 1].strip()
        index += 3
    while index < len(lines) and not lines[index].strip():
        index += 1
    while index < len(lines) and (field := _RST_FIELD.match(lines[index])):
        meta[field.group(1).lower()] = field.group(2).strip()
        index += 1
    return meta, "\n".join(lines[index:]), index + 1


def _html_meta(text: str) -> tuple[dict[str, Any], str, int]:
    """``<title>`` and ``<meta name=... content=...>`` of the head; the body."""
    meta: dict[str, Any] = {}
    title = re.search(r"<title>(.*?)</title>", text, re.S | re.I)
    if title:
        meta["title"] = html.unescape(title.group(1).strip())
    for tag in re.findall(r"<meta\b[^>]*>", text, re.I):
        name = re.search(r"\bname\s*=\s*[\"']([^\"']+)", tag, re.I)
        value = re.search(r"\bcontent\s*=\s*[\"']([^\"']*)", tag, re.I)
        if name and value:
            meta[name.group(1).lower()] = html.unescape(value.group(1))
    body = re.search(r"<body[^>]*>(.*)</body>", text, re.S | re.I)
    if not body:
        return meta, text, 1
    return meta, body.group(1), text.count("\n", 0, body.start(1)) + 1


def _rst_to_html(body: str) -> str:
    from docutils.core import publish_parts  # an optional library: ImportError says so

    settings = {
        "report_level": 5,
        "halt_level": 5,
        "file_insertion_enabled": False,
        "raw_enabled": False,
    }
    return publish_parts(body, writer_name="html", settings_overrides=settings)["body"]


def _date(value: Any, site: OldSite) -> datetime | None:
    when = parse_date(value, site.tz)
    fmt = site.settings.get("DEFAULT_DATE_FORMAT")
    if when is None and isinstance(value, str) and isinstance(fmt, str):
        try:
            when = datetime.strptime(value.strip(), fmt).replace(tzinfo=site.tz)
        except ValueError:
            return None
    return when


def slugify(value: str, settings: dict[str, Any]) -> str:
    """Pelican's ``slugify`` with the site's substitutions (ASCII unless
    SLUGIFY_USE_UNICODE; letters without an ASCII form are dropped, as without unidecode)."""
    value = unicodedata.normalize("NFKC", re.sub(r"<[^>]*>", "", value))
    if not settings["SLUGIFY_USE_UNICODE"]:
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    for source, replacement in settings["SLUG_REGEX_SUBSTITUTIONS"]:
        value = re.sub(source, replacement, value, flags=re.IGNORECASE)
    if not settings["SLUGIFY_PRESERVE_CASE"]:
        value = value.lower()
    return value.strip()


def _translations(site: OldSite, made: list[Post]) -> None:
    """Old URLs: translations of an article in DEFAULT_LANG at ARTICLE_LANG_URL."""
    settings = site.settings
    default = str(settings["DEFAULT_LANG"])
    by_slug: dict[str, list[Post]] = {}
    for post in made:
        by_slug.setdefault(post.slug, []).append(post)
    for post in made:
        if post.date is None:
            continue
        group = by_slug[post.slug]
        lang = post.lang or default
        translated = post.extra["translation"] or (
            lang != default and any((p.lang or default) == default for p in group)
        )
        if not post.published:
            keys = ["DRAFT_URL"]
        elif translated:
            keys = ["ARTICLE_LANG_URL", "ARTICLE_LANG_SAVE_AS"]
        else:
            keys = ["ARTICLE_URL", "ARTICLE_SAVE_AS"]
        values = {
            **post.extra["meta"],
            "slug": post.slug,
            "lang": lang,
            "date": post.date,
            "author": slugify(post.authors[0], settings) if post.authors else "",
            "category": slugify(post.extra["category"], settings),
        }
        overrides = [post.extra["meta"].get("url"), post.extra["meta"].get("save_as")]
        patterns = [o for o in overrides if o] or [str(settings.get(k) or "") for k in keys]
        for pattern in patterns:
            url = _format(pattern, values)
            if url is not None:
                path = site.base_path + url.lstrip("/")
                post.old_paths.append(path.removesuffix("index.html"))


class _Formatter(string.Formatter):
    """``str.format`` for URL settings, limited to the values given and to dates."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        name, _, attribute = field_name.partition(".")
        value = kwargs[name]
        if attribute:
            if not isinstance(value, datetime) or attribute not in ("year", "month", "day"):
                raise KeyError(field_name)
            value = getattr(value, attribute)
        return value, name


def _format(pattern: str, values: dict[str, Any]) -> str | None:
    try:
        return _Formatter().format(pattern, **values)
    except (KeyError, ValueError, IndexError, AttributeError):
        return None


# -- bodies --------------------------------------------------------------------------------


def convert(post: Post, body: Body, plan: Plan) -> str:
    """CodeHilite blocks (``:::python`` or ``#!python`` first lines) to fenced code; the
    Liquid tags of the liquid_tags plugin marked. Links are done by ``special_link``."""
    text = body.original

    def code(match: re.Match[str]) -> str:
        indent = match.group(1)
        lines = [
            line[len(indent) :] if line.startswith(indent) else line
            for line in match.group(3).split("\n")
        ]
        return body.keep(fenced("\n".join(lines), match.group(2))) + "\n"

    text = _LIQUID.sub(lambda m: body.unconverted_tag(m.group(0), m.start()), text)
    return _CODE_LANG.sub(code, text) if post.markup == "markdown" else text


def special_link(dest: str, post: Post, plan: Plan) -> str | Target | None:
    """Pelican's intra-site links: ``{filename}``, ``{static}``, ``{attach}`` (and the old
    ``|filename|`` form), ``{tag}``, ``{category}``, ``{author}``, ``{index}``."""
    match = _LINK.match(dest)
    if not match:
        return None
    what, value = match.group(1) or match.group(2), match.group(3)
    if what in ("tag", "category", "author"):
        return plan.term_target(what, value.replace("-", " "))
    if what == "index":
        return Target(plan.href(""))
    if what not in ("filename", "static", "attach"):
        return Target(lost=f"{{{what}}} links are not known to masthead")
    path, _, fragment = value.partition("#")
    content = str(plan.site.settings["PATH"]).strip("/")
    here = posixpath.dirname(post.rel)
    rel = posixpath.normpath(
        f"{content}/{path.lstrip('/')}" if path.startswith("/") else posixpath.join(here, path)
    )
    target = plan.by_rel.get(rel)
    if target is not None:
        return plan.post_target(target, post, fragment)
    inside = posixpath.relpath(rel, content) if content else rel
    if inside.startswith(".."):
        return Target(lost=f"{path} is outside the content folder")
    return plan.site.base_path + inside + (f"#{fragment}" if fragment else "")


def asset(site: OldSite, path: str, post: Post) -> tuple[Path, str] | None:
    """A file below ``PATH`` that is not an article: a static file or an attachment."""
    content = site.root / str(site.settings["PATH"])
    found = relative_asset(content, path)
    if found and found[0].suffix.lower() not in SUFFIXES:
        return found
    return None
