"""``masthead import hugo DIR``: a Hugo site's pages in its sections, with their old URLs.

Read from ``hugo.toml``/``hugo.yaml``/``hugo.json`` (or ``config.*``) and every file of
``config/_default/`` (keys are case-insensitive, as in Hugo): ``baseURL``, ``title``,
``timeZone``, ``defaultContentLanguage`` and ``defaultContentLanguageInSubdir``,
``languages`` (with their ``contentDir``), ``permalinks`` (per section, also under
``page``), ``uglyURLs``, ``contentDir``, ``staticDir``, ``frontmatter.date`` (``:filename``),
``disablePathToLower`` and ``params.mainSections``. Front matter may be YAML, TOML or JSON.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import sys
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import matter
from ..readers import Unreadable, read_front_matter
from . import Failed
from .bodies import Body, Target, fenced, figure
from .generators import (
    ISO_639_1,
    OldSite,
    Plan,
    Post,
    SiteError,
    add_site_arguments,
    clean_text,
    fill_required,
    migrate,
    names,
    now,
    parse_date,
    relative_asset,
    terms,
    text_value,
    zone,
)

KIND = "hugo"
HELP = "migrate a Hugo site's posts (every language), keeping every old URL as a redirect"
SUFFIXES = (".md", ".markdown", ".html", ".htm")
CONFIG_NAMES = ("hugo", "config")
_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_SHORTCODE = re.compile(
    r"\{\{(?P<open>[<%])\s*/\*(?P<comment>.*?)\*/\s*[>%]\}\}"
    r"|\{\{(?P<kind>[<%])\s*(?P<close>/?)\s*(?P<name>[\w./-]+)(?P<args>.*?)\s*[>%]\}\}",
    re.S,
)
_PARAM = re.compile(r'(?:(\w+)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|[^\s"`]+)')
_TOKEN = re.compile(r":(slugorcontentbasename|slugorfilename|contentbasename|[a-z]+)")
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
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
EMBEDS = {
    "youtube": "https://www.youtube.com/watch?v={id}",
    "vimeo": "https://vimeo.com/{id}",
    "gist": "https://gist.github.com/{user}/{id}",
    "tweet": "https://twitter.com/{user}/status/{id}",
    "x": "https://x.com/{user}/status/{id}",
    "instagram": "https://www.instagram.com/p/{id}/",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """DIR, --old-permalink and --section."""
    add_site_arguments(parser, "Hugo", "/:year/:month/:slug/")
    parser.add_argument(
        "--section",
        action="append",
        metavar="NAME",
        help="import this section only (repeatable; default: params.mainSections, else all)",
    )


def drafts(args: argparse.Namespace, site_path: Path, config: Any) -> tuple[Iterator, int]:
    """The site's posts as drafts, planned as a whole (see generators.migrate)."""
    return migrate(sys.modules[__name__], args, site_path, config)


# -- settings ------------------------------------------------------------------------------


def read_site(root: Path, args: argparse.Namespace) -> OldSite:
    """The merged settings of the root config file and ``config/_default/``."""
    settings: dict[str, Any] = {}
    for name in CONFIG_NAMES:
        found = [root / f"{name}.{ext}" for ext in ("toml", "yaml", "yml", "json")]
        found = [f for f in found if f.is_file()]
        if found:
            _merge(settings, _load(found[0]))
            break
    folder = root / "config" / "_default"
    if folder.is_dir():
        for file in sorted(folder.iterdir()):
            if file.suffix in (".toml", ".yaml", ".yml", ".json"):
                data = _load(file)
                _merge(settings, data if file.stem in CONFIG_NAMES else {file.stem.lower(): data})
    base = str(settings.get("baseurl") or "/")
    parts = urlsplit(base)
    settings["permalink"] = args.old_permalink
    default = str(settings.get("defaultcontentlanguage") or "en").lower()
    return OldSite(
        root=root,
        kind=KIND,
        title=text_value(settings.get("title")),
        origin=f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None,
        base_path="/" + parts.path.strip("/") + ("/" if parts.path.strip("/") else ""),
        tz=zone(settings.get("timezone"), "timeZone"),
        lang=default,
        settings=settings,
    )


def _load(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif file.suffix == ".json":
            data = json.loads(text)
        else:
            data = matter.load_yaml(text)[0]
    except (OSError, UnicodeDecodeError, ValueError, matter.Refused) as exc:
        raise SiteError(f"{file.name}: cannot be read: {getattr(exc, 'message', exc)}") from None
    return _lower(data) if isinstance(data, dict) else {}


def _lower(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k).lower(): _lower(v) for k, v in data.items()}
    return data


