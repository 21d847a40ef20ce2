"""What the story editor's libraries (django-content-editor, django-prose-editor) cost on the admin page, in a real
browser: script bytes (as served and gzipped), and the change form's load time against an image's plain form
(a ratio within one run: the machine is shared). Against a running site with the demo content (`make run`).

    make bench-editor            # or: python -m bench.editor_cost --base http://127.0.0.1:8000
"""

import argparse
import gzip
import statistics
import sys
import urllib.request

from playwright.sync_api import sync_playwright

TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
    return {html: n.responseEnd, load: n.loadEventEnd}; }"""
RESOURCES = "() => performance.getEntriesByType('resource').map(r => [r.name, r.decodedBodySize])"
EDITOR_FILES = ("django_prose_editor/", "content_editor/")


def gzipped(url: str) -> int:
    with urllib.request.urlopen(url) as response:  # the site under test, on loopback
        return len(gzip.compress(response.read(), 9))


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="editor")
    parser.add_argument("--password", default="newsroom-editor")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--browser", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.browser)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{args.base}/admin/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("input[type=submit]")
        page.goto(f"{args.base}/admin/articles/article/")
        story = page.locator("#result_list tbody tr th a").first.get_attribute("href")
        page.goto(f"{args.base}/admin/articles/image/")
        image = page.locator("#result_list tbody tr th a").first.get_attribute("href")
        figures = {}
        for name, path in [("story change form", story), ("image change form", image)]:
            runs = []
            for _ in range(args.runs):
                page.goto(args.base + path, wait_until="load")
                runs.append(page.evaluate(TIMING))
            resources = page.evaluate(RESOURCES)
            editor = [(url, size) for url, size in resources if any(part in url for part in EDITOR_FILES)]
            figures[name] = {
                "html_ms": statistics.median(run["html"] for run in runs[1:]),
                "load_ms": statistics.median(run["load"] for run in runs[1:]),
                "scripts": sum(size for url, size in resources if url.endswith(".js")),
                "editor_bytes": sum(size for _, size in editor),
                "editor_gzip": sum(gzipped(url) for url, _ in editor),
                "editor_files": len(editor),
            }
        browser.close()
    for name, f in figures.items():
        say(
            f"{name}: HTML {f['html_ms']:.0f} ms, loaded {f['load_ms']:.0f} ms (median of {args.runs - 1}); "
            f"all scripts {f['scripts'] / 1024:.0f} KiB; the editor libraries' files (scripts, styles, icon fonts) "
            f"{f['editor_bytes'] / 1024:.0f} KiB "
            f"in {f['editor_files']} files ({f['editor_gzip'] / 1024:.0f} KiB gzipped)"
        )
    story, plain = figures["story change form"], figures["image change form"]
    say(f"story form load ÷ image form load: {story['load_ms'] / plain['load_ms']:.1f}x")
    say(
        f"story form time after its HTML: {story['load_ms'] - story['html_ms']:.0f} ms "
        f"(image form: {plain['load_ms'] - plain['html_ms']:.0f} ms)"
    )


if __name__ == "__main__":
    main()
