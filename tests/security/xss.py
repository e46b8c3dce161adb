"""Shared pieces of the stored-XSS and injection tests (tests/security/test_xss_*.py).

``PAYLOADS`` are the strings an attacker types into a text field; ``inert_html_problems``
parses a page with html.parser and lists every place where one of them came back live: a
script element or an event-handler attribute carrying ``alert``, a ``javascript:`` URL, or
the raw script payload in the markup. The app itself never writes ``alert`` anywhere, so a
hit always comes from data.
"""

from __future__ import annotations

import base64
import io
import re
import zlib
from html.parser import HTMLParser

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEMPLATE = "{{7*7}}"
TEXTAREA = "</textarea><svg onload=alert(1)>"
SPREADSHEET = ('=HYPERLINK("http://evil","x")', "=1+1", "@SUM(1)", "+1", "-1")
REPORTLAB = ("<font size=100>", "<para>", "<b>unbalanced")

PAYLOADS = (SCRIPT, IMG, JS_URL, TEMPLATE, TEXTAREA, *SPREADSHEET, *REPORTLAB)
# One string holding every HTML payload, for fields that take a sentence.
COMBINED = f"X{SCRIPT}{IMG}{TEXTAREA}{TEMPLATE}<b>"
# Payloads that fit short fields (names, titles), tried in order of danger.
SHORT = (SCRIPT, IMG, TEXTAREA, "<svg onload=alert(1)>", "<b onclick=alert(1)>")

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "xlink:href", "poster"})
# Strings that must never appear as markup in a page that shows a payload.
RAW_MARKERS = (SCRIPT, "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>")


def payload_for(max_length: int | None, *, index: int = 0) -> str | None:
    """A payload that fits ``max_length`` (the whole ``COMBINED`` string if it fits)."""
    if max_length is None or max_length >= len(COMBINED):
        return COMBINED
    fitting = [p for p in SHORT if len(p) <= max_length]
    return fitting[index % len(fitting)] if fitting else None


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._in_json = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag == "script":
            kind = (dict(attrs).get("type") or "").lower()
            self._in_json = kind in ("application/json", "application/ld+json")
            self._in_script = not self._in_json

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = self._in_json = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.problems.append(f"script element runs data: {data.strip()[:80]!r}")
        # json_script data is inert only while it cannot close its element: < escaped.
        if self._in_json and "<" in data:
            self.problems.append(f"unescaped < in a JSON script element: {data.strip()[:80]!r}")

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and ("alert" in value or tag in ("img", "svg")):
                self.problems.append(f"<{tag} {name}={value[:60]!r}> event handler from data")
            compact = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in URL_ATTRIBUTES and compact.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value[:60]!r}> script URL")
            if name == "style" and "expression(" in compact:
                self.problems.append(f"<{tag} style={value[:60]!r}> CSS expression")


def inert_html_problems(html: str) -> list[str]:
    """Every way ``html`` runs a payload; an empty list means the page is inert."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    problems = inspector.problems
    problems += [f"raw payload in markup: {m!r}" for m in RAW_MARKERS if m in html]
    return problems


def assert_inert_html(html: str, *, where: str = "page") -> None:
    problems = inert_html_problems(html)
    assert not problems, f"{where}: " + "; ".join(problems)


def xlsx_problems(content: bytes) -> list[str]:
    """Formula cells in an .xlsx (none may come from data) and text cells a spreadsheet would
    evaluate without the quote prefix."""
    from openpyxl import load_workbook

    problems = []
    workbook = load_workbook(io.BytesIO(content))
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}")
                elif (
                    isinstance(cell.value, str)
                    and cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    and not cell.quotePrefix
                ):
                    problems.append(f"{ws.title}!{cell.coordinate} would evaluate: {cell.value!r}")
    return problems


def xlsx_strings(content: bytes) -> list[str]:
    """Every text cell of an .xlsx."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    return [
        cell.value
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def pdf_text(content: bytes) -> str:
    """The text-showing operators of every content stream of a PDF (inflated), as latin-1.

    Enough to see whether a payload was drawn as text: reportlab writes plain strings
    ``(...) Tj`` for Latin fonts and hex glyph codes for the CID font.
    """
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\s*endstream", content, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):  # reportlab's ASCII85 layer over Flate
            data = base64.a85decode(data[:-2].replace(b"\n", b""))
        try:
            data = zlib.decompress(data)
        except zlib.error:
            pass
        chunks.append(_shown_text(data))
    return "\n".join(chunks)


def _unescape_pdf_string(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == 0x5C and i + 1 < len(raw):  # backslash
            nxt = raw[i + 1 : i + 4]
            octal = re.match(rb"[0-7]{1,3}", nxt)
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9}.get(raw[i + 1], raw[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


def _shown_text(stream: bytes) -> str:
    """The strings of ``(...) Tj`` operators run together twice: read as latin-1 (Latin
    fonts) and as UTF-16 (reportlab's CID font writes UCS-2)."""
    raws = [
        _unescape_pdf_string(match.group(1))
        for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S)
    ]
    latin = "".join(raw.decode("latin-1") for raw in raws)
    wide = "".join(raw.decode("utf-16-be", errors="replace") for raw in raws if len(raw) % 2 == 0)
    return latin + "\n" + wide
