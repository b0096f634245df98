"""Read a village file into raw sheets: every cell as text, rows numbered as in the file.

The content decides how a file is read, not its extension: an `.xls` that is really HTML
or xlsx, or a `.csv` that is really tab-separated, is read as what it is. Zip archives are
checked before calamine sees them (it has no limit on decompressed size, and a cell far
out makes it allocate the whole range, which aborts the process): every member is inflated
with its bytes counted, whatever its headers declare, and every cell reference of every
worksheet is read, whatever its `<dimension>` claims; an `.xls` has every cell record of
every sheet its BOUNDSHEET records point at read the same way. A file larger than a roster
can be is refused with the limit it hit; no row or column is ever dropped silently.

A file is opened once, without following a link, and read whole; what is read is what
discovery fingerprinted, or the file is refused (it was swapped or changed in between).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import html
import io
import os
import posixpath
import re
import stat
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import BinaryIO

import fastexcel
import olefile
import polars as pl

from flows.ingest.reasons import (
    BECAME_LINK,
    BINARY_CONTENT,
    CELL_TEXT_TOO_LONG,
    CELL_TOO_FAR,
    CELLS_SPAN,
    CHANGED_WHILE_READ,
    CORRUPT_ZIP,
    DAMAGED_CSV,
    DAMAGED_SPREADSHEET,
    DAMAGED_XLS,
    DECODED_TEXT,
    DOCUMENT_OR_IMAGE,
    EMPTY_FILE,
    FILE_TOO_LARGE,
    MALFORMED_XML,
    NO_LONGER_REGULAR,
    PASSWORD,
    SHARED_PART,
    TEXT_TOO_LARGE,
    TOO_MANY_LINES,
    TOO_MANY_ROWS,
    TOO_WIDE,
    UNPACKS_TOO_LARGE,
    XLS_DIMENSIONS,
    XLS_STREAM,
    Said,
)

ROSTER_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_FILE_BYTES = MAX_UNPACKED_BYTES  # no roster file is larger than what it may unpack to
MAX_ROWS = 100_000
MAX_COLUMNS = 256
# calamine builds every sheet as a dense grid from its first cell to its farthest (about 80 bytes a
# cell: a .xls with one cell at row 65,536 and column 256 took 1.6 GB, an xlsx at IV100000 1.3 GB,
# both inside the row and column limits); 100,000 rows of 40 columns are 4,000,000
MAX_CELLS = 10_000_000
MAX_TEXT_BYTES = 64 * 1024 * 1024  # a CSV or HTML roster: 100,000 rows of 40 short cells is about 30 MB
# the text a workbook's cells decode to, each shared string once per cell using it and each ODS cell once
# per repeat: 100,000 cells pointing at one 32,000-character shared string (3.2 GB of text, 6.2 GB in
# calamine) are 204 KB of xlsx inside every other limit. 100,000 rows of 40 cells of 30 bytes are 120 MB.
MAX_DECODED_TEXT_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How large a file may be, by what it is meant to be: a village's roster, or the branch's export.

    A branch's export is a list of the whole regency (Banyumas: about 38,000 people, 115,000 rows of
    one participant and programme) or of a province (Jawa Tengah: about 1.2 million rows); a larger
    one is sent in parts (docs/verification.md). Memory follows the cells: calamine builds about 80
    bytes a cell, so 25,000,000 cells stay under the reading worker's ceiling (worker_memory_mb).
    """

    what: str
    rows: int
    cells: int
    text_bytes: int
    file_bytes: int
    unpacked_bytes: int
    decoded_text_bytes: int


ROSTER_LIMITS = ReadLimits(
    "a roster", MAX_ROWS, MAX_CELLS, MAX_TEXT_BYTES, MAX_FILE_BYTES, MAX_UNPACKED_BYTES, MAX_DECODED_TEXT_BYTES
)
EXPORT_LIMITS = ReadLimits("a BPJS export", 1_500_000, 25_000_000, 2**29, 2**29, 2**30, 2**30)
# the limits of the file being read (read_workbook sets them for its call; every check reads them)
ACTIVE_LIMITS: ContextVar[ReadLimits] = ContextVar("ACTIVE_LIMITS", default=ROSTER_LIMITS)


