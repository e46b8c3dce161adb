"""The committed message catalogues: complete, compiled, and actually used by the pages.

The .po is read with a small parser of our own (standard library only), so the project needs
no extra dependency to check its catalogues.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ZH_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
ZH_PO = ZH_DIR / "django.po"
ZH_MO = ZH_DIR / "django.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|%[sd]|\{\w*\}")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # a singular entry uses index 0
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""); obsolete "#~" entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # (attribute, plural index)
    flags: set[str] = set()

    def finish() -> None:
        nonlocal entry
        if entry is not None:
            entries.append(entry)
        entry = None

    def append(text: str) -> None:
        name, index = target
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            # A comment after a msgstr starts the next entry.
            if target and target[0] == "msgstr":
                finish()
                target = None
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: string outside an entry"
            append(ast.literal_eval(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and target and target[0] == "msgstr":
            finish()
        if entry is None:
            entry, flags = Entry(flags=flags, line=number), set()
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match.group(1)))
        elif keyword == "msgstr":
            target = ("msgstr", 0)
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            target = (keyword, None)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
        # Start the field even when empty, so msgid "" and msgstr "" are recorded.
        name, index = target
        if name == "msgstr":
            entry.msgstr.setdefault(index, "")
        elif getattr(entry, name) is None:
            setattr(entry, name, "")
        append(ast.literal_eval(value))
    finish()
    return entries


@pytest.fixture(scope="module")
def zh_entries() -> list[Entry]:
    entries = parse_po(ZH_PO)
    assert entries and entries[0].msgid == "", "the .po has no header"
    return entries


def test_zh_header(zh_entries):
    header = dict(
        line.split(": ", 1) for line in zh_entries[0].msgstr[0].splitlines() if ": " in line
    )
    assert header["Language"] == "zh_Hans"
    assert header["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "fuzzy" not in zh_entries[0].flags
    assert not [v for v in header.values() if "EMAIL@ADDRESS" in v or "YEAR-MO-DA" in v]


def test_every_zh_entry_is_translated_and_not_fuzzy(zh_entries):
    messages = zh_entries[1:]
    assert len(messages) > 100
    untranslated = [e.msgid for e in messages if not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    # nplurals=1: a plural entry has exactly msgstr[0].
    assert [e.msgid for e in messages if e.msgid_plural and set(e.msgstr) != {0}] == []


def test_zh_placeholders_are_kept(zh_entries):
    wrong = []
    for e in zh_entries[1:]:
        expected = sorted(PLACEHOLDER.findall(e.msgid))
        if "python-format" not in e.flags and not expected:
            continue
        for text in e.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((e.msgid, text))
    assert wrong == []


def test_committed_mo_matches_the_po(zh_entries):
    with ZH_MO.open("rb") as fp:
        mo = gettext.GNUTranslations(fp)
    for e in zh_entries[1:]:
        if e.msgid_plural is not None:
            if e.msgctxt is not None:
                got = mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
            else:
                got = mo.ngettext(e.msgid, e.msgid_plural, 1)
        elif e.msgctxt is not None:
            got = mo.pgettext(e.msgctxt, e.msgid)
        else:
            got = mo.gettext(e.msgid)
        assert got == e.msgstr[0], f"{ZH_MO} is stale for {e.msgid!r}: run `make messages`"
    # And nothing in the .mo that the .po no longer has.
    po_keys = {(e.msgctxt, e.msgid) for e in zh_entries[1:]}
    mo_keys = set()
    for key in mo._catalog:
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid:
            ctxt, sep, bare = msgid.partition("\x04")
            mo_keys.add((ctxt, bare) if sep else (None, msgid))
    assert mo_keys == po_keys


@pytest.mark.django_db
def test_public_need_form_is_chinese_by_default(client, zh_entries):
    translations = {e.msgid: e.msgstr[0] for e in zh_entries}
    submit = translations["Submit a need"]
    assert re.search(r"[\u4e00-\u9fff]", submit)

    html = client.get(reverse("resources:public_need_form")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert submit in html
    assert translations["Tell your community what you need"] in html
    assert "Submit a need" not in html


@pytest.mark.django_db
def test_public_need_form_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("resources:public_need_form")).content.decode()

    assert '<html lang="en">' in html
    assert "Submit a need" in html
    assert "Tell your community what you need" in html
