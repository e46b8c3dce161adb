"""The PDF check of need attachments (``resources.uploads``): an allow-list, no PDF library.

A plain scan or document needs no scripts, actions, forms, embedded files or encryption, and only
Flate and image-codec stream filters. Names are looked for in the raw bytes and in every Flate
stream inflated (predictors undone) within a cap; any stream encoded in a way this check cannot
read through (other filters, abbreviations, indirect filters, external data, an image codec on a
stream that is not an image) makes the whole PDF refused rather than passed unread.
"""

from __future__ import annotations

import bisect
import re
import zlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# PDF names that run code, act on the reader's machine, open links or forms, or carry other
# files. A scanned or plain document needs none of them.
_PDF_FORBIDDEN = {
    b"JS",
    b"JavaScript",
    b"OpenAction",
    b"AA",
    b"Launch",
    b"URI",
    b"SubmitForm",
    b"GoToR",
    b"GoToE",
    b"ImportData",
    b"EmbeddedFile",
    b"EmbeddedFiles",
    b"FileAttachment",  # (an embedded file is reached only through one of these names)
    b"RichMedia",
    b"XFA",
    b"AcroForm",
}
# Stream filters allowed: Flate (inflated for the check) and the image codecs. Every other
# decoder (ASCIIHex, ASCII85, LZW, RunLength, Crypt) and every abbreviation (/AHx, /Fl, /DCT...,
# valid only in inline images) could hide objects from the check, so such PDFs are refused.
_PDF_IMAGE_FILTERS = {b"DCTDecode", b"JPXDecode", b"CCITTFaxDecode", b"JBIG2Decode"}
_PDF_FILTERS = {b"FlateDecode", *_PDF_IMAGE_FILTERS}
_PDF_INFLATE_CAP = 50 * 1024 * 1024
_PDF_PREDICTOR_CAP = 4 * 1024 * 1024
_PDF_MAX_DEPTH = 32
# PDF syntax: white space includes NUL; a token ends at white space or a delimiter.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_R = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"  # a regular character
_S = rb"[\x00\t\n\x0c\r ]"  # a white-space character
_PDF_REGULAR = re.compile(_R + rb"+")
_PDF_NAME = re.compile(rb"/(" + _R + rb"+)")
_PDF_INTEGER = re.compile(rb"[+-]?\d+")
_PDF_REF = re.compile(rb"(\d+)" + _S + rb"+(\d+)" + _S + rb"+R(?!" + _R + rb")")
_PDF_OBJ_HEADER = re.compile(
    rb"(?<!" + _R + rb")\d+" + _S + rb"+\d+" + _S + rb"+obj(?!" + _R + rb")"
)
_PDF_STREAM_KEYWORD = re.compile(rb"(?<!" + _R + rb")stream(?!" + _R + rb")")
_PDF_STREAM_DATA = re.compile(rb"[ \t]*(?:\r\n|\n|\r)?")
_PDF_EOL = re.compile(rb"[\r\n]")


def _pdf_names(data: bytes) -> set[bytes]:
    """The names in ``data``, with ``#xx`` escapes decoded (``/J#53`` is ``/JS``)."""
    return {_unescape_name(match.group(1)) for match in _PDF_NAME.finditer(data)}


def _unescape_name(raw: bytes) -> bytes:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


class _PdfMalformed(Exception):
    """The PDF cannot be read the way a reader would read it."""


class _PdfUnchecked(Exception):
    """The PDF is encrypted or encoded in a way this check cannot look through."""


class _PdfName(bytes):
    """A PDF name, ``#xx`` escapes decoded."""


@dataclass(frozen=True)
class _PdfRef:
    number: int
    generation: int


class _PdfString(bytes):
    """A literal or hexadecimal string (its content is not needed)."""


def _skip_space(data: bytes, pos: int) -> int:
    while pos < len(data):
        if data[pos] in _PDF_WHITESPACE:
            pos += 1
        elif data[pos] == ord("%"):
            end = _PDF_EOL.search(data, pos)
            pos = end.end() if end else len(data)
        else:
            break
    return pos


