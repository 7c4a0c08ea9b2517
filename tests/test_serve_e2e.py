"""``masthead serve`` end to end, in a subprocess on a free port (slow: each test starts a
server, and most wait for rebuilds).

The tests build the tiny site (sitegen.tiny_site) in ``tmp_path``, start the server with
``--port 0 --no-open``, and stop it with SIGINT (what Ctrl-C sends), expecting exit code 0.
Every wait polls with a deadline; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serving import DEADLINE, FIRST, ServeProcess, fetch, page_with, poll, running, text_of
from sitegen import REPO, TINY_PYPROJECT, story, tiny_site

pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return tiny_site(tmp_path / "site")


def test_serving_the_site(site: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("top secret")
    with running("--site", str(site)) as server:
        url = server.url
        assert re.search(r"built: 3 articles, \d+ pages", server.output())
        status, home = text_of(url, "/")
        assert status == 200 and "First story" in home and "Third story" in home
        assert f'href="{url}"' in home or url in home, "base_url is the local address"
        status, headers_, body = fetch(url, FIRST)
        assert status == 200 and headers_["Content-Type"] == "text/html; charset=utf-8"
        assert b"Original body." in body and b"data-masthead-reload" in body
        built = site / ".masthead-cache" / "preview" / FIRST.strip("/") / "index.html"
        assert b"data-masthead-reload" not in built.read_bytes(), "injected when served only"
        assert not (site / "output").exists(), "the preview never writes output/"

        status, headers_, body = fetch(url, FIRST, "HEAD")
        assert status == 200 and body == b"" and int(headers_["Content-Length"]) > 100
        etag = headers_["ETag"]
        assert fetch(url, FIRST, If_None_Match=etag)[0] == 304
        status, css_headers, _ = fetch(url, "/static/style.css")
        assert status == 200 and css_headers["Content-Type"] == "text/css; charset=utf-8"
        modified = css_headers["Last-Modified"]
        assert fetch(url, "/static/style.css", If_Modified_Since=modified)[0] == 304
        feeds = [p.name for p in (site / ".masthead-cache" / "preview").glob("*.xml")]
        for name in feeds:
            status, feed_headers, _ = fetch(url, "/" + name)
            assert status == 200 and feed_headers["Content-Type"].startswith("application/xml")

        status, missing = text_of(url, "/no/such/page/")
        assert status == 404 and "data-masthead-reload" in missing
        site_404 = (site / ".masthead-cache" / "preview" / "404.html").read_text()
        assert missing.startswith(site_404.split("</body>")[0][:200])
        status, redirect_headers, _ = fetch(url, FIRST.rstrip("/"))
        assert status == 302 and redirect_headers["Location"] == FIRST

        for target in (
            "/../secret.txt",
            "/../../secret.txt",
            "/%2e%2e/%2e%2e/secret.txt",
            "/..%2f..%2fsecret.txt",
            "/%2e%2e%5c%2e%2e%5csecret.txt",
            "//" + str(tmp_path / "secret.txt").lstrip("/"),
            "/" + str(tmp_path / "secret.txt"),
            "/../../pyproject.toml",
            "/.masthead-manifest.json",
            "/index.html%00.css",
        ):
            status, _, body = fetch(url, target)
            assert status in (400, 404), target
            assert b"top secret" not in body and b"[tool.masthead]" not in body, target

        with ThreadPoolExecutor(max_workers=16) as pool:
            targets = [FIRST, "/", "/static/style.css", "/no/such/"] * 10
            statuses = list(pool.map(lambda t: fetch(url, t)[0], targets))
        assert statuses == [200, 200, 200, 404] * 10


def test_edit_break_fix_create_rename_delete(site: Path) -> None:
    article = site / "content" / "2017" / "09" / "first.md"
    with running("--site", str(site)) as server:
        url = server.url

        article.write_text(story("First story", "2017-09-23", body="Edited body."))
        poll(lambda: "Edited body." in text_of(url, FIRST)[1], "the edited article")
        server.wait_for(r"content/2017/09/first\.md: rebuilt: 3 articles")

        seen = server.line_count()
        article.write_text(
            "---\ntitle: First story\ndate: 2017-09-23\ncategory: World: Asia\n---\n"
        )
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "the error overlay")
        assert re.search(
            r"content/2017/09/first\.md:4: error: front matter is not valid YAML", page
        )
        assert "Edited body." in page, "the last good page is still underneath"
        server.wait_for(r"^content/2017/09/first\.md:4: error: front matter", after=seen)
        server.wait_for(r"1 error; still serving the last good pages", after=seen)
        status, body = text_of(url, "/static/style.css")
        assert status == 200 and "masthead-build-errors" not in body

        article.write_text(story("First story", "2017-09-23", body="Fixed body."))
        poll(
            lambda: (
                "Fixed body." in (t := text_of(url, FIRST)[1]) and "masthead-build-errors" not in t
            ),
            "the page back without errors",
        )

        new = site / "content" / "2018" / "02" / "fourth.md"
        new.parent.mkdir(parents=True)
        new.write_text(story("Fourth story", "2018-02-01"))
        poll(lambda: text_of(url, "/2018/02/01/fourth-story/")[0] == 200, "the new article")
        assert "Fourth story" in text_of(url, "/")[1]

        new.rename(new.with_name("renamed.md"))
        new.with_name("renamed.md").write_text(story("Fourth story moved", "2018-02-03"))
        poll(lambda: text_of(url, "/2018/02/03/fourth-story-moved/")[0] == 200, "the moved article")
        assert text_of(url, "/2018/02/01/fourth-story/")[0] == 404

        article.unlink()
        poll(lambda: text_of(url, FIRST)[0] == 404, "a 404 for the deleted article")
        home = text_of(url, "/")[1]
        assert "First story" not in home and "Second story" in home


def test_template_settings_and_duplicate_url_errors_show_and_clear(site: Path) -> None:
    theme_article = (REPO / "templates" / "article.html").read_text(encoding="utf-8")
    with running("--site", str(site)) as server:
        url = server.url

        # A templates/ folder appearing after the start is watched from then on.
        own = site / "templates" / "article.html"
        own.parent.mkdir()
        own.write_text(theme_article.replace("<h1>", "<h1 class=own>", 1), encoding="utf-8")
        poll(lambda: page_with(url, FIRST, "<h1 class=own>"), "the site's own template")
        own.write_text("{% extends 'base.html' %}\n{% block content %}\n{{ oops }\n", "utf-8")
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "a template error")
        assert "templates/article.html:3: error: template syntax error" in page
        own.unlink()
        poll(lambda: not page_with(url, FIRST, "masthead-build-errors"), "the theme back")

        twin = site / "content" / "2017" / "09" / "twin.md"
        twin.write_text(story("First story", "2017-09-23"), encoding="utf-8")
        page = poll(lambda: page_with(url, "/", "masthead-build-errors"), "a duplicate URL error")
        assert "URL /2017/09/23/first-story/ is claimed by content/2017/09/first.md" in page
        twin.unlink()
        poll(lambda: not page_with(url, "/", "masthead-build-errors"), "the URL error gone")

        pyproject = site / "pyproject.toml"
        pyproject.write_text(TINY_PYPROJECT + 'title = "unclosed\n', encoding="utf-8")
        page = poll(lambda: page_with(url, FIRST, "masthead-build-errors"), "a settings error")
        assert re.search(r"pyproject\.toml:\d+: error: invalid TOML", page)
        pyproject.write_text(TINY_PYPROJECT.replace("Serve Test", "Renamed Site"), encoding="utf-8")
        page = poll(lambda: page_with(url, FIRST, "Renamed Site"), "the new site title")
        assert "masthead-build-errors" not in page


def test_a_burst_of_files_is_one_rebuild(site: Path) -> None:
    with running("--site", str(site)) as server:
        seen = server.line_count()
        folder = site / "content" / "2019" / "05"
        folder.mkdir(parents=True)
        for n in range(100):  # like a `git checkout` bringing in a hundred articles
            (folder / f"burst-{n}.md").write_text(story(f"Burst {n}", "2019-05-01"), "utf-8")
        poll(lambda: text_of(server.url, "/2019/05/01/burst-99/")[0] == 200, "the last article")
        server.wait_for(r"rebuilt: 103 articles", after=seen)
        with server.lock:
            rebuilds = [line for line in server.lines[seen:] if ": rebuilt: " in line]
    counts = [
        1 + int(m[1]) if (m := re.search(r" and (\d+) more: rebuilt", line)) else 1
        for line in rebuilds
    ]
    assert len(rebuilds) <= 3 and sum(counts) >= 100, rebuilds


def test_pages_reload_after_a_rebuild(site: Path) -> None:
    with running("--site", str(site)) as server:
        url = server.url
        page = text_of(url, FIRST)[1]
        since, server_id = re.search(r'since = (\d+), server = "(\w+)"', page).groups()
        results: queue.Queue[bytes] = queue.Queue()
        waiter = threading.Thread(
            target=lambda: results.put(
                fetch(url, f"/__masthead/wait?since={since}&server={server_id}")[2]
            )
        )
        waiter.start()
        (site / "content" / "2017" / "09" / "second.md").write_text(
            story("Second, edited", "2017-09-24")
        )
        answer = results.get(timeout=DEADLINE)
        waiter.join()
        assert b'"reload": true' in answer


def test_drafts_and_future_only_with_the_flags(site: Path) -> None:
    draft = site / "content" / "2017" / "09" / "draft.md"
    draft.write_text(
        story("Draft story", "2017-09-25").replace("source: Wire", "source: Wire\ndraft: true")
    )
    future = site / "content" / "2099" / "01" / "later.md"
    future.parent.mkdir(parents=True)
    future.write_text(story("Future story", "2099-01-01"))
    with running("--site", str(site)) as server:
        home = text_of(server.url, "/")[1]
        assert "Draft story" not in home and "Future story" not in home
    with running("--site", str(site), "--drafts", "--future") as server:
        home = text_of(server.url, "/")[1]
        assert "Draft story" in home and "Future story" in home


def test_a_busy_port_is_a_clear_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServeProcess("--site", str(site), "--port", str(port), "--no-open")
        code = server.process.wait(timeout=DEADLINE)
        server.stop()
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in server.output()
    assert "--port 0" in server.output()
    assert "Traceback" not in server.output()


def test_binding_beyond_this_machine_warns(site: Path) -> None:
    with running("--site", str(site), "--host", "0.0.0.0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert text_of(server.url, FIRST)[0] == 200
    assert "warning: listening on 0.0.0.0, not only this machine" in server.output()
    for host in ("127.0.0.2", "localhost"):  # loopback: no warning
        with running("--site", str(site), "--host", host) as server:
            assert text_of(server.url, FIRST)[0] == 200
        assert "warning" not in server.output(), host


def test_build_py_serve(site: Path) -> None:
    with running("--site", str(site), script=str(REPO / "build.py")) as server:
        assert text_of(server.url, FIRST)[0] == 200
    assert "masthead serve: stopped" in server.output()


def test_the_latency_bench_runs(site: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "serve_latency.py"), str(site), "--edits", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"median save-to-served latency: \d+\.\d+ s", result.stdout), result.stdout
