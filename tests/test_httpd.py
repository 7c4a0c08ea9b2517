"""The preview server's HTTP side: request paths decoded once and kept inside the preview
folder, responses built without a socket (types, revalidation, 404 pages, redirects, the
reload script and the error overlay), then hostile requests on a real socket to a server
in this process.
"""

from __future__ import annotations

import io
import re
import socket
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from serving import (
    DEADLINE,
    fetch,
    header,
    headers,
    live_server,
    make_preview,
    read_all,
    status_of,
)
from sitegen import TINY_PYPROJECT, write_files

from masthead.model import BuildOptions, Problem
from masthead.preview import httpd, watch

# --- Path safety ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "rel"),
    [
        ("/", ""),
        ("/2017/09/23/first-story/", "2017/09/23/first-story/"),
        ("/2017/09/23/first-story/?utm=1#top", "2017/09/23/first-story/"),
        ("/static/style.css", "static/style.css"),
        ("/tag/caf%C3%A9/", "tag/café/"),
        ("/2017", "2017"),
        ("/a%20b.html", "a b.html"),
    ],
)
def test_request_paths_are_decoded_once(target: str, rel: str) -> None:
    assert httpd.request_rel(target) == rel


@pytest.mark.parametrize(
    "target",
    [
        "/../etc/passwd",
        "/..",
        "/2017/../../x",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/",
        "/.%2e/x",
        "/2017/./09/",
        "/..%2fetc%2fpasswd",
        "/static%2Fstyle.css",
        "/%5c..%5cx",
        "/..\\x",
        "/a%00.html",
        "/a\x00.html",
        "//etc/passwd",
        "/%2fetc/passwd",
        "/a//b",
        "/C:/Windows/win.ini",
        "/%c0%ae%c0%ae/",
        "/%252e%252e/",  # decoded once: a literal "%2e%2e" segment, which is refused below
        "etc/passwd",
        "http://example.org/",
    ],
)
def test_unsafe_request_paths_are_refused(target: str) -> None:
    try:
        rel = httpd.request_rel(target)
    except ValueError:
        return
    # What decoding once lets through must still be a harmless name inside the folder.
    assert rel == "%2e%2e/" and target == "/%252e%252e/"


