"""``masthead import jekyll DIR``: a Jekyll site's posts, with their old URLs as aliases.

Read from ``_config.yml``: ``permalink`` (the named styles and every placeholder of posts),
``baseurl`` and ``url``, ``timezone``, ``lang``, ``title``, ``defaults`` for posts and
drafts, ``collections_dir``, and jekyll-polyglot's ``languages``/``default_lang``. Posts are
``**/_posts/YYYY-MM-DD-name.ext`` and ``_drafts/*`` (imported as drafts); the Liquid tags
with a meaning are converted (see ``convert``), the others are marked and reported.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import matter
from ..readers import Unreadable, read_front_matter
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

KIND = "jekyll"
HELP = "migrate a Jekyll site's posts (and drafts), keeping every old URL as a redirect"
SUFFIXES = (".md", ".markdown", ".mkdown", ".mkd", ".html", ".htm")
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
_POST_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_TAG = re.compile(r"\{%-?\s*(\w+)\s*(.*?)\s*-?%\}|\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_BLOCKS = {"highlight": "endhighlight", "raw": "endraw", "comment": "endcomment"}
_PLACEHOLDER = re.compile(r":([a-z_]+)")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR and --old-permalink (a style name or a pattern such as /:year/:title/)."""
    add_site_arguments(parser, "Jekyll", "pretty, or /:categories/:year/:title.html")


def drafts(args: argparse.Namespace, site_path: Path, config: Any) -> tuple[Iterator, int]:
    """The site's posts as drafts, planned as a whole (see generators.migrate)."""
    return migrate(sys.modules[__name__], args, site_path, config)


# -- settings ------------------------------------------------------------------------------


def read_site(root: Path, args: argparse.Namespace) -> OldSite:
    """``_config.yml`` (or ``_config.yaml``); a site without one has Jekyll's defaults."""
    settings: dict[str, Any] = {}
    for name in ("_config.yml", "_config.yaml"):
        if (root / name).is_file():
            try:
                data, _ = matter.load_yaml((root / name).read_text(encoding="utf-8"))
            except (matter.Refused, UnicodeDecodeError, OSError) as exc:
                raise SiteError(f"{name}: cannot be read: {getattr(exc, 'message', exc)}") from None
            settings = data if isinstance(data, dict) else {}
            break
    url = str(settings.get("url") or "").rstrip("/")
    parts = urlsplit(url)
    base = "/" + str(settings.get("baseurl") or "").strip("/")
    settings["permalink"] = args.old_permalink or settings.get("permalink") or "date"
    lang = text_value(settings.get("default_lang")) or text_value(settings.get("lang"))
    return OldSite(
        root=root / str(settings.get("source") or "."),
        kind=KIND,
        title=text_value(settings.get("title")),
        origin=f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None,
        base_path=base.rstrip("/") + "/",
        tz=zone(settings.get("timezone"), "_config.yml: timezone"),
        lang=lang.replace("_", "-") if lang else None,
        settings=settings,
    )


# -- posts ---------------------------------------------------------------------------------


def posts(site: OldSite, args: argparse.Namespace) -> Iterator[Post | Failed]:
    """Every post below a ``_posts`` folder, and every draft in ``_drafts``."""
    top = site.root / str(site.settings.get("collections_dir") or ".")
    found = [(f, False) for f in sorted(top.rglob("*")) if _in_folder(f, top, "_posts")]
    found += [(f, True) for f in sorted((top / "_drafts").glob("*")) if f.is_file()]
    for file, draft in found:
        if file.suffix.lower() not in SUFFIXES or file.name.startswith("."):
            continue
        yield _post(site, args, file, draft)


def _in_folder(file: Path, top: Path, name: str) -> bool:
    parts = file.relative_to(top).parts
    if not file.is_file() or name not in parts[:-1]:
        return False
    return not any(p.startswith(".") or p in ("_site", "node_modules", "vendor") for p in parts)