def limits() -> ReadLimits:
    """The limits of the file being read."""
    return ACTIVE_LIMITS.get()


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
CELL_REFERENCE = re.compile(r"([A-Z]*)(\d*)")  # `ALL100000`; checked by Extent, not by calamine's range
MAX_CELL_TEXT = 32_767  # Excel's own limit on a cell's text
INFLATE_CHUNK = 1 << 20
DELIMITERS = (";", ",", "\t", "|")
CELL_PREFIX = "__UNNAMED__"  # grid columns as fastexcel names them without a header row; `grid_of` does the same
# Tags are matched as `<` then no `<` or `>` up to `>`: with `[^>]*`, every `<` of a page full of
# unclosed `<` was searched to the end of the page (quadratic: 300,000 of them took 53 s).
HTML_ROW = re.compile(r"<tr\b[^<>]*>(.*?)(?=<tr\b|</table\b|$)", re.IGNORECASE | re.DOTALL)
# a cell ends at its closing tag, the next cell or the end of the row: an unclosed <td> is read
# to the next one, in linear time (searching each to the row's end was quadratic: 195 KB, 30 s)
HTML_CELL = re.compile(r"<t[dh]\b[^<>]*>(.*?)(?=</t[dh]\s*>|<t[dh]\b|$)", re.IGNORECASE | re.DOTALL)
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
TAG = re.compile(r"<[^<>]*>")


class UnreadableFileError(Exception):
    """The file cannot be read as a roster: `said`, a reason of the catalogue (flows/ingest/reasons.py) naming the file.

    Its message is the reason in English.
    """

    def __init__(self, said: Said) -> None:
        super().__init__(said.english)
        self.said = said


class PassingReadError(UnreadableFileError):
    """The file could not be read this time for a reason of the moment (it changed or was swapped while read):
    not a verdict on the file, which a later run reads again.
    """


@dataclass(frozen=True)
class RawSheet:
    """One sheet as a grid of text cells; grid row i is the file's row i + 1, grid column j its column
    `first_column + j` (counted from 0 = A: calamine starts the grid at the first used column).
    """

    name: str
    grid: pl.DataFrame
    first_column: int = 0


