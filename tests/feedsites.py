"""Small news sites for the feed, metadata and sitemap tests, written and built in temporary folders.

``write_site`` writes a site folder (``pyproject.toml`` and one Markdown file per article);
``build_site`` builds it with ``masthead.pipeline.build``, without the cache, with the
reference time pinned to ``NOW`` (24 Sep 2017, 12:00 in Asia/Karachi, +05:00) unless told.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from masthead.model import BuildOptions
from masthead.pipeline import build

KARACHI = ZoneInfo("Asia/Karachi")
NOW = datetime(2017, 9, 24, 12, 0, tzinfo=KARACHI)


def write_site(root: Path, settings: dict, articles: dict[str, dict]) -> Path:
    """A site folder: pyproject.toml with ``[tool.masthead]`` and one Markdown file per article.

    Values are written as JSON literals, which are valid TOML and YAML (control characters
    become escapes such as ``\\u0001``, which both decode)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[tool.masthead]"]
    settings = {"url_ledger": False, **settings}  # these sites rename articles freely
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for rel, fields in articles.items():
        fields = dict(fields)
        body = fields.pop("body", "Some text.\n")
        front = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8", newline="\n")
    return root


def build_site(root: Path, now: datetime | None = NOW, jobs: int = 1, **options) -> Path:
    """Build the site without the cache (one process unless ``jobs`` says otherwise) and return
    its output folder; any error fails the test."""
    report = build(root, BuildOptions(now=now, use_cache=False, jobs=jobs, **options))
    assert not report.errors, "\n".join(str(p) for p in report.errors)
    return root / "output"
