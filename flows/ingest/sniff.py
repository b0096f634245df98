"""What a file really is, from its first bytes: xlsx, ods, xls, encrypted, html or text.

The content decides how a file is read, not its extension: an `.xls` that is really HTML or xlsx, or a `.csv`
that is really tab-separated, is read as what it is; a PDF or an image sent in place of a spreadsheet, or
binary content, is refused.
"""

from __future__ import annotations

import re

from flows.ingest.limits import UnreadableFileError
from flows.ingest.reasons import BINARY_CONTENT, DOCUMENT_OR_IMAGE

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# documents sent in place of a spreadsheet; without NUL bytes at their start (a PDF), they would read as text
DOCUMENT_MAGIC = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"{\\rtf", "RTF document"),
)


def is_mostly_text(head: bytes) -> bool:
    """Whether the start of a file reads as text: control bytes other than tab and line ends are rare."""
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls <= len(head) // 100


def sniff(name: str, data: bytes) -> str:
    """What the file really is: xlsx, ods, xls, encrypted, html or text."""
    if data.startswith(ZIP_MAGIC):
        return "ods" if data[30:38] == b"mimetype" and ODS_MIMETYPE in data[:200] else "xlsx"
    if data.startswith(OLE2_MAGIC):
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "xls"
    if data.startswith(UTF16_BOMS):  # "Unicode text" as Excel saves it
        return "text"
    if document := next((kind for magic, kind in DOCUMENT_MAGIC if data.startswith(magic)), None):
        raise UnreadableFileError(DOCUMENT_OR_IMAGE(file=name, document=document))
    if b"\x00" in data[:4096] or (data[:4096] and not is_mostly_text(data[:4096])):
        raise UnreadableFileError(BINARY_CONTENT(file=name))
    if re.search(rb"<\s*(html|table)\b", data[:4096], re.IGNORECASE):
        return "html"
    return "text"
