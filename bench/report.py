"""The results table: one row per scenario, a column per tool, then masthead/peer ratios."""

from __future__ import annotations

ROWS = (
    ("cold", "cold build (s)"),
    ("unchanged", "nothing changed (s)"),
    ("article", "one article edited (s)"),
    ("template", "one template edited (s)"),
    ("cold_cpu_seconds", "cold build CPU, user+sys (s)"),
    ("cold_max_rss_mb", "cold build peak memory (MB)"),
    ("tree_rss_mb", "peak memory, process tree (MB)"),
)
LIVE_ROW = "preview server: save to served (s)"
PAGE_ROWS = (("html", "pages (.html files)"), ("feeds", "feeds (.xml files)"))


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if value >= 1 else f"{value:.3f}"


def _ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}x" if theirs else "-"


def table(
    summary: dict, pages: dict, names: list[str], articles: int, previews: dict | None = None
) -> str:
    """Medians per scenario; ratios above 1 mean masthead took longer (or more)."""
    peers = [n for n in names if not n.startswith("masthead")]
    pairs = [(m, p) for m in ("masthead", "masthead fast") if m in names for p in peers]
    lines = [["", *names, *(f"{m}/{p}" for m, p in pairs)]]
    for key, label in ROWS:
        values = [summary[n][key] for n in names]
        ratios = [_ratio(summary[m][key], summary[p][key]) for m, p in pairs]
        lines.append([label, *map(_number, values), *ratios])
    if previews and any(name in previews for name in names):
        values = [previews[n]["median"] if n in previews else None for n in names]
        ratios = [
            _ratio(previews[m]["median"], previews[p]["median"])
            if m in previews and p in previews
            else "-"
            for m, p in pairs
        ]
        cells = [_number(v) if v is not None else "-" for v in values]
        lines.append([LIVE_ROW, *cells, *ratios])
    for key, label in PAGE_ROWS:
        values = [pages[n][key] for n in names]
        ratios = [_ratio(pages[m][key], pages[p][key]) for m, p in pairs]
        lines.append([label, *map(str, values), *ratios])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [f"{articles} articles; medians; ratio > 1: masthead slower, bigger or more"]
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        text.append("  ".join(cells))
    return "\n".join(text)
