"""What GitHub makes of a Markdown document the bot posts or commits, checked: rendered with cmark-gfm (GitHub's
own renderer, GitHub-flavoured extensions) and read back as HTML.

`problems(markdown, ...)` lists what is wrong (empty when nothing is):
- heading levels nest (no jump of more than one level down), and no heading repeats the one before it;
- every table has a header row and a constant column count (a `|` that breaks a row shows here), and every
  block of `|` lines outside code is rendered as a table;
- every image points at a file that exists (`files`: the commit's paths, or a callable for absolute URLs);
- no raw HTML other than the tags the templates use, no `@` mention and no hidden `<!-- intern-bot:... -->`
  marker other than those the bot put there (`markers`), none of them inside untrusted text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

ALLOWED_RAW_TAGS = {"details", "summary"}
MARKDOWN_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "table", "thead",
    "tbody", "tr", "th", "td", "img", "blockquote", "hr", "br", "del", "input", "sup", "section",
}  # fmt: skip
MENTION = re.compile(r"(?<![\w`/])@[A-Za-z0-9][\w-]*(/[\w-]+)?")
MARKER = re.compile(r"<!--\s*intern-bot:[^>]*-->")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def render(markdown: str) -> str:
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.images: list[str] = []
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.text_outside_code: list[str] = []
        self.tables: list[list[int]] = []
        self._heading: tuple[int, list[str]] | None = None
        self._code = 0
        self._row: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = (int(tag[1]), [])
        elif tag in ("code", "pre"):
            self._code += 1
        elif tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = 0
        elif tag in ("td", "th") and self._row is not None:
            self._row += 1

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading[0], "".join(self._heading[1]).strip()))
            self._heading = None
        elif tag in ("code", "pre"):
            self._code -= 1
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading[1].append(data)
        if not self._code:
            self.text_outside_code.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _table_blocks(markdown: str) -> list[list[str]]:
    """Blocks of consecutive lines starting with `|`, outside fenced code."""
    blocks: list[list[str]] = []
    fence, current = "", []
    for line in [*markdown.splitlines(), ""]:
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            continue
        if match:
            fence = match.group(1)
        if line.lstrip().startswith("|") and not fence:
            current.append(line.strip())
            continue
        if current:
            blocks.append(current)
            current = []
    return blocks


def cells(row: str) -> int:
    """Cells of a GFM table row: split on `|` not escaped by a backslash (also inside code spans)."""
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return len(re.split(r"(?<!\\)\|", inner))


def problems(
    markdown: str,
    *,
    files: Iterable[str] | Callable[[str], bool] = (),
    markers: Iterable[str] = (),
    mentions: Iterable[str] = (),
    top_level: int | None = None,
) -> list[str]:
    """What is wrong with `markdown` as GitHub renders it; `markers` and `mentions` are the ones the bot put
    there on purpose, `top_level` the highest heading level the document may use."""
    found: list[str] = []
    html = render(markdown)
    reader = _Reader()
    reader.feed(html)
    previous: tuple[int, str] | None = None
    for level, text in reader.headings:
        if top_level is not None and level < top_level:
            found.append(f"heading {text!r} at level {level}, above the document's level {top_level}")
        if previous is not None and level > previous[0] + 1:
            found.append(f"heading {text!r} (h{level}) jumps from h{previous[0]} ({previous[1]!r})")
        if previous is not None and previous[1].lower() == text.lower():
            found.append(f"heading {text!r} twice in a row")
        previous = (level, text)
    blocks = _table_blocks(markdown)
    for block in blocks:
        if len(block) < 2 or not re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", block[1]):
            found.append(f"table without a header row: {block[0][:80]!r}")
            continue
        widths = {cells(row) for row in block}
        if len(widths) != 1:
            found.append(f"table with {sorted(widths)} columns: {block[0][:80]!r}")
    if len(reader.tables) != len(blocks):
        found.append(f"{len(blocks)} blocks of `|` lines but {len(reader.tables)} tables rendered")
    exists = files if callable(files) else set(files).__contains__
    for src in reader.images:
        if not exists(src):
            found.append(f"image {src!r} points at no file of the commit")
    raw = {tag for tag in reader.tags if tag not in MARKDOWN_TAGS}
    if raw - ALLOWED_RAW_TAGS:
        found.append(f"raw HTML tags {sorted(raw - ALLOWED_RAW_TAGS)}")
    if re.search(r"<img src=\"?x|<b>", html):
        found.append("raw HTML from untrusted text")
    expected_markers = {marker.strip() for marker in markers}
    for comment in reader.comments:
        if f"<!--{comment}-->".replace(" ", "") not in {m.replace(" ", "") for m in expected_markers}:
            found.append(f"unexpected hidden comment <!--{comment[:60]}-->")
    text = "".join(reader.text_outside_code)
    allowed = {mention.lstrip("@").lower() for mention in mentions}
    for match in MENTION.finditer(text):
        if match.group(0).lstrip("@").lower() not in allowed:
            found.append(f"mention {match.group(0)!r} outside code")
    return found
