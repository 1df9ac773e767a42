"""The demo's pages: the PR body and every comment rendered with cmark-gfm (GitHub's renderer), one HTML file
each, the committed images they link copied beside them, and an index.

`render_github_html` is what GitHub does with a comment's Markdown (GitHub-flavoured extensions; raw HTML kept,
GitHub then sanitises it). cmarkgfm is a development dependency: `make setup` installs it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 960px; margin: 2em auto;
  color: #1f2328; }}
.meta {{ color: #59636e; border-bottom: 1px solid #d1d9e0; padding-bottom: .5em; }}
table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ border: 1px solid #d1d9e0; padding: 4px 10px; }}
code, pre {{ background: #f6f8fa; border-radius: 4px; }} pre {{ padding: 1em; overflow: auto; }}
img {{ max-width: 100%; }} details {{ margin: 1em 0; }} summary {{ cursor: pointer; font-weight: 600; }}
blockquote {{ color: #59636e; border-left: 4px solid #d1d9e0; margin: 0; padding: 0 1em; }}
</style></head><body>
<p class="meta">{meta}</p>
{body}
<p class="meta"><a href="index.html">all comments</a></p>
</body></html>
"""
BLOB = re.compile(r'src="[^"]*/blob/([0-9a-f]{40})/([^"?]+)\?raw=true"')


def render_github_html(markdown: str) -> str:
    """`markdown` as GitHub renders a comment or a PR body (before its HTML sanitiser)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def _copy_images(body: str, out: Path, github: Any, repo: str) -> str:
    """Images linked at a commit of the (fake) GitHub, copied under `out/files/` and linked there."""

    def local(match: re.Match[str]) -> str:
        sha, path = match.group(1), match.group(2)
        content = github.files(repo, sha).get(path)
        if content is None:
            return match.group(0)
        target = out / "files" / sha[:12] / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return f'src="{target.relative_to(out).as_posix()}"'

    return BLOB.sub(local, body)


def write_pages(out: Path, github: Any, repo: str) -> list[Path]:
    """One page per PR body and comment of `repo` on the fake GitHub, and `index.html`; returns the pages."""
    out.mkdir(parents=True, exist_ok=True)
    documents: list[tuple[str, str, str]] = []
    for pull in github.pulls(repo):
        documents.append((f"pr-{pull.number}-body", f"PR #{pull.number}: {pull.title}", pull.body))
    for comment in sorted(github.comments(repo), key=lambda c: c.id):
        meta = f"@{comment.user} on #{comment.issue_number}, comment {comment.id}"
        documents.append((f"comment-{comment.id}", meta, comment.body))
    pages, links = [], []
    for name, meta, markdown in documents:
        body = _copy_images(render_github_html(markdown), out, github, repo)
        page = out / f"{name}.html"
        page.write_text(PAGE.format(title=html.escape(meta), meta=html.escape(meta), body=body), encoding="utf-8")
        pages.append(page)
        links.append(f'<li><a href="{page.name}">{html.escape(meta)}</a></li>')
    index = PAGE.format(title="ML Intern demo", meta=f"ML Intern demo: {repo}", body="<ul>" + "".join(links) + "</ul>")
    (out / "index.html").write_text(index, encoding="utf-8")
    return pages