def column_number(letters: bytes) -> int:
    """`A` -> 1, `XFD` -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


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


def read_once(path: Path, sha256: str | None = None) -> bytes:
    """The file's bytes, opened once without following a link, and (given `sha256`) as discovery found them.

    A file swapped for a link, a pipe or other content between discovery and this read is
    refused with what happened; it is read again at the next run if it is a file then.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PassingReadError(BECAME_LINK(file=path.name)) from None
        raise
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PassingReadError(NO_LONGER_REGULAR(file=path.name))
        data = stream.read(limits().file_bytes + 1)
    if len(data) > limits().file_bytes:
        raise UnreadableFileError(
            FILE_TOO_LARGE(file=path.name, limit_mib=limits().file_bytes // 2**20, what=limits().what)
        )
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise PassingReadError(CHANGED_WHILE_READ(file=path.name))
    return data


def check_archive(name: str, data: bytes) -> None:
    """Refuse zip bombs, sheets reaching far beyond any roster and sheets sharing a part: every member inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            stream = io.BytesIO(data)
            unpacked = cells = 0
            kept: dict[str, bytes] = {}
            text = DecodedText(name)
            for info in archive.infolist():
                chunks = []
                for chunk in inflated(stream, info):
                    unpacked += len(chunk)
                    if unpacked > limits().unpacked_bytes:
                        raise UnreadableFileError(
                            UNPACKS_TOO_LARGE(
                                file=name,
                                limit_mib=limits().unpacked_bytes // 2**20,
                                claimed_mib=info.file_size // 2**20,
                                member=info.filename,
                            )
                        )
                    chunks.append(chunk)
                content = b"".join(chunks)
                cells += check_extent(name, info.filename, content, text)
                if info.filename.lower() in WORKBOOK_PARTS:
                    kept.setdefault(info.filename.lower(), content)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, ValueError) as error:
        raise UnreadableFileError(CORRUPT_ZIP(file=name, error=str(error))) from error
    check_cells(name, cells)
    text.check()
    check_shared_parts(name, kept)


class DecodedText:
    """The bytes of text a workbook's cells decode to, refused past limits().decoded_text_bytes.

    A shared string counts once per cell that uses it (`<c t="s"><v>index</v>`); an ODS cell's text
    once per repeat of the cell and of its row (`Extent`); inline and other texts are in the
    unpacked bytes already bounded by limits().unpacked_bytes.
    """

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.shared: list[int] = []  # the byte length of each shared string, by index
        self.uses: Counter[bytes] = Counter()  # how many cells use each shared string, by index as written
        self.repeated = 0  # ODS text, times its repeats

    def member(self, data: bytes) -> None:
        """Take a member's shared strings (if it is the table of them) and its cells' uses of them."""
        if XML_SHARED_TABLE.search(data):
            lengths = [len(TAG_BYTES.sub(b"", body)) for body in XML_SHARED_STRING.findall(data)]
            self.shared = [max(a, b) for a, b in zip_longest(self.shared, lengths, fillvalue=0)]
        self.uses.update(XML_SHARED_CELL.findall(data))  # counted at C speed: 100,000 cells in 0.15 s

    def add(self, size: int) -> None:
        self.repeated += size
        self.check_total(self.repeated)

    def check(self) -> None:
        shared = 0
        for written, uses in self.uses.items():
            index = html.unescape(written.decode("utf-8", "replace")).strip()
            if index.isdigit() and int(index) < len(self.shared):  # other values name no shared string
                shared += self.shared[int(index)] * uses
        self.check_total(shared + self.repeated)

    def check_total(self, total: int) -> None:
        if total > limits().decoded_text_bytes:
            raise UnreadableFileError(
                DECODED_TEXT(
                    file=self.file_name,
                    mib=total // 2**20,
                    what=limits().what,
                    limit_mib=limits().decoded_text_bytes // 2**20,
                )
            )


XML_SHARED_TABLE = re.compile(rb"<(?:[\w.\-]+:)?sst\b", re.IGNORECASE)
# each <si>...</si> or <si/>, in order: an index is a position among them
XML_SHARED_STRING = re.compile(
    rb"<(?:[\w.\-]+:)?si\b[^<>]*?(?:/>|>(.*?)</(?:[\w.\-]+:)?si\s*>)", re.IGNORECASE | re.DOTALL
)
# a cell of type `s` (not `str`) and its value, the index of a shared string
XML_SHARED_CELL = re.compile(
    rb"<(?:[\w.\-]+:)?c\b[^<>]*?\st\s*=\s*[\"']?\s*s\s*[\"']?(?=[\s/>])[^<>]*>"
    rb"\s*<(?:[\w.\-]+:)?v\b[^<>]*>([^<]{1,64})<",  # `7`, ` 7 ` or `&#55;`: read as calamine does
    re.IGNORECASE,
)
TAG_BYTES = re.compile(rb"<[^<>]*>")


WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
XML_TAG = re.compile(rb"<(?:[\w.\-]+:)?(sheet|Relationship)\b([^<>]*)>", re.IGNORECASE)
XML_ATTRIBUTE = re.compile(rb"([\w.\-]+:)?([\w.\-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def check_shared_parts(name: str, parts: dict[str, bytes]) -> None:
    """Refuse a workbook whose sheets point at one worksheet part: calamine reads that part once per sheet.

    Twelve sheets pointing at one 92 MiB part took 1.9 GB, inside every other limit. The
    targets are compared as calamine resolves them (`/xl/...`, `xl/...` or relative to
    `xl/`), without case, `.` or `..`.
    """
    targets: dict[bytes, str] = {}
    for tag, attributes in XML_TAG.findall(parts.get(WORKBOOK_PARTS[1], b"")):
        if tag.lower() == b"relationship":
            values = attributes_of(attributes)
            targets[values.get(b"id", "").encode()] = values.get(b"target", "")
    seen: dict[str, int] = {}
    sheets = [attributes_of(attributes) for tag, attributes in XML_TAG.findall(parts.get(WORKBOOK_PARTS[0], b""))]
    for position, values in enumerate((v for v in sheets if b"id" in v), start=1):
        target = targets.get(values[b"id"].encode())
        if target is None:
            continue
        part = part_path(target)
        if part in seen:
            raise UnreadableFileError(SHARED_PART(file=name, first=seen[part], second=position, part=part))
        seen[part] = position


def attributes_of(attributes: bytes) -> dict[bytes, str]:
    """A tag's attributes by lower-case local name (`r:id` and `Id` are both `id`), entities decoded."""
    return {
        local.lower(): html.unescape((double if double or not single else single).decode("utf-8", "replace"))
        for _, local, double, single in XML_ATTRIBUTE.findall(attributes)
    }


def part_path(target: str) -> str:
    """A relationship target as the zip member calamine opens, normalised (case, `\\`, `.`, `..`)."""
    path = target.replace("\\", "/").strip()
    if path.lower().startswith("/xl/"):
        path = path[1:]
    elif not path.lower().startswith("xl/"):
        path = "xl/" + path
    return posixpath.normpath(path).lower()


def check_cells(name: str, cells: int) -> None:
    if cells > limits().cells:
        raise UnreadableFileError(CELLS_SPAN(file=name, cells=cells, what=limits().what, limit=limits().cells))


BIFF_EOF, BIFF_BOUNDSHEET, BIFF_DIMENSIONS, BIFF_STRING = 0x000A, 0x0085, 0x0200, 0x0207
# FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING: row and column first; MULRK, MULBLANK: a row of them
BIFF_CELLS = frozenset({0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
BIFF_CELL_RUNS = frozenset({0x00BD, 0x00BE})
WORKBOOK_STREAMS = frozenset({"workbook", "book"})  # BIFF8 and BIFF5, as calamine looks for them


def check_xls(name: str, data: bytes) -> None:
    """Refuse an `.xls` whose cells reach beyond a roster, by reading its cell records, whatever DIMENSIONS claims.

    calamine reserves room for the grid a sheet's DIMENSIONS record claims (a claim of a
    million rows aborts the process) and builds each sheet as a dense grid to its farthest
    cell (one cell at row 65,536 and column 256 took 1.6 GB). Each sheet is read as calamine
    finds it: from the offset its BOUNDSHEET record gives, to its EOF record.
    """
    try:
        document = olefile.OleFileIO(data)
        streams = [
            entry
            for entry in document.direntries
            if entry is not None and entry.entry_type == olefile.STGTY_STREAM and entry.name.lower() in WORKBOOK_STREAMS
        ]
        cells = 0
        for entry in streams:
            if entry.size > limits().unpacked_bytes:
                raise UnreadableFileError(XLS_STREAM(file=name, mib=entry.size // 2**20, what=limits().what))
            stream = document._open(entry.isectStart, entry.size).read(entry.size)
            offsets = [
                struct.unpack_from("<I", body)[0]
                for kind, body in biff_records(stream, 0)
                if kind == BIFF_BOUNDSHEET and len(body) >= 4
            ]
            cells += sum(sheet_cells(name, stream, offset, number) for number, offset in enumerate(offsets, start=1))
    except UnreadableFileError:
        raise
    except Exception as error:  # olefile raises several types for a damaged container
        raise UnreadableFileError(DAMAGED_XLS(file=name, error=str(error))) from error
    check_cells(name, cells)


def biff_records(stream: bytes, offset: int) -> Iterator[tuple[int, memoryview]]:
    """(record type, record body) from `offset` up to and including the EOF record or the stream's end."""
    view = memoryview(stream)
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        yield kind, view[offset + 4 : offset + 4 + length]
        if kind == BIFF_EOF:
            return
        offset += 4 + length


def sheet_cells(name: str, stream: bytes, offset: int, number: int) -> int:
    """The cells (rows x columns) of the sheet at `offset`, refused past the limits; DIMENSIONS counts too."""
    extent = Extent(name, f"sheet {number} of the workbook", parse=False)
    for kind, body in biff_records(stream, offset):
        if kind in BIFF_CELLS and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
            extent.reach(row + 1, column + 1)
        elif kind in BIFF_CELL_RUNS and len(body) >= 6:
            row, first = struct.unpack_from("<HH", body)
            (last,) = struct.unpack_from("<H", body, len(body) - 2)
            extent.reach(row + 1, max(first, last) + 1)
        elif kind == BIFF_DIMENSIONS and len(body) in (10, 14):
            layout = "<HHHH" if len(body) == 10 else "<IIHH"
            first_row, past_row, first_column, past_column = struct.unpack_from(layout, body)
            if first_row > past_row or first_column > past_column:
                raise UnreadableFileError(XLS_DIMENSIONS(file=name, sheet=number))
            extent.reach(past_row, past_column)
    return extent.far_row * extent.far_column


def inflated(stream: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's content, inflated from its raw bytes in chunks, trusting none of its declared sizes.

    zipfile stops at the size the headers declare, and a lying header let a 1.1 GiB sheet
    through as a small one while calamine inflated all of it (6.1 GB peak).
    """
    stream.seek(info.header_offset)
    local = stream.read(30)
    if local[:4] != ZIP_MAGIC:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    stream.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise zipfile.BadZipFile(f"{info.filename} uses a compression no spreadsheet uses ({info.compress_type})")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size  # the raw bytes to read: bounded by the file itself
    while left > 0 and (raw := stream.read(min(left, INFLATE_CHUNK))):
        left -= len(raw)
        if inflater is None:
            yield raw
            continue
        data = inflater.decompress(raw, INFLATE_CHUNK)
        while data:
            yield data
            data = inflater.decompress(inflater.unconsumed_tail, INFLATE_CHUNK)


XML_ROW_REF = re.compile(rb"<(?:[\w.\-]+:)?row\b[^<>]*?\sr\s*=\s*[\"']?\s*(\d+)", re.IGNORECASE)
XML_CELL_REF = re.compile(rb"<(?:[\w.\-]+:)?c\b[^<>]*?\sr\s*=\s*[\"']?\s*([a-z]+)(\d+)", re.IGNORECASE)
XML_CELL_WITHOUT_REF = re.compile(rb"<(?:[\w.\-]+:)?c(?=[\s/>])(?![^<>]*\sr\s*=)", re.IGNORECASE)
# anchored at the start or a `<`: unanchored, each run just short of the limit was searched again
# from every byte (quadratic: a 1,210-byte xlsx took 9.6 s)
LONG_TEXT = re.compile(rb"(?:^|<)[^<]{%d,}" % (MAX_CELL_TEXT + 64))  # a tag's own bytes may count too


def check_extent(file_name: str, member: str, data: bytes, text: DecodedText | None = None) -> int:
    """A member's texts and cell extent, whatever it is named: regular expressions at C speed for xlsx parts
    (distinct row numbers and column letters are few), the XML parser for ODS and for cells without `r`.

    Returns the cells (rows x columns) the member spans, which calamine would build.
    """
    if LONG_TEXT.search(data):
        raise UnreadableFileError(CELL_TEXT_TOO_LONG(file=file_name, member=member, limit=MAX_CELL_TEXT))
    cells = XML_CELL_REF.findall(data)
    rows = {int(row) for row in XML_ROW_REF.findall(data)} | {int(row) for _, row in set(cells)}
    columns = {column_number(letters.upper()) for letters in {letters for letters, _ in cells}}
    text = text or DecodedText(file_name)
    text.member(data)
    extent = Extent(file_name, member, text=text)
    extent.reach(max(rows, default=0), max(columns, default=0))  # always, whatever the parser makes of it
    if member.rpartition("/")[2].lower() == "content.xml" or XML_CELL_WITHOUT_REF.search(data):
        extent.feed(data, final=True)
    return extent.far_row * extent.far_column


class Extent:
    """How far a member's cells reach and how long its texts are, read by an XML parser as it inflates.

    Every XML member is read, whatever its name (a sheet may sit at `xl/data/s1.xml` or
    `sheet1.XML`): elements by local name whatever their prefix, attributes in any quoting,
    spacing or case; a cell without `r` is the next column; in ODS (`content.xml`), repeated
    rows and cells count where they hold a value, and their text counts once per repeat
    (`DecodedText`). A text longer than Excel allows in a cell (a
    120 MiB shared string used by 20 cells reached 5 GB in calamine) is refused by
    `check_extent`. A member the parser cannot read to its end (an undefined entity, a
    mismatched closing tag: calamine reads on where expat stops, an 844-byte ODS to 20,001 x
    1,000 cells) is refused: what was not counted cannot pass. A Python handler per element
    is slow (reading the regency month's 206 workbooks took 1.1 s this way, 0.05 s to inflate
    them), so `check_extent` uses it only where regular expressions cannot count: ODS repeats,
    and cells without `r`.
    """

    WATCHED = frozenset({"row", "c", "table", "table-row", "table-cell", "covered-table-cell", "p", "s"})

    def __init__(self, file_name: str, member: str, parse: bool = True, text: DecodedText | None = None) -> None:
        self.file_name, self.member = file_name, member
        self.row = self.column = self.far_row = self.far_column = 0
        self.repeat_rows = self.repeat_cells = 1
        self.row_has_value = False
        self.text, self.cell_text = text, 0
        self.parser: xml.parsers.expat.XMLParserType | None = None
        if parse:  # not for a .xls sheet (`check_xls`), which only `reach`es
            self.parser = xml.parsers.expat.ParserCreate()
            self.parser.StartElementHandler = self.start
            if member.rpartition("/")[2].lower() == "content.xml":  # ODS rows repeat: count them at their end
                self.parser.EndElementHandler = self.end
                self.parser.CharacterDataHandler = self.characters

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Parse `chunk`; a member the parser cannot read to its end is refused (see the class)."""
        if self.parser is None:
            return
        try:
            self.parser.Parse(chunk, final)
        except xml.parsers.expat.ExpatError as error:
            raise UnreadableFileError(
                MALFORMED_XML(file=self.file_name, member=self.member, error=str(error))
            ) from None

    def characters(self, data: str) -> None:
        self.cell_text += len(data.encode())

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2].lower()
        if local not in self.WATCHED:
            return
        values = {key.rpartition(":")[2].lower(): value for key, value in attributes.items()}
        if local == "row":  # xlsx
            self.row = int(values["r"]) if values.get("r", "").strip().isdigit() else self.row + 1
            self.column = 0
            self.reach(self.row, 0)
        elif local == "c":
            found = CELL_REFERENCE.fullmatch(values.get("r", "").strip().upper())
            if found and found.group(1) and found.group(2):
                self.column, row = column_number(found.group(1).encode()), int(found.group(2))
            else:
                self.column, row = self.column + 1, self.row
            self.reach(row, self.column)
        elif local == "table":  # ods: each sheet counts its rows from the top
            self.row = self.column = 0
        elif local == "table-row":  # ods: a row repeated N times reaches N rows only if it holds a value
            self.repeat_rows = int(values.get("number-rows-repeated", "1") or 1)
            self.column, self.row_has_value = 0, False
        elif local in {"table-cell", "covered-table-cell"}:
            self.repeat_cells = int(values.get("number-columns-repeated", "1") or 1)
            self.column += self.repeat_cells
            self.cell_text = sum(len(value.encode()) for key, value in values.items() if key.endswith("value"))
            if "value-type" in values:
                self.reach(self.row + self.repeat_rows, self.column)
        elif local == "p":
            self.reach(self.row + self.repeat_rows, self.column)
        elif local == "s":  # ods: `<text:s text:c="N"/>` is N spaces in the cell's text
            count = values.get("c", "1").strip()
            self.cell_text += int(count) if count.isdigit() else 1

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2].lower()
        if local == "table-row":
            self.row += self.repeat_rows
            self.repeat_rows = 1
        elif local in {"table-cell", "covered-table-cell"} and self.text is not None:
            self.text.add(self.cell_text * self.repeat_cells * self.repeat_rows)
            self.cell_text, self.repeat_cells = 0, 1

    def reach(self, row: int, column: int) -> None:
        self.far_row, self.far_column = max(self.far_row, row), max(self.far_column, column)
        if self.far_row > limits().rows or self.far_column > MAX_COLUMNS:
            raise UnreadableFileError(
                CELL_TOO_FAR(
                    file=self.file_name,
                    member=self.member,
                    column=self.far_column,
                    row=self.far_row,
                    what=limits().what,
                    columns=MAX_COLUMNS,
                    rows=limits().rows,
                )
            )


def read_workbook(path: Path, sha256: str | None = None, within: ReadLimits = ROSTER_LIMITS) -> list[RawSheet]:
    """Every sheet of a spreadsheet, all cells as text, no rows skipped, whatever its extension says.

    Given `sha256` (discovery's), the file is read only if it is still what discovery found. It is
    refused past the limits `within` (a roster's, unless the file is the branch's export).
    """
    token = ACTIVE_LIMITS.set(within)
    try:
        return read_within_limits(path, sha256)
    finally:
        ACTIVE_LIMITS.reset(token)


def read_within_limits(path: Path, sha256: str | None) -> list[RawSheet]:
    """`read_workbook`'s reading, under the limits it set."""
    data = read_once(path, sha256)
    if not data:
        raise UnreadableFileError(EMPTY_FILE(file=path.name))
    kind = sniff(path.name, data)
    if kind == "encrypted":
        raise UnreadableFileError(PASSWORD(file=path.name, detail="send it without a password"))
    if kind in {"html", "text"}:
        size = len(data)
        if size > limits().text_bytes:  # a 300 MB CSV inside every other limit took 4.4 GB to read
            limit = limits().text_bytes // 2**20
            raise UnreadableFileError(
                TEXT_TOO_LARGE(file=path.name, mib=size // 2**20, what=limits().what, limit_mib=limit)
            )
        if kind == "text" and (lines := data.count(b"\n")) > limits().rows:  # before parsing: 1,000,000 rows took 1.5 s
            raise UnreadableFileError(
                TOO_MANY_LINES(file=path.name, lines=lines, what=limits().what, rows=limits().rows)
            )
        text = decode(data)
        return [
            RawSheet(path.stem, grid_of(path.name, text_rows(path.name, text) if kind == "text" else html_rows(text)))
        ]
    if kind in {"xlsx", "ods"} or zipfile.is_zipfile(io.BytesIO(data)):  # a zip behind OLE2 magic is checked too
        check_archive(path.name, data)
    if kind == "xls":
        check_xls(path.name, data)
    return excel_sheets(path, data)


def excel_sheets(path: Path, data: bytes) -> list[RawSheet]:
    """xlsx, xls and ods through fastexcel (calamine), from the bytes already read and checked."""
    try:
        reader = fastexcel.read_excel(data)  # bytes: calamine sniffs the format, not the extension
        sheets = [
            (name, reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0))
            for name in reader.sheet_names
        ]
        return [RawSheet(name, sheet.to_polars(), first_used_column(sheet)) for name, sheet in sheets]
    except Exception as error:  # calamine raises several unrelated types for a bad file
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if re.search(r"password|encrypt", message, re.IGNORECASE):
            raise UnreadableFileError(PASSWORD(file=path.name, detail=message)) from error
        raise UnreadableFileError(DAMAGED_SPREADSHEET(file=path.name, error=message)) from error


def first_used_column(sheet: fastexcel.ExcelSheet) -> int:
    """The sheet's column (0 = A) that grid column 0 is."""
    columns = sheet.available_columns()
    return columns[0].absolute_index if columns else 0


def decode(data: bytes) -> str:
    """Text from UTF-16 (with its BOM), UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def text_rows(name: str, text: str) -> list[list[str]]:
    """Rows of delimited text; the delimiter is the one that splits the first rows into the most fields.

    Fields are counted after CSV quoting is applied, so a `,` inside a quoted `;`-separated
    field (`"Banyumas, 12-05-1975"`) does not count for `,`.
    """
    sample = text[:20_000]

    def fields(delimiter: str) -> int:
        try:
            return sum(len(row) - 1 for row in csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:  # a field past the size limit: this delimiter does not split the text
            return -1

    # newline=None: lines ending in CR alone (Excel for Mac) are lines too
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=max(DELIMITERS, key=fields), strict=True)
    try:
        return list(reader)
    except csv.Error as error:  # an unclosed quote would otherwise swallow every row after it
        raise UnreadableFileError(DAMAGED_CSV(file=name, line=reader.line_num, error=str(error))) from error


def html_rows(text: str) -> list[list[str]]:
    """Rows (`<tr>`) of the HTML table(s) of a page, cells (`<td>`, `<th>`) as plain text; `<br>` is a new line.

    Regular expressions rather than `html.parser`: an HTML "xls" is one flat table, and the
    parser spent more time on those files than calamine did on all the others.
    """
    return [
        [html.unescape(TAG.sub("", LINE_BREAK.sub("\n", cell))).strip() for cell in HTML_CELL.findall(row)]
        for row in HTML_ROW.findall(text)
    ]


def grid_of(name: str, rows: list[list[str]]) -> pl.DataFrame:
    """A grid of text cells from ragged rows, empty cells as null, trailing empty columns dropped.

    A grid past limits().rows rows or with a filled cell past MAX_COLUMNS is refused, never cut.
    """
    if len(rows) > limits().rows:
        raise UnreadableFileError(TOO_MANY_ROWS(file=name, lines=len(rows), what=limits().what, rows=limits().rows))
    wide = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row[MAX_COLUMNS:])), None)
    if wide is not None:
        raise UnreadableFileError(TOO_WIDE(file=name, row=wide + 1, columns=MAX_COLUMNS))
    cells = [[cell.strip() or None for cell in row[:MAX_COLUMNS]] for row in rows]
    width = max((i + 1 for row in cells for i, cell in enumerate(row) if cell is not None), default=0)
    return pl.DataFrame(
        [
            pl.Series(f"{CELL_PREFIX}{i}", [row[i] if i < len(row) else None for row in cells], pl.String)
            for i in range(width)
        ]
    )