def _post(site: OldSite, args: argparse.Namespace, file: Path, draft: bool) -> Post | Failed:
    rel = file.relative_to(site.root).as_posix()
    shown = (Path(args.dir) / rel).as_posix()
    try:
        text = clean_text(file.read_text(encoding="utf-8"))
        document = read_front_matter(text)
    except (OSError, UnicodeDecodeError) as exc:
        return Failed(shown, f"cannot read: {exc}")
    except Unreadable as exc:
        return Failed(shown, f"line {exc.line}: {exc.message}")
    front = dict(document.data) if isinstance(document.data, dict) else {}
    front = {**_defaults(site, rel, draft), **front}
    stem = file.stem
    name = _POST_NAME.match(stem)
    if not name and not draft:
        return Failed(shown, "not a post: its name lacks the YYYY-MM-DD- Jekyll requires")
    post = Post(file=file, rel=rel, body=document.body, body_line=document.body_line)
    post.markup = "html" if file.suffix.lower() in (".html", ".htm") else "markdown"
    file_slug = name.group(2) if name else stem
    post.slug = text_value(front.get("slug")) or file_slug
    post.date = parse_date(front.get("date"), site.tz) or (
        parse_date(name.group(1), site.tz) if name else None
    )
    post.title = text_value(front.get("title"))
    if not post.title:
        post.title = " ".join(w.capitalize() for w in re.split(r"[-_\s]+", file_slug) if w)
        post.note(shown, 1, f'no title: "{post.title}", made from the file name as Jekyll does')
    languages = {str(x).lower() for x in site.settings.get("languages") or [] if x}
    folders = file.relative_to(site.root).parts[:-1]
    folder_cats = (
        [p for p in folders[: folders.index("_posts")] if p != "_drafts"] if not draft else []
    )
    lang = text_value(front.get("lang")) or language_folder(tuple(folder_cats), languages)
    post.lang = lang.replace("_", "-") if lang else None
    own = terms(front.get("categories"), " ") + terms(front.get("category"), " ")
    categories = own + [c for c in folder_cats if c.lower() != (post.lang or "").lower()]
    post.category = categories[0] if categories else None
    post.tags = list(
        dict.fromkeys(categories[1:] + terms(front.get("tags"), " ") + terms(front.get("tag"), " "))
    )
    post.authors = names(front.get("authors") or front.get("author"))
    post.summary = text_value(front.get("description")) or text_value(front.get("excerpt"))
    post.source = text_value(front.get("source"))
    image = front.get("image")
    post.image = text_value(image.get("path") if isinstance(image, dict) else image)
    post.updated = parse_date(front.get("last_modified_at") or front.get("updated"), site.tz)
    post.draft = draft or front.get("published") is False
    post.published = not post.draft
    if post.date:
        all_categories = folder_cats + own
        post.old_paths = old_paths(site, post, front, all_categories, file_slug)
    fill_required(post, args, site, shown)
    return post


def _defaults(site: OldSite, rel: str, draft: bool) -> dict[str, Any]:
    """The ``defaults`` values whose scope takes in this post (later ones win)."""
    values: dict[str, Any] = {}
    for entry in site.settings.get("defaults") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            continue
        scope = entry.get("scope") if isinstance(entry.get("scope"), dict) else {}
        path = str(scope.get("path") or "").strip("/")
        kind = scope.get("type")
        if kind and kind != ("drafts" if draft else "posts"):
            continue
        if path and not (rel == path or rel.startswith(path + "/")):
            continue
        values.update(entry["values"])
    return values


def old_paths(
    site: OldSite, post: Post, front: dict[str, Any], categories: list[str], file_slug: str
) -> list[str]:
    """The URL paths Jekyll published the post at, with ``baseurl``."""
    pattern = text_value(front.get("permalink")) or str(site.settings["permalink"])
    pattern = STYLES.get(pattern, pattern)
    assert post.date is not None
    url = expand(pattern, post.date, post.slug or file_slug, categories, post)
    url = re.sub("/+", "/", "/" + url)
    languages = [str(x) for x in site.settings.get("languages") or []]
    default = str(site.settings.get("default_lang") or (languages[0] if languages else ""))
    if languages and post.lang and post.lang != default:  # jekyll-polyglot
        url = f"/{post.lang}{url}"
    path = site.base_path.rstrip("/") + url
    last = path.rsplit("/", 1)[-1]
    if last and "." not in last:  # written as name.html, served without the suffix too
        return [path, path + ".html"]
    return [path]


def expand(pattern: str, when: datetime, slug: str, categories: list[str], post: Post) -> str:
    """A Jekyll permalink pattern with the post's values in it."""
    cats = list(dict.fromkeys(c.lower() for c in categories))
    values = {
        "year": f"{when.year:04d}",
        "month": f"{when.month:02d}",
        "i_month": str(when.month),
        "day": f"{when.day:02d}",
        "i_day": str(when.day),
        "y_day": f"{when.timetuple().tm_yday:03d}",
        "short_year": f"{when.year % 100:02d}",
        "hour": f"{when.hour:02d}",
        "minute": f"{when.minute:02d}",
        "second": f"{when.second:02d}",
        "week": f"{when.isocalendar().week:02d}",
        "w_year": str(when.isocalendar().year),
        "w_day": str(when.isoweekday()),
        "short_day": DAYS[when.weekday()][:3],
        "long_day": DAYS[when.weekday()],
        "short_month": MONTHS[when.month - 1][:3],
        "long_month": MONTHS[when.month - 1],
        "title": jekyll_slugify(slug, pretty=True),
        "slug": jekyll_slugify(slug),
        "name": jekyll_slugify(slug),
        "categories": "/".join(cats),
        "slugified_categories": "/".join(jekyll_slugify(c) for c in cats),
        "category": cats[0] if cats else "",
        "output_ext": ".html",
        "collection": "posts",
    }
    return _PLACEHOLDER.sub(lambda m: _placeholder(m, values), pattern)


def _placeholder(match: re.Match[str], values: dict[str, str]) -> str:
    name = match.group(1)
    for end in range(len(name), 0, -1):  # ":title.html" and ":titlefoo" read as Jekyll does
        if name[:end] in values:
            return values[name[:end]] + name[end:]
    return match.group(0)