def _pdf_value(data: bytes, pos: int, depth: int = 0):  # noqa: C901, PLR0911, PLR0912
    """Parse one direct object at ``pos``: ``(value, end)``. Dictionaries become ``dict`` keyed
    by unescaped names (a key given twice, even spelled differently, is malformed)."""
    if depth > _PDF_MAX_DEPTH:
        raise _PdfMalformed
    pos = _skip_space(data, pos)
    if data.startswith(b"<<", pos):
        result: dict[bytes, object] = {}
        pos += 2
        while True:
            pos = _skip_space(data, pos)
            if data.startswith(b">>", pos):
                return result, pos + 2
            key, pos = _pdf_value(data, pos, depth + 1)
            if not isinstance(key, _PdfName) or bytes(key) in result:
                raise _PdfMalformed
            result[bytes(key)], pos = _pdf_value(data, pos, depth + 1)
    first = data[pos : pos + 1]
    if first == b"[":
        items = []
        pos += 1
        while True:
            pos = _skip_space(data, pos)
            if data.startswith(b"]", pos):
                return items, pos + 1
            item, pos = _pdf_value(data, pos, depth + 1)
            items.append(item)
    if first == b"(":
        nesting, i = 0, pos
        while i < len(data):
            char = data[i]
            if char == ord("\\"):
                i += 2
                continue
            nesting += (char == ord("(")) - (char == ord(")"))
            i += 1
            if nesting == 0:
                return _PdfString(), i
        raise _PdfMalformed
    if first == b"<":
        end = data.find(b">", pos)
        if end == -1:
            raise _PdfMalformed
        return _PdfString(), end + 1
    if first == b"/":
        match = _PDF_REGULAR.match(data, pos + 1)
        end = match.end() if match else pos + 1
        return _PdfName(_unescape_name(data[pos + 1 : end])), end
    if match := _PDF_REF.match(data, pos):
        return _PdfRef(int(match.group(1)), int(match.group(2))), match.end()
    if match := _PDF_REGULAR.match(data, pos):
        token = match.group()
        return (int(token) if _PDF_INTEGER.fullmatch(token) else token), match.end()
    raise _PdfMalformed


def _stream_dictionary(content: bytes, keyword: int, headers: list[int]) -> dict:
    """The dictionary of the stream whose ``stream`` keyword starts at ``keyword``: parsed from
    the nearest ``N G obj`` before it, and it must end right at the keyword."""
    index = bisect.bisect_right(headers, keyword) - 1
    if index < 0:
        raise _PdfMalformed
    value, end = _pdf_value(content, headers[index])
    if not isinstance(value, dict) or _skip_space(content, end) != keyword:
        raise _PdfMalformed
    return value


def _stream_filters(stream: dict) -> list[tuple[bytes, object]]:
    """The stream's filters with their parameters, refusing whatever is not on the allow-list."""
    # External data (/F, /FFilter, /FDecodeParms) and the inline-image abbreviation /DP are never
    # needed by a stream object; some readers take /F and /DP as /Filter and /DecodeParms.
    if stream.keys() & {b"F", b"FFilter", b"FDecodeParms", b"DP"}:
        raise _PdfUnchecked
    filters = stream.get(b"Filter")
    parms = stream.get(b"DecodeParms")
    if filters is None:
        return []
    if isinstance(filters, _PdfName):
        filters, parms = [filters], [parms]
    elif isinstance(filters, list) and (parms is None or isinstance(parms, list)):
        parms = parms if parms is not None else [None] * len(filters)
    else:
        raise _PdfUnchecked  # an indirect filter, or parameters that do not line up
    if len(parms) != len(filters) or not all(isinstance(f, _PdfName) for f in filters):
        raise _PdfUnchecked
    if any(bytes(f) not in _PDF_FILTERS for f in filters):
        raise _PdfUnchecked
    return [(bytes(f), p) for f, p in zip(filters, parms, strict=True)]


def _int_parm(parms: dict, key: bytes, default: int, low: int, high: int) -> int:
    value = parms.get(key, default)
    if not isinstance(value, int) or not low <= value <= high:
        raise _PdfUnchecked
    return value


