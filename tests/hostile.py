"""Hostile text for the output tests: markup, quotes, CDATA ends and control characters in
every field a page, feed or sitemap shows, with what the archive keeps of each.

The feed, metadata and sitemap tests all build a site from ``hostile_fields()`` and expect
the ``CLEAN_*`` strings back, exactly, from every format: escaping must round-trip and
control characters (which XML 1.0 and HTML forbid) must be dropped, never passed through.
"""

from __future__ import annotations

import re

HOSTILE_TITLE = "Evil </script><script>alert(1)</script> < & \"double\" 'single' ]]> \x01ctl\x0bend"
HOSTILE_AUTHOR = 'Mal </script><script>alert(1)</script> & "Q" \x01'
HOSTILE_TAG = "tag </script><script>alert(1)</script> & ]]> \x0b"
HOSTILE_SUMMARY = 'Sum </script><script>alert(1)</script> < & "q" ]]> \x01x'
HOSTILE_CATEGORY = "World & <Co>"
HOSTILE_SOURCE = 'Wire ]]> "S"'
HOSTILE_SITE_TITLE = 'Example <News> & "Co"'

# What the archive keeps: control characters dropped (and the spaces of names collapsed).
CLEAN_TITLE = "Evil </script><script>alert(1)</script> < & \"double\" 'single' ]]> ctlend"
CLEAN_AUTHOR = 'Mal </script><script>alert(1)</script> & "Q"'
CLEAN_TAG = "tag </script><script>alert(1)</script> & ]]>"
CLEAN_SUMMARY = 'Sum </script><script>alert(1)</script> < & "q" ]]> x'

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""What no output file may hold (XML 1.0 forbids them; tab, LF and CR are allowed). Written
out here rather than taken from masthead.text, so the check does not trust the code it checks."""


def hostile_fields(**more: object) -> dict[str, object]:
    """The fields of one article with hostile text in every field shown (for ``write_site``),
    published 23 Sep 2017 10:30 site time; ``more`` adds or replaces fields."""
    return {
        "title": HOSTILE_TITLE,
        "date": "2017-09-23T10:30:00",
        "category": HOSTILE_CATEGORY,
        "source": HOSTILE_SOURCE,
        "authors": [HOSTILE_AUTHOR],
        "tags": [HOSTILE_TAG],
        "summary": HOSTILE_SUMMARY,
        **more,
    }
