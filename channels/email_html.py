"""HTML-only mail made readable: paragraphs stay paragraphs, inline markup stays inline.

Many phones and webmail clients send HTML with no text/plain part. Flattening it with one
separator either glues paragraphs together or breaks a sentence at every <b>, and both hurt
triage and the staff view. This renderer knows block from inline elements, keeps list items
and table cells apart, and writes <blockquote> as `>` lines so the quote stripper can recognise
quoted history the same way in HTML and plain mail.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

_SKIP = {"script", "style", "head", "title", "meta", "link", "noscript", "template", "svg",
         "object", "iframe"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "form",
          "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "table", "tbody",
          "thead", "tfoot", "tr", "center", "address", "figure", "figcaption", "fieldset",
          "body", "html", "hr"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
_MAX_DEPTH = 200


def _break(out: list[str], blank: bool = False) -> None:
    """End the current line (and leave a blank one for paragraphs), never piling them up."""
    tail = "".join(out[-3:])
    stripped = tail.rstrip(" ")
    needed = "\n\n" if blank else "\n"
    if not out or stripped.endswith(needed):
        return
    out.append("\n" if stripped.endswith("\n") else needed)


def _render(node: Tag, out: list[str], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:  # pathological nesting: keep the words, lose the layout
        out.append(node.get_text(" "))
        return
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.append(re.sub(r"\s+", " ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        name = (child.name or "").lower()
        if name in _SKIP:
            continue
        if name == "br":
            out.append("\n")
        elif name == "blockquote":
            inner: list[str] = []
            _render(child, inner, depth + 1)
            text = _tidy("".join(inner))
            out.append("\n" + "\n".join("> " + line if line else ">"
                                        for line in text.split("\n")) + "\n")
        elif name == "pre":
            out.append("\n" + child.get_text() + "\n")
        elif name == "li":
            _break(out)
            out.append("- ")
            _render(child, out, depth + 1)
            _break(out)
        elif name in ("td", "th"):
            _render(child, out, depth + 1)
            out.append("  ")
        elif name == "img":
            alt = str(child.get("alt") or "").strip()
            if alt:
                out.append(f"[{alt}]")
        elif name in _PARAGRAPH:
            _break(out, blank=True)
            _render(child, out, depth + 1)
            _break(out, blank=True)
        elif name in _BLOCK:
            _break(out)
            _render(child, out, depth + 1)
            _break(out)
        else:
            _render(child, out, depth + 1)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\xa0\u200b]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Readable plain text for an HTML body; never raises on broken markup."""
    try:
        soup = BeautifulSoup(html, "html.parser")
        out: list[str] = []
        _render(soup, out)
        return _tidy("".join(out))
    except Exception:  # hopelessly broken markup: strip tags crudely rather than lose words
        return _tidy(re.sub(r"<[^>]*>", " ", html))