def _undo_predictor(data: bytes, parms) -> bytes | None:
    """Flate data after its PNG or TIFF predictor (``None`` without one): predicted bytes are
    differences, so names in them only show once the predictor is undone."""
    if parms is None:
        return None
    if not isinstance(parms, dict):
        raise _PdfUnchecked
    predictor = _int_parm(parms, b"Predictor", 1, -(2**31), 2**31)
    if predictor <= 1:
        return None
    if predictor != 2 and not 10 <= predictor <= 15:  # noqa: PLR2004 (TIFF 2, PNG 10-15)
        raise _PdfUnchecked
    colors = _int_parm(parms, b"Colors", 1, 1, 32)
    bits = _int_parm(parms, b"BitsPerComponent", 8, 1, 16)
    columns = _int_parm(parms, b"Columns", 1, 1, 1 << 20)
    if len(data) > _PDF_PREDICTOR_CAP or bits not in {1, 2, 4, 8, 16}:
        raise _PdfUnchecked
    if predictor == 2:  # noqa: PLR2004
        if bits != 8:  # noqa: PLR2004
            raise _PdfUnchecked
        out = bytearray(data)
        row = columns * colors
        for i in range(len(out)):
            if i % row >= colors:
                out[i] = (out[i] + out[i - colors]) & 0xFF
        return bytes(out)
    return _undo_png_predictor(data, (columns * colors * bits + 7) // 8, (colors * bits + 7) // 8)


def _undo_png_predictor(data: bytes, width: int, bpp: int) -> bytes:
    out = bytearray()
    previous = bytearray(width)
    for start in range(0, len(data), width + 1):
        tag, row = data[start], bytearray(data[start + 1 : start + 1 + width])
        for j in range(len(row)):
            left = row[j - bpp] if j >= bpp else 0
            up, up_left = previous[j], previous[j - bpp] if j >= bpp else 0
            if tag == 1:
                row[j] = (row[j] + left) & 0xFF
            elif tag == 2:  # noqa: PLR2004
                row[j] = (row[j] + up) & 0xFF
            elif tag == 3:  # noqa: PLR2004
                row[j] = (row[j] + ((left + up) >> 1)) & 0xFF
            elif tag == 4:  # noqa: PLR2004
                guess = left + up - up_left
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - up_left)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                row[j] = (row[j] + nearest) & 0xFF
            elif tag != 0:
                raise _PdfMalformed
        out += row
        previous = row + bytearray(width - len(row))
    return bytes(out)


def _inflate(data: bytes, budget: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, budget + 1)
    except zlib.error:
        raise _PdfMalformed from None
    if len(out) > budget:
        raise _PdfUnchecked  # past the cap: too big to check
    return out


def _decoded_streams(content: bytes):
    """The decoded text of each stream whose bytes a reader could take for PDF objects.

    Every stream's filters must be Flate or an image codec (anything else could hide objects
    from this check). Flate streams are inflated (their predictors undone too) within a total
    cap; image streams hold pixels and are left alone, and an image codec on any other stream,
    such as an object stream whose decoded pixels would be read as objects, is refused.
    """
    headers = [match.end() for match in _PDF_OBJ_HEADER.finditer(content)]
    budget = _PDF_INFLATE_CAP
    for keyword in _PDF_STREAM_KEYWORD.finditer(content):
        stream = _stream_dictionary(content, keyword.start(), headers)
        filters = _stream_filters(stream)
        object_stream = b"First" in stream or b"N" in stream
        if any(name in _PDF_IMAGE_FILTERS for name, _parms in filters):
            if stream.get(b"Subtype") != b"Image" or object_stream:
                raise _PdfUnchecked
            continue
        if stream.get(b"Subtype") == b"Image" and not object_stream:
            continue  # pixels
        if not filters:
            continue  # the raw bytes, already checked
        start = _PDF_STREAM_DATA.match(content, keyword.end()).end()
        data = content[start:]  # inflating stops at the end of the compressed data
        for _name, parms in filters:
            data = _inflate(data, budget)
            budget -= len(data)
            yield data
            if (undone := _undo_predictor(data, parms)) is not None:
                yield undone
                data = undone


def check_pdf(content: bytes, shown: str) -> None:
    """Refuse (``ValidationError``) a PDF that is encrypted, uses a stream filter off the
    allow-list, or names a script, action, form or embedded file, in its bytes or in any
    inflated stream."""
    invalid = ValidationError(
        _("“%(name)s” is not a valid PDF document.") % {"name": shown}, code="pdf"
    )
    if not content.startswith(b"%PDF-"):
        raise invalid
    unchecked = ValidationError(
        _(
            "“%(name)s” is encrypted or encoded in a way that cannot be checked; please send a "
            "plain PDF or a photo."
        )
        % {"name": shown},
        code="pdf_unchecked",
    )
    refused = ValidationError(
        _("“%(name)s” contains scripts or embedded files; please send a plain PDF or a photo.")
        % {"name": shown},
        code="pdf_active",
    )
    names = _pdf_names(content)
    if b"Encrypt" in names:
        raise unchecked  # everything else would be hidden in encrypted strings and streams
    if names & _PDF_FORBIDDEN:
        raise refused
    try:
        for data in _decoded_streams(content):
            decoded = _pdf_names(data)
            if b"Encrypt" in decoded:
                raise unchecked
            if decoded & _PDF_FORBIDDEN:
                raise refused
    except _PdfUnchecked:
        raise unchecked from None
    except _PdfMalformed:
        raise invalid from None