def jekyll_slugify(text: str, pretty: bool = False) -> str:
    """Jekyll's ``slugify`` (default mode, lower case; or "pretty" mode, case kept)."""
    if pretty:
        return re.sub(r"(?:[^\w.~!$&'()+,;=@]|_)+", "-", text).strip("-")
    return re.sub(r"[\W_]+", "-", text).strip("-").lower()


# -- bodies --------------------------------------------------------------------------------


def convert(post: Post, body: Body, plan: Plan) -> str:
    """Liquid -> Markdown: highlight blocks to fenced code; raw blocks kept as written;
    comments dropped; ``link``, ``post_url``, ``site.baseurl``/``site.url`` and the
    ``relative_url``/``absolute_url``/``prepend`` filters to the old URL they made (the link
    pass then points it at the new one); ``gist`` to a link; anything else marked."""
    text = body.original
    out: list[str] = []
    position = 0
    while True:
        match = _TAG.search(text, position)
        if match is None:
            out.append(text[position:])
            break
        out.append(text[position : match.start()])
        position = match.end()
        name, args, expression = match.group(1), match.group(2), match.group(3)
        if name in _BLOCKS:
            end = re.compile(r"\{%-?\s*" + _BLOCKS[name] + r"\s*-?%\}")
            closing = end.search(text, position)
            if closing is None:
                out.append(body.unconverted_tag(match.group(0), match.start(), "never closed"))
                continue
            inner = text[position : closing.start()]
            position = closing.end()
            out.append(_block(name, args, inner, body))
        elif name is not None:
            out.append(_tag(name, args, match, body, post, plan))
        else:
            value = _expression(expression, post, plan)
            out.append(
                value if value is not None else body.unconverted_tag(match.group(0), match.start())
            )
    return "".join(out)


def _block(name: str, args: str, inner: str, body: Body) -> str:
    if name == "comment":
        return ""
    inner = re.sub(r"\{%-?\s*(raw|endraw)\s*-?%\}", "", inner)
    if name == "raw":
        return body.keep(inner)
    language = args.split()[0] if args.split() else ""
    return body.keep(fenced(inner, language))


def _tag(name: str, args: str, match: re.Match[str], body: Body, post: Post, plan: Plan) -> str:
    site = plan.site
    if name == "post_url":
        target = _post_by_name(plan, args.strip())
        if target is None or not target.old_paths:
            return body.unconverted_tag(match.group(0), match.start(), f"no post {args.strip()}")
        return target.old_paths[0]
    if name == "link":
        rel = args.strip().strip("'\"").lstrip("/")
        if "{" in rel:
            return body.unconverted_tag(match.group(0), match.start())
        target = plan.by_rel.get(rel)
        if target is not None and target.old_paths:
            return target.old_paths[0]
        return site.base_path + re.sub(r"\.(md|markdown)$", ".html", rel)
    if name == "gist" and args.split():
        return f"<https://gist.github.com/{args.split()[0]}>"
    return body.unconverted_tag(match.group(0), match.start())


def _post_by_name(plan: Plan, name: str) -> Post | None:
    """The post ``{% post_url name %}`` names: its file name without the suffix, with
    the folders inside ``_posts`` when it is in one."""
    name = name.strip("'\"").strip("/")
    for candidate in plan.posts:
        inside = candidate.rel.rsplit(".", 1)[0].split("_posts/", 1)[-1]
        if inside == name:
            return candidate
    return None


_STRING = r"'([^']*)'|\"([^\"]*)\""
_OPERAND = re.compile(rf"^(?:{_STRING}|(site\.baseurl|site\.url|site\.title|page\.title))\s*")
_FILTER = re.compile(
    rf"^\|\s*(relative_url|absolute_url|prepend|append)\s*(?::\s*(?:{_STRING}|(site\.baseurl|site\.url)))?\s*"
)


def _expression(expression: str, post: Post, plan: Plan) -> str | None:
    """The value of a ``{{ ... }}`` that only joins strings, site URLs and URL filters."""
    site = plan.site
    variables = {
        "site.baseurl": site.base_path.rstrip("/"),
        "site.url": site.origin or "",
        "site.title": site.title or "",
        "page.title": post.title or "",
    }
    match = _OPERAND.match(expression)
    if not match:
        return None
    single, double, name = match.groups()
    value = variables[name] if name else (single if single is not None else double or "")
    rest = expression[match.end() :]
    while rest:
        step = _FILTER.match(rest)
        if not step:
            return None
        rest = rest[step.end() :]
        kind, single, double, name = step.groups()
        argument = variables[name] if name else (single if single is not None else double or "")
        if kind in ("relative_url", "absolute_url"):
            value = site.base_path.rstrip("/") + "/" + value.lstrip("/")
            if kind == "absolute_url":
                value = (site.origin or "") + value
        elif kind == "prepend":
            value = argument + value
        else:
            value = value + argument
    return value


def special_link(dest: str, post: Post, plan: Plan) -> str | Target | None:
    """Jekyll links are plain URLs once the Liquid is converted."""
    return None


def asset(site: OldSite, path: str, post: Post) -> tuple[Path, str] | None:
    """A file Jekyll copied as it is: any file outside the ``_`` folders."""
    return relative_asset(site.root, path)