def test_locate_maps_pretty_urls_and_stays_inside(preview_root: Path, tmp_path: Path) -> None:
    assert httpd.locate(preview_root, "") == (preview_root / "index.html").resolve()
    found = httpd.locate(preview_root, "2017/09/23/first-story/")
    assert found == (preview_root / "2017/09/23/first-story/index.html").resolve()
    assert httpd.locate(preview_root, "2017/09/23/first-story") == httpd.REDIRECT
    assert httpd.locate(preview_root, "static/style.css/") is None
    assert httpd.locate(preview_root, "missing/") is None
    assert httpd.locate(preview_root, ".masthead-manifest.json") is None
    assert httpd.locate(preview_root, "../../secret.txt") is None
    assert httpd.locate(preview_root, "../../pyproject.toml") is None
    (preview_root / "escape").symlink_to(tmp_path)
    (preview_root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    assert httpd.locate(preview_root, "escape/secret.txt") is None
    assert httpd.locate(preview_root, "leak.txt") is None
    assert httpd.locate(preview_root, "escape") is None


# --- Responses without a socket ----------------------------------------------------------


def test_content_types(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    expected = {
        "/": "text/html; charset=utf-8",
        "/static/style.css": "text/css; charset=utf-8",
        "/feed.xml": "application/xml; charset=utf-8",
        "/data.json": "application/json; charset=utf-8",
        "/img/logo.png": "image/png",
    }
    for target, kind in expected.items():
        response = httpd.file_response(preview, target)
        assert response.status == 200, target
        assert header(response, "Content-Type") == kind, target
        assert header(response, "Content-Length") == str(len(response.body))


def test_static_files_revalidate_with_etag_and_last_modified(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    first = httpd.file_response(preview, "/static/style.css")
    etag, modified = header(first, "ETag"), header(first, "Last-Modified")
    assert etag and modified and first.body == b"body{}"
    assert (
        httpd.file_response(preview, "/static/style.css", headers(If_None_Match=etag)).status == 304
    )
    weak = headers(If_None_Match=f'"other", W/{etag}')
    assert httpd.file_response(preview, "/static/style.css", weak).status == 304
    assert (
        httpd.file_response(
            preview, "/static/style.css", headers(If_Modified_Since=modified)
        ).status
        == 304
    )
    earlier = formatdate(time.time() - 3600 * 24 * 365, usegmt=True)
    older = httpd.file_response(preview, "/static/style.css", headers(If_Modified_Since=earlier))
    assert older.status == 200
    stale = headers(If_None_Match='"stale"', If_Modified_Since=modified)
    assert httpd.file_response(preview, "/static/style.css", stale).status == 200
    garbage = headers(If_Modified_Since="not a date")
    assert httpd.file_response(preview, "/static/style.css", garbage).status == 200


def test_pages_revalidate_until_the_next_build(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    first = httpd.file_response(preview, "/")
    etag = header(first, "ETag")
    assert httpd.file_response(preview, "/", headers(If_None_Match=etag)).status == 304
    preview.state = watch.Snapshot(preview.state.generation + 1, preview.state.server_id, (), 0)
    assert httpd.file_response(preview, "/", headers(If_None_Match=etag)).status == 200


def test_missing_pages_get_the_sites_404_page(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404
    assert b"not here" in response.body and b"data-masthead-reload" in response.body
    (preview_root / "404.html").unlink()
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404 and b"Not found" in response.body


def test_bad_paths_get_400_and_folders_a_redirect(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    assert httpd.file_response(preview, "/%2e%2e/secret.txt").status == 400
    redirect = httpd.file_response(preview, "/2017/09/23/first-story?x=1")
    assert redirect.status == 302
    assert header(redirect, "Location") == "/2017/09/23/first-story/?x=1"


def test_the_reload_script_goes_before_the_last_body_end_tag() -> None:
    state = watch.Snapshot(7, "abc123", (), 0.0)
    page = b"<html><body><p>&lt;/body&gt;</p></BODY></html>"
    decorated = httpd.decorate(page, state)
    assert decorated.startswith(b"<html><body><p>&lt;/body&gt;</p><script data-masthead-reload>")
    assert decorated.endswith(b"</script>\n</BODY></html>")
    assert b"since = 7" in decorated and b'server = "abc123"' in decorated
    assert httpd.decorate(b"no body", state).startswith(b"no body<script")


def test_the_error_overlay_lists_every_problem_escaped() -> None:
    problems = (
        Problem("content/2017/09/a.md", 4, "front matter is not valid YAML: <b>oops</b>"),
        Problem("templates/article.html", 12, "template syntax error: unexpected '}'"),
        Problem("pyproject.toml", None, "unknown key 'titel'", "warning"),
    )
    overlay = httpd.error_overlay(problems)
    assert "2 errors" in overlay
    assert (
        "content/2017/09/a.md:4: error: front matter is not valid YAML: &lt;b&gt;oops&lt;/b&gt;"
        in overlay
    )
    assert (
        "templates/article.html:12: error: template syntax error: unexpected &#x27;}&#x27;"
        in overlay
    )
    assert "pyproject.toml: warning: unknown key" in overlay
    assert "<b>" not in overlay
    decorated = httpd.decorate(b"<body>page</body>", watch.Snapshot(1, "x", problems, 0.0))
    assert b"page" in decorated, "the last good page stays underneath"
    assert decorated.index(b"masthead-build-errors") < decorated.index(b"data-masthead-reload")


# --- Hostile requests, on a socket (a server in this process) -------------------------------


def test_the_404_page_behind_a_symlink_is_not_followed_out(preview_root: Path, tmp_path: Path):
    preview = make_preview(preview_root)
    page = preview_root / "404.html"
    page.unlink()
    page.symlink_to(tmp_path / "secret.txt")
    response = httpd.file_response(preview, "/no/such/page/")
    assert response.status == 404
    assert b"secret" not in response.body and b"Not found" in response.body
    page.unlink()
    page.symlink_to("/etc/passwd")
    response = httpd.file_response(preview, "/no/such/page/")
    assert b"root:" not in response.body and b"Not found" in response.body
    page.unlink()
    (preview_root / "pages").mkdir()
    (preview_root / "pages" / "missing.html").write_text("<body>inside the preview</body>")
    page.symlink_to(preview_root / "pages" / "missing.html")  # inside: fine
    assert b"inside the preview" in httpd.file_response(preview, "/nothing/").body
    page.unlink()
    page.mkdir()  # a folder is no page either
    assert b"Not found" in httpd.file_response(preview, "/nothing/").body


@pytest.mark.parametrize(
    "query",
    [
        "",
        "since=",
        "since=abc",
        "since=-1",
        "since=1.5",
        "since=%C2%B2",  # a superscript two: a digit to str.isdigit(), not to int()
        "since=\u0661",  # an Arabic-Indic one
        "since=" + "9" * 5000,  # beyond int()'s digit limit
        "since=%ff%fe",
        "server=abc",
        "since=1%00",
        "since=+1",
        "since= 1",
    ],
)
def test_malformed_reload_requests_are_400(preview_root: Path, query: str) -> None:
    response = httpd.wait_response(make_preview(preview_root), query)
    assert response.status == 400
    assert b"since=" in response.body


def test_a_well_formed_reload_request_still_works(preview_root: Path) -> None:
    preview = make_preview(preview_root)
    answer = httpd.wait_response(preview, "since=7&server=other&since=x&odd&=&&")
    assert answer.status == 200 and b'"reload": true' in answer.body


def test_hostile_requests_get_an_answer_and_print_nothing(
    preview_root: Path, tmp_path: Path, capsys
) -> None:
    (preview_root / "loop").symlink_to(preview_root / "loop")
    (preview_root / "a").symlink_to(preview_root / "b")
    (preview_root / "b").symlink_to(preview_root / "a")
    with live_server(preview_root) as live:
        statuses = {
            "/" + "a" * 300: 404,  # a name longer than any file system allows
            "/" + "a/" * 3000 + "x": 404,  # a path longer than PATH_MAX
            "/" + "%C3%A9" * 200: 404,  # 400 bytes of UTF-8 in 200 characters
            "/" + "a" * 9000: 414,
            "/loop": 404,
            "/loop/": 404,
            "/a/x": 404,
            "/%ff": 400,
            "/x?%%%&&==": 404,
            "/?since=abc": 200,  # the home page: only the reload endpoint reads since=
            "/__masthead/wait?since=abc": 400,
            "/__masthead/wait?since=" + "1" * 4000: 400,
            "*": 400,
        }
        for target, expected in statuses.items():
            assert live.status(target) == expected, target[:80]
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "get"):
            status, response_headers, _ = fetch(f"http://127.0.0.1:{live.port}/", "/", method)
            assert status == 405 and response_headers["Allow"] == "GET, HEAD", method
        for name, value in [
            ("If-Modified-Since", "not a date"),
            ("If-Modified-Since", "Thu, 99 Foo 99999 99:99:99 GMT"),
            ("If-Modified-Since", "Sat, 01 Jan 10000 00:00:00 GMT"),
            ("If-Modified-Since", "\u00ff\u00fe"),
            ("If-None-Match", ',,, W/ "" *x'),
            ("Content-Length", "banana"),
            ("Range", "bytes=-"),
        ]:
            assert live.status("/static/style.css", **{name: value}) == 200, (name, value)
        raw_requests = {
            b"GARBAGE\r\n\r\n": 400,
            b"GET / HTTP/9.9\r\n\r\n": 505,
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n": 200,
            b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n": 431,
            b"GET / HTTP/1.1\r\nX-Long: " + b"x" * 70000 + b"\r\n\r\n": 431,
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n": 414,
            b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n": 404,  # raw UTF-8: a name, decoded
            b"GET /\xff HTTP/1.1\r\n\r\n": 400,
            b"POST / HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n": 405,
            b"GET / HTTP/1.1\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n": 200,
        }
        for request, expected in raw_requests.items():
            answer = live.raw(request)
            assert status_of(answer) == expected, request[:60]
            assert answer.count(b"HTTP/1.") <= 1, "a body is never taken for a request"
        assert live.status("/") == 200, "still serving"
    assert live.errors.getvalue() == ""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""


def test_a_bug_answers_500_and_prints_one_line(preview_root: Path, monkeypatch) -> None:
    def broken(*args: object) -> httpd.Response:
        raise RuntimeError("a bug\nwith \x1b[31m escapes")

    monkeypatch.setattr(httpd, "file_response", broken)
    with live_server(preview_root) as live:
        assert live.status("/x") == 500
        assert live.status("/__masthead/wait?since=x") == 400, "the rest still answers"
    lines = live.errors.getvalue().splitlines()
    assert lines == [
        "masthead serve: error answering /x: RuntimeError: a bug\\x0awith \\x1b[31m escapes"
    ]


def test_client_errors_are_silent_and_bugs_one_line() -> None:
    errors = io.StringIO()
    server = httpd.PreviewServer("127.0.0.1", 0, errors=errors)
    try:
        for error in (ConnectionResetError(), BrokenPipeError(), TimeoutError(), OSError(107)):
            try:
                raise error
            except OSError:
                server.handle_error(None, ("127.0.0.1", 5))
        assert errors.getvalue() == ""
        try:
            raise KeyError("bug")
        except KeyError:
            server.handle_error(None, ("127.0.0.1", 5))
    finally:
        server.server_close()
    assert errors.getvalue() == (
        "masthead serve: error while answering 127.0.0.1:5: KeyError: 'bug'\n"
    )


def test_idle_connections_are_closed(preview_root: Path) -> None:
    with live_server(preview_root, idle_timeout=0.3) as live:
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            started = time.monotonic()
            assert sock.recv(1) == b"", "a connection that never sends is closed"
            assert time.monotonic() - started < DEADLINE / 2
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            sock.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = read_all(sock)  # the answer, then the close once idle
            assert status_of(answer) == 200 and answer.endswith(b"body{}")
        with socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE) as sock:
            sock.sendall(b"GET / HT")  # half a request line, then nothing
            assert status_of(read_all(sock) or b"HTTP/1.1 000 closed") in (0, 400, 408)


def test_the_idle_timeout_does_not_cut_the_long_poll(preview_root: Path, monkeypatch) -> None:
    monkeypatch.setattr(httpd, "WAIT_SECONDS", 1.0)
    with live_server(preview_root, idle_timeout=0.2) as live:
        server_id = live.server.preview.state.server_id
        started = time.monotonic()
        status, _, body = fetch(
            f"http://127.0.0.1:{live.port}/", f"/__masthead/wait?since=0&server={server_id}"
        )
        assert status == 200 and b'"reload": false' in body
        assert time.monotonic() - started >= 0.9, "it waited the whole poll"


# --- The overlay's content ----------------------------------------------------------------


def test_the_overlay_counts_errors_and_warnings_and_lists_errors_first() -> None:
    problems = (
        Problem("content/a.md", 3, "unknown field 'titel': did you mean 'title'?", "warning"),
        Problem("content/b.md", 4, "front matter is not valid YAML: oops"),
    )
    overlay = httpd.error_overlay(problems)
    assert "The last build failed: 1 error, 1 warning" in overlay
    assert overlay.index("content/b.md:4: error:") < overlay.index("content/a.md:3: warning:")
    errors = overlay.split('<ol class="masthead-errors"', 1)[1].split("</ol>", 1)[0]
    warnings = overlay.split('<ol class="masthead-warnings"', 1)[1].split("</ol>", 1)[0]
    assert "content/b.md" in errors and "content/a.md" not in errors
    assert "content/a.md" in warnings and "content/b.md" not in warnings
    assert 'class="masthead-error" style="' in errors
    assert 'class="masthead-warning" style="' in warnings
    error_style = re.search(r'class="masthead-error" style="([^"]+)"', errors).group(1)
    warning_style = re.search(r'class="masthead-warning" style="([^"]+)"', warnings).group(1)
    assert error_style != warning_style, "errors and warnings must look different"
    only_errors = httpd.error_overlay(problems[1:])
    assert "failed: 1 error</h1>" in only_errors and "masthead-warnings" not in only_errors


def test_the_overlay_shows_the_source_line_and_the_hint(tmp_path: Path) -> None:
    from masthead.preview import overlay

    site = tmp_path / "site"
    write_files(
        site,
        {
            "content/2017/09/first.md": "---\ntitle: First\ndate: 2017-09-23\n"
            "category: World: <Asia>\n---\nBody.\n"
        },
    )
    message = (
        "front matter is not valid YAML: mapping values are not allowed here "
        "(put text that holds ': ' in quotes)"
    )
    problem = Problem("content/2017/09/first.md", 4, message)
    lines = overlay.excerpt(site, problem)
    assert lines == ((3, "date: 2017-09-23"), (4, "category: World: <Asia>"), (5, "---"))
    shown = httpd.error_overlay((problem,), (lines,))
    assert (
        "content/2017/09/first.md:4: error: front matter is not valid YAML: "
        "mapping values are not allowed here</strong>"
    ) in shown
    source = shown.split('<pre class="masthead-source"', 1)[1].split("</pre>", 1)[0]
    assert "4 | category: World: &lt;Asia&gt;" in source
    assert "3 | date: 2017-09-23" in source
    assert re.search(r"font-weight:bold\">4 \| category", source), "the line itself stands out"
    assert "<strong>How to fix:</strong> put text that holds &#x27;: &#x27; in quotes" in shown
    # A parser's own words get the hint for their kind.
    raw = Problem("pyproject.toml", 2, "invalid TOML: Expected '=' (at line 2, column 5)")
    what, hint = overlay.split_hint(raw.message)
    assert what == raw.message and hint.startswith("write key = value")
    assert overlay.split_hint("URL /a/ is claimed by x.md and y.md; give one a slug") == (
        "URL /a/ is claimed by x.md and y.md",
        "give one a slug",
    )


def test_no_excerpt_outside_the_site_without_a_line_or_past_the_end(tmp_path: Path) -> None:
    from masthead.preview import overlay

    site = tmp_path / "site"
    write_files(site, {"pyproject.toml": "[tool.masthead]\n", "../secret.txt": "secret\n"})
    assert overlay.excerpt(site, Problem("../secret.txt", 1, "x")) == ()
    assert overlay.excerpt(site, Problem("pyproject.toml", None, "x")) == ()
    assert overlay.excerpt(site, Problem("pyproject.toml", 9, "x")) == ()
    assert overlay.excerpt(site, Problem("missing.md", 1, "x")) == ()
    assert overlay.excerpt(site, Problem("pyproject.toml", 1, "x")) == ((1, "[tool.masthead]"),)


def test_a_failed_build_publishes_the_excerpts(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_files(
        site,
        {
            "pyproject.toml": TINY_PYPROJECT,
            "content/2017/09/first.md": "---\ntitle: First\ndate: 2017-09-23\n"
            "category: World: Asia\nsource: Wire\n---\nBody.\n",
        },
    )
    preview = watch.Preview(site, BuildOptions(output=tmp_path / "out", use_cache=False))
    outcome = preview.rebuild()
    assert outcome.errors
    state = preview.state
    assert len(state.excerpts) == len(state.problems)
    assert (4, "category: World: Asia") in state.excerpts[0]