def _merge(into: dict[str, Any], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


# -- posts ---------------------------------------------------------------------------------


def _roots(site: OldSite) -> list[tuple[Path, str]]:
    """(content folder, its language) for every language."""
    settings = site.settings
    content = site.root / str(settings.get("contentdir") or "content")
    languages = settings.get("languages") if isinstance(settings.get("languages"), dict) else {}
    roots = []
    for code, values in sorted(languages.items()):
        folder = values.get("contentdir") if isinstance(values, dict) else None
        if folder:
            roots.append((site.root / str(folder), code))
    if roots:
        return roots
    roots = [(content, site.lang or "en")]
    if content.is_dir():
        for folder in sorted(content.iterdir()):
            if folder.is_dir() and (folder.name in languages or folder.name in ISO_639_1):
                roots.append((folder, folder.name))
    return roots


def posts(site: OldSite, args: argparse.Namespace) -> Iterator[Post | Failed]:
    """Every regular page below a section of each language's content folder."""
    roots = _roots(site)
    language_roots = {folder for folder, _ in roots}
    params = site.settings.get("params") if isinstance(site.settings.get("params"), dict) else {}
    sections = args.section or [str(s) for s in params.get("mainsections") or []]
    languages = set(site.settings.get("languages") or {}) | {site.lang or "en"}
    for folder, lang in roots:
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            parts = file.relative_to(folder).parts
            if (
                not file.is_file()
                or file.suffix.lower() not in SUFFIXES
                or file.stem.startswith("_index")
                or any(p.startswith((".", "_")) for p in parts)
                or len(parts) < 2
                or any(folder / p in language_roots for p in parts[:1])
                or (sections and parts[0] not in sections)
            ):
                continue
            yield _post(site, args, file, folder, lang, languages)


def _split(text: str) -> tuple[dict[str, Any], str, int]:
    """Front matter (YAML, TOML or JSON), body and the body's first line."""
    if text.lstrip().startswith("{"):
        start = len(text) - len(text.lstrip())
        data, end = json.JSONDecoder().raw_decode(text, start)
        return data, text[end:], text.count("\n", 0, end) + 1
    document = read_front_matter(text)
    data = document.data if isinstance(document.data, dict) else {}
    return data, document.body, document.body_line


def _post(
    site: OldSite, args: argparse.Namespace, file: Path, root: Path, lang: str, languages: set
) -> Post | Failed:
    rel = file.relative_to(site.root).as_posix()
    shown = (Path(args.dir) / rel).as_posix()
    try:
        front, body, body_line = _split(clean_text(file.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return Failed(shown, f"cannot read: {exc}")
    except Unreadable as exc:
        return Failed(shown, f"line {exc.line}: {exc.message}")
    front = {str(k).lower(): v for k, v in front.items()}
    post = Post(file=file, rel=rel, body=body, body_line=body_line)
    post.markup = "html" if file.suffix.lower() in (".html", ".htm") else "markdown"
    inside = file.relative_to(root)
    stem, dot, code = inside.stem.rpartition(".")
    if dot and (code in languages or code in ISO_639_1):
        lang, base_name = code, stem
    else:
        base_name = inside.stem
    bundle = base_name == "index"
    name = inside.parent.name if bundle else base_name
    dated = _DATED_NAME.match(name)
    date_sources = (site.settings.get("frontmatter") or {}).get("date") or [":default"]
    post.date = _date(front, date_sources, dated, site)
    if dated and ":filename" in date_sources:
        name = dated.group(2)
    post.lang = lang
    post.title = text_value(front.get("title"))
    post.slug = text_value(front.get("slug")) or name
    categories = terms(front.get("categories")) + terms(front.get("category"))
    post.category = categories[0] if categories else None
    post.tags = list(dict.fromkeys(categories[1:] + terms(front.get("tags"))))
    post.authors = names(front.get("authors") or front.get("author"))
    post.summary = text_value(front.get("summary")) or text_value(front.get("description"))
    post.source = text_value(front.get("source"))
    images = front.get("images")
    image = images[0] if isinstance(images, list) and images else front.get("image")
    post.image = text_value(image or front.get("featured_image"))
    post.updated = parse_date(front.get("lastmod"), site.tz)
    post.draft = front.get("draft") is True
    post.published = not post.draft
    expiry = parse_date(front.get("expirydate"), site.tz)
    if expiry and expiry <= now():
        post.draft = True
        post.note(shown, None, f"expired on {expiry.date()} (expiryDate): imported as a draft")
    publish = parse_date(front.get("publishdate"), site.tz)
    if publish and publish > now():
        post.draft, post.published = True, False
        post.note(shown, None, f"scheduled for {publish.date()} (publishDate): imported as a draft")
    if post.date:
        post.old_paths = old_paths(site, post, front, inside, name, bundle)
    fill_required(post, args, site, shown)
    return post


def _date(front: dict[str, Any], sources: list[str], dated: Any, site: OldSite) -> datetime | None:
    for source in [str(s).lower() for s in sources]:
        keys = (
            ["date", "publishdate", "pubdate", "published", "lastmod"]
            if source == ":default"
            else [source]
        )
        for key in keys:
            if key == ":filename":
                when = parse_date(dated.group(1), site.tz) if dated else None
            else:
                when = parse_date(front.get(key.lstrip(":")), site.tz)
            if when:
                return when
    return None


def old_paths(
    site: OldSite, post: Post, front: dict[str, Any], inside: Path, name: str, bundle: bool
) -> list[str]:
    """The URL paths Hugo published the page at, and its own ``aliases``."""
    settings = site.settings
    section = inside.parts[0]
    ugly = settings.get("uglyurls")
    ugly = ugly.get(section, False) if isinstance(ugly, dict) else bool(ugly)
    url = text_value(front.get("url"))
    default = str(site.lang or "en")
    prefix = ""
    if post.lang != default or settings.get("defaultcontentlanguageinsubdir"):
        prefix = f"/{post.lang}"
    if url:
        path = "/" + url.lstrip("/")
    else:
        pattern = settings["permalink"] or _pattern(settings, section)
        if pattern:
            path = expand(pattern, post, front, inside, name, section)
        else:
            folders = "/".join(inside.parts[:-2] if bundle else inside.parts[:-1])
            path = f"/{folders}/{text_value(front.get('slug')) or name}/"
        path = re.sub("/+", "/", path)
        if not settings.get("disablepathtolower"):
            path = path.lower()
        path = prefix + _sanitize(path)
    if ugly and path.endswith("/") and path != "/":
        path = path.rstrip("/") + ".html"
    found = [site.base_path.rstrip("/") + path]
    page_dir = found[0] if found[0].endswith("/") else found[0].rsplit("/", 1)[0] + "/"
    for alias in terms(front.get("aliases")):
        found.append(
            site.base_path.rstrip("/") + alias if alias.startswith("/") else page_dir + alias
        )
    return found


def _pattern(settings: dict[str, Any], section: str) -> str | None:
    permalinks = settings.get("permalinks") if isinstance(settings.get("permalinks"), dict) else {}
    page = permalinks.get("page") if isinstance(permalinks.get("page"), dict) else {}
    value = page.get(section) or permalinks.get(section)
    return str(value) if isinstance(value, str) else None


def expand(
    pattern: str, post: Post, front: dict[str, Any], inside: Path, name: str, section: str
) -> str:
    """A Hugo permalink pattern with the page's values in it."""
    when = post.date
    assert when is not None
    slug = text_value(front.get("slug"))
    values = {
        "year": f"{when.year:04d}",
        "month": f"{when.month:02d}",
        "monthname": MONTHS[when.month - 1],
        "day": f"{when.day:02d}",
        "weekday": str(when.isoweekday() % 7),
        "weekdayname": DAYS[when.isoweekday() % 7],
        "yearday": str(when.timetuple().tm_yday),
        "section": section,
        "sections": "/".join(
            inside.parts[:-2] if inside.stem.startswith("index") else inside.parts[:-1]
        ),
        "title": urlize(post.title or ""),
        "slug": urlize(slug or post.title or ""),
        "filename": name,
        "contentbasename": name,
        "slugorfilename": urlize(slug) if slug else name,
        "slugorcontentbasename": urlize(slug) if slug else name,
    }
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), pattern)


def urlize(text: str) -> str:
    """Hugo's ``urlize`` of a title: spaces to hyphens, other marks left out, lower case."""
    return _sanitize(text.strip()).lower()


def _sanitize(path: str) -> str:
    out, hyphen = [], False
    for char in path:
        if char.isalnum() or char in "./\\_#+~-@" or (char == "%"):
            if hyphen and out:
                out.append("-")
            hyphen = False
            out.append(char)
        elif char.isspace():
            hyphen = True
    return "".join(out)


# -- bodies --------------------------------------------------------------------------------


def convert(post: Post, body: Body, plan: Plan) -> str:
    """Shortcodes -> Markdown: ``highlight`` to fenced code, ``figure`` to an image with its
    caption, ``ref``/``relref`` to the page's old URL (the link pass makes it the new one),
    ``youtube``, ``vimeo``, ``gist``, ``tweet``, ``x``, ``instagram`` to links; escaped
    shortcodes (``{{</* x */>}}``) kept as text; anything else marked."""
    text = body.original
    out: list[str] = []
    position = 0
    while (match := _SHORTCODE.search(text, position)) is not None:
        out.append(text[position : match.start()])
        position = match.end()
        if match.group("comment") is not None:
            open_, close = ("{{<", ">}}") if match.group("open") == "<" else ("{{%", "%}}")
            out.append(body.keep(f"{open_}{match.group('comment')}{close}"))
            continue
        name, args = match.group("name"), _params(match.group("args"))
        if match.group("close"):
            out.append(body.unconverted_tag(match.group(0), match.start()))
        elif name == "highlight":
            closing = re.compile(r"\{\{[<%]\s*/\s*highlight\s*[>%]\}\}").search(text, position)
            if closing is None:
                out.append(body.unconverted_tag(match.group(0), match.start(), "never closed"))
                continue
            language = args.get("0", "")
            out.append(body.keep(fenced(text[position : closing.start()], language)))
            position = closing.end()
        else:
            out.append(_shortcode(name, args, match, body, post, plan))
    out.append(text[position:])
    return "".join(out)


def _params(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for index, match in enumerate(_PARAM.finditer(text.strip())):
        value = match.group(2)
        if value[:1] == "`":
            value = value[1:-1]
        elif value[:1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        found[match.group(1) or str(index)] = value
    return found


def _shortcode(
    name: str, args: dict[str, str], match: re.Match[str], body: Body, post: Post, plan: Plan
) -> str:
    if name in ("ref", "relref"):
        path = args.get("path") or args.get("0", "")
        target, fragment = find_page(plan, post, path)
        if target is None or not target.old_paths:
            return body.unconverted_tag(match.group(0), match.start(), f"no page {path}")
        return target.old_paths[0] + (f"#{fragment}" if fragment else "")
    if name == "figure" and args.get("src"):
        return figure(
            args["src"],
            args.get("alt", ""),
            args.get("caption", ""),
            args.get("title", ""),
            args.get("link", ""),
        )
    if name in EMBEDS:
        values = {
            "id": args.get("id") or args.get("1") or args.get("0", ""),
            "user": args.get("user") or args.get("0", ""),
        }
        if name in ("youtube", "vimeo", "instagram"):
            values["id"] = args.get("id") or args.get("0", "")
        if values["id"]:
            return f"<{EMBEDS[name].format(**values)}>"
    return body.unconverted_tag(match.group(0), match.start())


def find_page(plan: Plan, post: Post, path: str) -> tuple[Post | None, str]:
    """The page a ``ref`` names: a path relative to the page, to the content folder, or a
    file name found anywhere; ``#anchor`` kept."""
    path, _, fragment = path.partition("#")
    if not path:
        return post, fragment
    here = post.rel.rsplit("/", 1)[0]
    joined = posixpath.normpath(posixpath.join(here, path)) if not path.startswith("/") else ""
    wanted = path.strip("/")
    stems = {wanted, wanted.rsplit(".", 1)[0], wanted + "/index"}
    for candidate in plan.posts:
        rel = candidate.rel.rsplit(".", 1)[0]
        if joined and joined in (candidate.rel, rel, rel.removesuffix("/index")):
            return candidate, fragment
    for candidate in plan.posts:
        rel = candidate.rel.rsplit(".", 1)[0]
        inside = rel.split("/", 1)[1] if "/" in rel else rel  # below the content folder
        options = {inside, inside.removesuffix("/index")}
        options |= {o.split("/", 1)[1] for o in list(options) if "/" in o}  # below a language
        base = rel.removesuffix("/index").rsplit("/", 1)[-1]
        if stems & options or (wanted in (base, candidate.rel.rsplit("/", 1)[-1])):
            return candidate, fragment
    return None, fragment


def special_link(dest: str, post: Post, plan: Plan) -> str | Target | None:
    """A Markdown link to another page's file (``../other/index.md``), as Hugo's link render
    hook reads it."""
    path, _, fragment = dest.partition("#")
    if urlsplit(path).scheme or not re.search(r"\.(md|markdown)$", path):
        return None
    target, fragment = find_page(plan, post, dest)
    if target is None:
        return Target(lost=f"no page {path}")
    return plan.post_target(target, post, fragment)


def asset(site: OldSite, path: str, post: Post) -> tuple[Path, str] | None:
    """A file of a static folder, or a resource of the post's page bundle."""
    static = site.settings.get("staticdir") or ["static"]
    for folder in static if isinstance(static, list) else [static]:
        found = relative_asset(site.root / str(folder), path)
        if found:
            return found
    if post.file.stem.startswith("index") and post.old_paths:
        page = post.old_paths[0][len(site.base_path) :]
        page_dir = page if page.endswith("/") else page.rsplit("/", 1)[0] + "/"
        if path.startswith(page_dir):
            found = relative_asset(post.file.parent, path[len(page_dir) :])
            if found:
                return found[0], path
    return None
