"""Check the built site offline: every internal link and image resolves.

``python docs/check_links.py docs/_build/html`` reads every HTML page of the
built site and checks each ``href`` and ``src`` that points inside it: the file
exists, and a ``#fragment`` names an ``id`` of the page it points to. Links to
other sites are not followed (the build has no network); ``data:`` images are
inline. Prints each broken link with its page and exits 1 when there is one.
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    """The ids of a page and the links and images it points to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(name):
                self.ids.add(attrs[name])
        for name in ("href", "src"):
            if attrs.get(name) and tag in ("a", "img", "link", "script", "source"):
                self.links.append((tag, attrs[name]))


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def _is_external(url):
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith(("//", "mailto:"))


def broken_links(root):
    """``(page, link, reason)`` for each internal link or image that is broken."""
    root = Path(root).resolve()
    cache, broken = {}, []
    for page_path in sorted(root.rglob("*.html")):
        if "_static" in page_path.relative_to(root).parts:
            continue  # the theme's templates, not pages of the site
        page = _parse(page_path, cache)
        for _tag, url in page.links:
            if _is_external(url) or url.startswith(("data:", "javascript:")):
                continue
            parts = urlsplit(url)
            target = page_path
            if parts.path:
                target = (page_path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            if not target.exists():
                broken.append((page_path.relative_to(root), url, "no such file"))
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in _parse(target, cache).ids:
                    broken.append((page_path.relative_to(root), url, "no such anchor"))
    return broken


def main(argv):
    root = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    if not (root / "index.html").exists():
        print(f"{root} holds no built site (index.html is missing)")
        return 1
    broken = broken_links(root)
    for page, url, reason in broken:
        print(f"{page}: {url}: {reason}")
    n_pages = sum(1 for _ in root.rglob("*.html"))
    print(f"{n_pages} pages checked, {len(broken)} broken internal link(s)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
