"""Fetch one feed over http(s): with a timeout, a size cap and a User-Agent.

feedparser fetches URLs with no timeout and no size limit (and opens anything that looks
like a path as a local file), so the feed importer fetches the bytes here and hands only
bytes to it.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .. import __version__

USER_AGENT = f"masthead/{__version__} (feed import)"
MAX_FEED_BYTES = 50 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for the server to answer (each connect and read)."""
WHOLE_FEED_TIMEOUTS = 10
"""The whole body must arrive within this many timeouts."""
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


@dataclass(frozen=True)
class Fetched:
    """A feed's bytes and what the server said of them."""

    body: bytes
    url: str
    """The URL after redirects."""
    content_type: str | None


class FetchError(Exception):
    """Why a URL could not be fetched, in one line."""


def is_url(name: str) -> bool:
    """Whether a command-line argument names an http(s) URL rather than a file."""
    return name.lower().startswith(("http://", "https://"))


def fetch(url: str, timeout: float = DEFAULT_TIMEOUT, limit: int | None = None) -> Fetched:
    """The bytes at ``url``; FetchError for an HTTP error, a network error, a timeout, a
    redirect off http(s), or a body over ``limit`` bytes (default ``MAX_FEED_BYTES``)."""
    limit = MAX_FEED_BYTES if limit is None else limit
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": "identity"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            final = response.geturl()
            if not is_url(final):
                raise FetchError(f"redirected to {final}, which is not http(s)")
            body = _read(response, limit, time.monotonic() + WHOLE_FEED_TIMEOUTS * timeout)
            content_type = response.headers.get("Content-Type")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchError(f"no answer within {timeout:g} seconds") from exc
        raise FetchError(f"cannot fetch: {exc.reason}") from exc
    except TimeoutError as exc:
        raise FetchError(f"no answer within {timeout:g} seconds") from exc
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot fetch: {exc}") from exc
    return Fetched(body, final, content_type)


def _read(response: object, limit: int, deadline: float) -> bytes:
    """The body, in chunks, failing past ``limit`` bytes or past the deadline (a server
    that sends a byte every few seconds never trips the socket's timeout)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(65536):  # type: ignore[attr-defined]
        size += len(chunk)
        if size > limit:
            raise FetchError(f"larger than {size_text(limit)}; not fetched whole")
        if time.monotonic() > deadline:
            raise FetchError("too slow: the whole feed did not arrive in time")
        chunks.append(chunk)
    return b"".join(chunks)


def size_text(size: int) -> str:
    """A size for a message: ``50 MB``, ``4,096 bytes``."""
    return f"{size // 2**20} MB" if size >= 2**20 else f"{size:,} bytes"
