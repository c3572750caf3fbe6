"""The one HTML policy for email bodies: what mail clients render, nothing that runs or spies.

Bodies are cleaned with it when they are saved, so the approved content hash covers the
exact bytes Leadterra receives, and the preview shows those same bytes.

- Kept: ordinary formatting, tables, headings, lists; links with an absolute http, https
  or mailto URL; images whose src is https.
- Inline `style` is kept, filtered: mail clients honour inline style only (most drop style
  blocks), and with an allow-list of layout and typography properties and values made of
  plain words, numbers, colours and rgb() there is no way to fetch a resource (url()),
  run code (expression(), behavior) or lay content over the page (position, z-index).
- Dropped: script, style blocks, forms and their fields, iframe/object/embed, every on*
  handler, javascript:/data: and relative URLs, and any <img> without an https src
  (an http: image is a tracking pixel in clear text).
- Merge tokens ({{name}}, {{name|fallback}}) pass through untouched, in text and in
  attribute values (a test holds this); a fallback is HTML like the text around it.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "del", "div", "dl",
    "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
CELL = {"align", "valign", "width", "height", "bgcolor", "colspan", "rowspan"}
ATTRIBUTES = {
    "*": {"style", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "border", "align"},
    "table": {"width", "border", "cellpadding", "cellspacing", "align", "bgcolor", "role"},
    "td": CELL,
    "th": CELL,
    "tr": {"align", "valign", "bgcolor"},
    "col": {"width", "span"},
    "ol": {"start"},
}
# Dropped with everything inside them (other unknown tags lose the tag and keep the text).
CONTENT_DROPPED = {"script", "style", "template", "textarea", "select", "title", "noscript", "iframe", "object"}
STYLE_PROPERTIES = {
    "color", "background-color", "font-family", "font-size", "font-style", "font-weight", "line-height",
    "text-align", "text-decoration", "text-transform", "letter-spacing", "vertical-align", "white-space",
    "width", "max-width", "min-width", "height", "padding", "padding-top", "padding-right", "padding-bottom",
    "padding-left", "margin", "margin-top", "margin-right", "margin-bottom", "margin-left", "border",
    "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-width", "border-style",
    "border-collapse", "border-radius",
}  # fmt: skip
_RGB = re.compile(r"rgba?\(\s*[\d.%]+\s*(,\s*[\d.%]+\s*){2,3}\)", re.I)
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9#%.,\s'\"!-]+$")
_LINK_SCHEMES = ("https://", "http://", "mailto:")
_IMG = re.compile(r"<img\b(?:[^>\"]|\"[^\"]*\")*>")  # nh3 writes every attribute value in double quotes


def _style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        prop, colon, val = declaration.partition(":")
        prop, val = prop.strip().lower(), val.strip()
        if colon and prop in STYLE_PROPERTIES and _PLAIN_VALUE.match(_RGB.sub("0", val) or "!"):
            kept.append(f"{prop}:{val}")
    return ";".join(kept) or None


def _attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "style":
        return _style(value)
    if tag == "a" and attr == "href":
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    if tag == "img" and attr == "src":
        return value if value.strip().lower().startswith("https://") else None
    return value


def _img_with_src(match: re.Match) -> str:
    return match.group(0) if re.search(r"\ssrc=\"", match.group(0)) else ""


def sanitize(html: str) -> str:
    """`html` under the email policy; idempotent, so a saved body is its own sanitised form."""
    clean = nh3.clean(
        html or "",
        tags=TAGS,
        clean_content_tags=CONTENT_DROPPED,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return _IMG.sub(_img_with_src, clean)


class _Inventory(HTMLParser):
    """Counts tags and (tag, attribute) pairs, to say what a clean took away."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        self.found[f"<{tag}>"] += 1
        for name, value in attrs:
            if name == "href" and tag == "a":
                self.found[f"{name} “{(value or '').strip()[:40]}”"] += 1
            elif name == "src" and tag == "img":
                self.found[f"image “{(value or '').strip()[:40]}”"] += 1
            elif name == "style" and tag in TAGS:
                for declaration in (value or "").split(";"):
                    prop, _, val = declaration.partition(":")
                    if prop.strip():
                        self.found[f"style “{prop.strip().lower()}:{' '.join(val.split())[:40]}”"] += 1
            elif tag in TAGS and (name.startswith("on") or name in {"class", "id"}):
                self.found[f"{name}="] += 1  # attributes of a dropped tag go with it

    handle_startendtag = handle_starttag


def _inventory(html: str) -> Counter:
    parser = _Inventory()
    parser.feed(html or "")
    parser.close()
    return parser.found


def removed_parts(html: str) -> list[str]:
    """What sanitize() takes out of `html`, briefly (tags, handlers, links, images, style
    declarations); [] if nothing. Markup that is only rewritten (quotes, entities) counts as kept."""
    gone = _inventory(html) - _inventory(sanitize(html))
    return sorted(gone)
