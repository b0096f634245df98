"""Guards against hostile files, before calamine sees them: the file opened once, and archives, XML and .xls
containers checked against the limits (limits.py).

A file is opened once, without following a link, and read whole; what is read is what discovery
fingerprinted, or the file is refused (it was swapped or changed in between). Zip archives are checked
before calamine sees them (it has no limit on decompressed size, and a cell far out makes it allocate the
whole range, which aborts the process): every member is inflated with its bytes counted, whatever its
headers declare, and every cell reference of every worksheet is read, whatever its `<dimension>` claims; an
`.xls` has every cell record of every sheet its BOUNDSHEET records point at read the same way.
"""

from __future__ import annotations

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
from itertools import zip_longest
from pathlib import Path
from typing import BinaryIO

import olefile

from flows.ingest.limits import MAX_COLUMNS, PassingReadError, UnreadableFileError, limits
from flows.ingest.reasons import (
    BECAME_LINK,
    CELL_TEXT_TOO_LONG,
    CELL_TOO_FAR,
    CELLS_SPAN,
    CHANGED_WHILE_READ,
    CORRUPT_ZIP,
    DAMAGED_XLS,
    DECODED_TEXT,
    FILE_TOO_LARGE,
    MALFORMED_XML,
    NO_LONGER_REGULAR,
    SHARED_PART,
    UNPACKS_TOO_LARGE,
    XLS_DIMENSIONS,
    XLS_STREAM,
)
from flows.ingest.sniff import ZIP_MAGIC

CELL_REFERENCE = re.compile(r"([A-Z]*)(\d*)")  # `ALL100000`; checked by Extent, not by calamine's range
MAX_CELL_TEXT = 32_767  # Excel's own limit on a cell's text
INFLATE_CHUNK = 1 << 20


def column_number(letters: bytes) -> int:
    """`A` -> 1, `XFD` -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


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
