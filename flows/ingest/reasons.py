"""Every reason a file or a sheet is rejected, ignored, skipped, superseded or held: one catalogue.

Each `Reason` is one entry: a code, the parameters it takes (file, sheet, row, column, limit,
...) and a template in English (what an engineer reads in the logs, with the exact detail:
limits, byte counts, the reader's own error) and one in Bahasa Indonesia (`alasan`, what the
village secretary and the regency official read, with what to do about it). Where a reason
arises, the code calls its entry with the parameters (`EMPTY_FILE(file=name)`), which gives a
`Said`: both texts are rendered from it, and the state database records its code and
parameters beside them (`reason_code`, `reason_params`). A reason decided by a SQL statement
(superseded, held) records only its code and parameters; `state_current.fill_reasons` renders both
texts from this catalogue.

A parameter is a text, a number (templates may format it: `{cells:,}`; in Indonesian its separators
are swapped, `1.000.001`, `2,5`), another `Said` (said in the same language), or a list of them
(joined by their entry's `joiner`). A text is put in the Indonesian as it is, in “…” where it needs
quoting, never as Python writes it (`{name!r}`: `'X'`, `"Suka'maju"`).
Adding a reason: an entry here and its call where it arises; `tests/test_reasons.py` checks
every entry (both languages, its parameters) and renders each.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Language = Literal["en", "id"]
Param: TypeAlias = "str | int | float | Said | Sequence[Said]"

# a recorded reason: in English, its code, its parameters (JSON), in Indonesian (Said.recorded)
REASON_COLUMNS = ("reason", "reason_code", "reason_params", "alasan")

KIRIM_ULANG = "Simpan ulang berkas di Excel atau LibreOffice (Simpan Sebagai .xlsx), lalu kirim kembali."
PERIKSA = "Periksa apakah berkas yang dikirim sudah benar."
FORMAT_DATA = "Kirim data dalam bentuk Excel (.xlsx atau .xls), LibreOffice (.ods) atau .csv."


def fields_of(template: str) -> frozenset[str]:
    """The parameters a template names (`{file}`, `{cells:,}` -> file, cells)."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True)
class Reason:
    """One entry of the catalogue: its code, its parameters and its text in both languages."""

    code: str
    params: tuple[str, ...]
    english: str
    indonesian: str
    joiner: str = "; "  # between several of it given as one parameter (a list)

    def __call__(self, **params: Param) -> Said:
        """This reason with its parameters, all of them and no others."""
        if set(params) != set(self.params):
            raise TypeError(f"reason {self.code} takes {sorted(self.params)}, given {sorted(params)}")
        return Said(self, params)

    def template(self, language: Language) -> str:
        return self.english if language == "en" else self.indonesian


@dataclass(frozen=True)
class Said:
    """A reason given: its catalogue entry and its parameters, said in either language."""

    reason: Reason
    params: Mapping[str, Param] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.reason.code

    @property
    def english(self) -> str:
        return self.text("en")

    @property
    def alasan(self) -> str:
        return self.text("id")

    def text(self, language: Language) -> str:
        values = {name: said_in(value, language) for name, value in self.params.items()}
        template = self.reason.template(language)
        return template.format(**values) if language == "en" else INDONESIAN.vformat(template, (), values)

    def __str__(self) -> str:
        return self.english

    def to_json(self) -> str:
        """The parameters as JSON (what `reason_params` records; `from_json` reads it back with the code)."""
        return json.dumps({name: as_json(value) for name, value in self.params.items()}, ensure_ascii=False)

    def recorded(self) -> tuple[str, str, str, str]:
        """The reason as the state database records it (REASON_COLUMNS)."""
        return self.english, self.code, self.to_json(), self.alasan

    def packed(self) -> str:
        """Code and parameters as one JSON text, for a frame's column (`unpacked` reads it back)."""
        return json.dumps(as_json(self), ensure_ascii=False)

    @classmethod
    def unpacked(cls, text: str) -> Said:
        loaded = json.loads(text)
        return cls.from_json(loaded["code"], json.dumps(loaded.get("params") or {}))

    @classmethod
    def from_json(cls, code: str, params: str | None) -> Said:
        """A reason recorded as its code and its parameters' JSON (a nested reason: {"code", "params"})."""
        loaded = json.loads(params or "{}")
        return CATALOGUE[code](**{name: from_json_value(value) for name, value in loaded.items()})


class IndonesianFormatter(string.Formatter):
    """Numbers as Indonesians write them, whatever the template's format: `1.000.001`, `2,5`."""

    def format_field(self, value: object, format_spec: str) -> str:
        text = str(super().format_field(value, format_spec))
        return text.translate(DOT_FOR_COMMA) if isinstance(value, int | float) and not isinstance(value, bool) else text


DOT_FOR_COMMA = str.maketrans(",.", ".,")
INDONESIAN = IndonesianFormatter()


def said_in(value: Param, language: Language) -> str | int | float:
    """A parameter as its template shows it in `language`."""
    if isinstance(value, Said):
        return value.text(language)
    if isinstance(value, str | int | float):
        return value
    return (value[0].reason.joiner if value else "; ").join(item.text(language) for item in value)


def as_json(value: Param) -> object:
    if isinstance(value, Said):
        return {"code": value.code, "params": json.loads(value.to_json())}
    if isinstance(value, str | int | float):
        return value
    return [as_json(item) for item in value]


def from_json_value(value: object) -> Param:
    if isinstance(value, dict):
        return Said.from_json(value["code"], json.dumps(value.get("params") or {}))
    if isinstance(value, list):
        return [Said.from_json(item["code"], json.dumps(item.get("params") or {})) for item in value]
    if isinstance(value, str | int | float):
        return value
    return str(value)


# discovery: the file could not even be looked at, or is left for a later run
NAME_NOT_UTF8 = Reason(
    "name_not_utf8",
    (),
    "file name is not valid UTF-8 (rename the file)",
    "Nama berkas memuat huruf yang tidak dapat dibaca. Ganti nama berkas dengan huruf dan angka biasa, lalu kirim "
    "kembali.",
)
SYMBOLIC_LINK = Reason(
    "symbolic_link",
    ("target",),
    "symbolic link to {target}, not followed",
    "Tautan (symbolic link) ke {target}; tautan tidak diikuti, tidak dibaca.",
)
NOT_REGULAR_FILE = Reason(
    "not_regular_file",
    (),
    "not a regular file (a pipe, socket or device)",
    "Bukan berkas biasa (pipe, socket atau perangkat); tidak dibaca.",
)
FOLDER_UNREADABLE = Reason(
    "folder_unreadable",
    ("error",),
    "folder cannot be read: {error}",
    "Folder tidak dapat dibuka ({error}). Petugas kabupaten perlu memperbaiki izin folder ini.",
)
FILE_UNREADABLE = Reason(
    "file_unreadable",
    ("error",),
    "cannot be read: {error}",
    "Berkas tidak dapat dibuka ({error}). Petugas kabupaten perlu memperbaiki izin atau nama berkas ini.",
)
IMPOSSIBLE_PERIOD = Reason(
    "impossible_period",
    ("folder", "first", "last"),
    "folder {folder}/ is not a period that can exist (from {first} to {last}); not read",
    "Folder {folder}/ bukan bulan yang mungkin (dari {first} sampai {last}); tidak dibaca.",
)
STILL_COPYING = Reason(
    "still_copying",
    ("seconds",),
    "modified less than {seconds:g} seconds (quiet_seconds) from this run's start: it may still be being copied; "
    "read by a later run",
    "Berkas baru diubah kurang dari {seconds:g} detik sebelum proses dimulai dan mungkin masih disalin; "
    "dibaca pada proses berikutnya.",
)
# files that are not submissions
OUTSIDE_PERIOD = Reason(
    "outside_period",
    (),
    "not under a raw/<YYYY-MM>/ period folder",
    "Tidak berada di dalam folder bulan (TTTT-BB); tidak dibaca.",
)
LEFT_LOCK_FILE = Reason(
    "lock_file",
    (),
    "lock file left by Excel or LibreOffice, not a submission",
    "Berkas kunci sementara dari Excel atau LibreOffice, bukan kiriman data; tidak dibaca.",
)
NOT_A_SPREADSHEET = Reason(
    "not_a_spreadsheet",
    ("suffix",),
    "not a spreadsheet ({suffix})",
    "Bukan lembar kerja ({suffix}). " + FORMAT_DATA,
)
SAME_CONTENT = Reason(
    "same_content",
    ("first",),
    "same content as {first}",
    "Isinya sama persis dengan berkas {first} yang sudah diterima; tidak dihitung dua kali.",
)
# reading
EMPTY_FILE = Reason(
    "empty_file",
    ("file",),
    "{file}: the file is empty (0 bytes)",
    "Berkas kosong (0 byte). Kirim kembali berkas yang berisi data.",
)
PASSWORD = Reason(
    "password",
    ("file", "detail"),
    "{file}: the workbook is password-protected ({detail})",
    "Berkas dilindungi kata sandi. Simpan ulang tanpa kata sandi, lalu kirim kembali.",
)
DOCUMENT_OR_IMAGE = Reason(
    "document_or_image",
    ("file", "document"),
    "{file}: a {document}, not a spreadsheet or text file",
    "Berkas ini dokumen atau gambar, bukan lembar kerja. Kirim data dalam bentuk Excel (.xlsx atau .xls), "
    "LibreOffice (.ods) atau .csv, bukan hasil cetak atau foto.",
)
BINARY_CONTENT = Reason(
    "binary_content",
    ("file",),
    "{file}: not a spreadsheet or text file (binary content)",
    "Bukan lembar kerja atau teks. " + FORMAT_DATA,
)
UNPACKS_TOO_LARGE = Reason(
    "unpacks_too_large",
    ("file", "limit_mib", "claimed_mib", "member"),
    "{file}: unpacks to more than {limit_mib} MiB (its headers claim {claimed_mib} MiB for {member}); refused",
    "Isi berkas setelah dibuka lebih dari {limit_mib} MiB, jauh lebih besar dari daftar anggota mana pun; ditolak. "
    "Simpan hanya lembar daftar anggota ke berkas baru, lalu kirim kembali.",
)
CORRUPT_ZIP = Reason(
    "corrupt_zip",
    ("file", "error"),
    "{file}: damaged file (corrupt zip archive: {error})",
    "Berkas rusak (arsip tidak utuh). " + KIRIM_ULANG,
)
CELL_TEXT_TOO_LONG = Reason(
    "cell_text_too_long",
    ("file", "member", "limit"),
    "{file}: {member} holds a text of more than {limit:,} characters, more than a spreadsheet cell can; refused",
    "Ada satu sel berisi lebih dari {limit:,} huruf, melebihi batas sel lembar kerja; ditolak. " + KIRIM_ULANG,
)
CELL_TOO_FAR = Reason(
    "cell_too_far",
    ("file", "member", "column", "row", "what", "columns", "rows"),
    "{file}: {member} has a cell at column {column}, row {row}; {what} has at most {columns} columns and "
    "{rows:,} rows; refused",
    "Ada sel terisi jauh di luar tabel (kolom ke-{column}, baris ke-{row}); ditolak. Hapus isi di luar tabel "
    "daftar anggota, lalu simpan dan kirim kembali.",
)
TEXT_TOO_LARGE = Reason(
    "text_too_large",
    ("file", "mib", "what", "limit_mib"),
    "{file}: {mib} MiB, more than {what} can be (at most {limit_mib}); refused",
    "Berkas berukuran {mib} MiB, lebih besar dari daftar anggota mana pun (paling besar {limit_mib} MiB); ditolak. "
    + PERIKSA,
)
TOO_MANY_LINES = Reason(
    "too_many_lines",
    ("file", "lines", "what", "rows"),
    "{file}: {lines:,} lines; {what} has at most {rows:,} rows; refused",
    "Berkas berisi {lines:,} baris, lebih dari batas {rows:,} baris untuk satu daftar; ditolak. " + PERIKSA,
)
TOO_MANY_ROWS = Reason(
    "too_many_rows",
    ("file", "lines", "what", "rows"),
    "{file}: {lines:,} rows; {what} has at most {rows:,}: split the file; refused",
    "Berkas berisi {lines:,} baris, lebih dari batas {rows:,} baris untuk satu daftar; ditolak. " + PERIKSA,
)
TOO_WIDE = Reason(
    "too_wide",
    ("file", "row", "columns"),
    "{file}: row {row} has a filled cell past column {columns}; refused",
    "Baris ke-{row} memiliki sel terisi di luar kolom ke-{columns}; ditolak. Hapus isi di luar tabel, lalu kirim "
    "kembali.",
)
DAMAGED_CSV = Reason(
    "damaged_csv",
    ("file", "line", "error"),
    "{file}: damaged CSV near line {line}: {error}",
    'Berkas CSV rusak di sekitar baris ke-{line} (tanda kutip " yang tidak ditutup). Perbaiki baris itu atau '
    "simpan ulang dari Excel sebagai CSV, lalu kirim kembali.",
)
DAMAGED_SPREADSHEET = Reason(
    "damaged_spreadsheet",
    ("file", "error"),
    "{file}: damaged or unreadable spreadsheet ({error})",
    "Lembar kerja rusak atau tidak dapat dibaca. " + KIRIM_ULANG,
)
DAMAGED_XLS = Reason(
    "damaged_xls",
    ("file", "error"),
    "{file}: damaged .xls (its OLE2 container cannot be read: {error})",
    "Berkas .xls rusak (wadahnya tidak dapat dibaca). " + KIRIM_ULANG,
)
BECAME_LINK = Reason(
    "became_link",
    ("file",),
    "{file}: became a symbolic link after it was found; not followed",
    "Berkas berubah menjadi tautan (symbolic link) saat dibaca; tidak diikuti. Berkas akan dibaca lagi pada "
    "proses berikutnya.",
)
NO_LONGER_REGULAR = Reason(
    "no_longer_regular",
    ("file",),
    "{file}: is no longer a regular file (a pipe, socket or device); not read",
    "Berkas berubah menjadi bukan berkas biasa saat dibaca; tidak dibaca.",
)
CHANGED_WHILE_READ = Reason(
    "changed_while_read",
    ("file",),
    "{file}: changed or replaced after it was found (its content is not what was fingerprinted); not read in this run",
    "Berkas berubah atau diganti saat sedang dibaca; akan dibaca lagi pada proses berikutnya. Tidak perlu "
    "dikirim ulang jika berkasnya sudah benar.",
)
FILE_TOO_LARGE = Reason(
    "file_too_large",
    ("file", "limit_mib", "what"),
    "{file}: larger than {limit_mib} MiB, more than {what} can be; refused",
    "Berkas lebih besar dari {limit_mib} MiB, jauh lebih besar dari daftar anggota mana pun; ditolak. " + PERIKSA,
)
SHARED_PART = Reason(
    "shared_part",
    ("file", "first", "second", "part"),
    "{file}: sheets {first} and {second} of the workbook are one part ({part}), which would be read once for "
    "each; refused",
    "Lembar ke-{first} dan ke-{second} di berkas ini menunjuk ke isi yang sama (berkas tidak wajar); ditolak. "
    + KIRIM_ULANG,
)
CELLS_SPAN = Reason(
    "cells_span",
    ("file", "cells", "what", "limit"),
    "{file}: its sheets span {cells:,} cells (rows x columns to each sheet's farthest cell); {what} spans at most "
    "{limit:,}; refused",
    "Lembar-lembar kerja di berkas ini mencakup {cells:,} sel, jauh lebih luas dari daftar anggota mana pun; "
    "ditolak. Hapus isi di luar tabel daftar anggota (tekan Ctrl+End untuk menemukannya), lalu simpan dan kirim "
    "kembali.",
)
MALFORMED_XML = Reason(
    "malformed_xml",
    ("file", "member", "error"),
    "{file}: {member} cannot be checked to its end (malformed XML: {error}); refused",
    "Isi berkas tidak utuh atau tidak wajar (XML rusak) sehingga tidak dapat diperiksa sampai akhir; ditolak. "
    + KIRIM_ULANG,
)
DECODED_TEXT = Reason(
    "decoded_text",
    ("file", "mib", "what", "limit_mib"),
    "{file}: its cells hold {mib:,} MiB of text (each shared or repeated text counted in every cell showing "
    "it); {what} holds at most {limit_mib} MiB; refused",
    "Sel-sel di berkas ini berisi {mib:,} MiB teks (teks yang sama diulang di banyak sel), jauh lebih banyak dari "
    "daftar anggota mana pun; ditolak. Hapus isi di luar tabel daftar anggota, lalu simpan dan kirim kembali.",
)
XLS_STREAM = Reason(
    "xls_stream",
    ("file", "mib", "what"),
    "{file}: its workbook stream claims {mib} MiB, more than {what} can be; refused",
    "Isi berkas .xls mengaku berukuran {mib} MiB, lebih besar dari daftar anggota mana pun; ditolak. " + KIRIM_ULANG,
)
XLS_DIMENSIONS = Reason(
    "xls_dimensions",
    ("file", "sheet"),
    "{file}: sheet {sheet} of the workbook has a DIMENSIONS record ending before it starts; refused",
    "Ukuran tabel yang tercatat di berkas .xls tidak mungkin (berkas rusak); ditolak. " + KIRIM_ULANG,
)
WORKER_MEMORY = Reason(
    "worker_memory",
    ("file",),
    "{file}: reading this file needed more memory than a reading worker may use (worker_memory_mb)",
    "Membaca berkas ini membutuhkan memori lebih dari batas (isinya tidak wajar); ditolak. " + KIRIM_ULANG,
)
TIMED_OUT = Reason(
    "timed_out",
    ("seconds",),
    "reading this file took longer than the limit of {seconds:g} seconds (file_timeout_seconds); stopped. Save "
    "it again and resend, or ask the operator to raise the limit",
    "Membaca berkas ini memakan waktu lebih dari {seconds:g} detik (isinya tidak wajar); ditolak. " + KIRIM_ULANG,
)
READER_CRASHED = Reason(
    "reader_crashed",
    (),
    "the spreadsheet reader crashed on this file (damaged or hostile content, or past the memory ceiling of a "
    "reading worker, worker_memory_mb); save it again and resend",
    "Berkas rusak atau isinya tidak wajar sehingga tidak dapat dibaca. " + KIRIM_ULANG,
)
READ_FAILED = Reason(
    "read_failed",
    ("file", "error"),
    "{file}: cannot be read ({error})",
    "Berkas berubah atau rusak saat dibaca. " + KIRIM_ULANG,
)
# what the sheets hold
NO_ROSTER_SHEET = Reason(
    "no_roster_sheet",
    (),
    "no roster sheet (no header row with NIK or NAMA)",
    "Tidak ada daftar anggota di berkas ini: tidak ditemukan baris judul kolom dengan NIK atau NAMA. "
    "Gunakan format isian dengan judul kolom NO, NIK, NAMA, JABATAN dan STATUS BPJS.",
)
SHEET_EMPTY = Reason("sheet_empty", (), "sheet is empty", "Lembar kosong; tidak dibaca.")
NO_ROSTER_HEADER = Reason(
    "no_roster_header",
    (),
    "no roster header (NIK or NAMA with other known columns) in the first rows",
    "Tidak ada judul kolom daftar anggota (NIK atau NAMA bersama kolom lain) di baris-baris awal; "
    "lembar ini tidak dibaca.",
)
SEVERAL_EXPORT_KINDS = Reason(
    "several_export_kinds",
    ("kinds",),
    "holds several kinds of BPJS export ({kinds}); send one kind per file",
    "Berkas berisi beberapa jenis ekspor BPJS sekaligus ({kinds}); ditolak. Kirim satu jenis ekspor per berkas.",
)
NOT_PART_OF_EXPORT = Reason(
    "not_part_of_export", (), "not part of the BPJS export", "Bukan bagian dari ekspor BPJS; lembar ini tidak dibaca."
)
EXPORT_IN_VILLAGE_FILE = Reason(
    "export_in_village_file",
    (),
    "a BPJS list in a village's file; the branch's exports are read only from its BPJS folder",
    "Daftar dari BPJS di dalam berkas desa; lembar ini tidak dibaca (ekspor kantor cabang BPJS hanya dibaca "
    "dari folder BPJS bulan itu).",
)
EXPORT_OUTSIDE_BRANCH = Reason(
    "export_outside_branch",
    (),
    "looks like a BPJS export but is not in the period's BPJS folder: the branch's exports are read only from "
    "there, and a village's folder holds rosters",
    "Berkas ini berbentuk ekspor data BPJS, bukan daftar anggota desa; ditolak. Ekspor BPJS hanya diterima "
    "dari kantor cabang di folder BPJS bulan itu. Desa mengirim daftar anggotanya dengan judul kolom NO, NIK, "
    "NAMA, JABATAN dan STATUS BPJS.",
)
NOT_AN_EXPORT = Reason(
    "not_an_export",
    (),
    "in the period's BPJS folder but not a BPJS export (no participants, contributions or claims header)",
    "Berkas di folder BPJS ini bukan ekspor BPJS (tidak ada judul kolom data kepesertaan, iuran atau klaim); "
    "ditolak. Folder BPJS hanya untuk ekspor kantor cabang; daftar desa disimpan di folder desanya.",
)
# placement
SEVERAL_DISTRICTS = Reason(
    "several_districts",
    ("village", "districts"),
    "village {village!r} exists in several districts ({districts}) and the file names none of them; write "
    "KECAMATAN in the title block",
    "Desa “{village}” ada di beberapa kecamatan ({districts}) dan berkas tidak menyebut salah satunya. Tulis nama "
    "desa dan kecamatan di judul lembar kerja (DESA : ..., KECAMATAN : ...) atau di nama berkas "
    "(Desa Kecamatan.xlsx).",
)
WRITTEN_VILLAGE = Reason("written_village", ("name",), "village={name!r}", "tertulis DESA “{name}”", joiner=", ")
WRITTEN_DISTRICT = Reason("written_district", ("name",), "district={name!r}", "KECAMATAN “{name}”", joiner=", ")
NOTHING_WRITTEN = Reason(
    "nothing_written",
    (),
    "no DESA/KECAMATAN in the title block",
    "tidak ada DESA atau KECAMATAN di judul lembar kerja",
)
VILLAGE_NOT_FOUND = Reason(
    "village_not_found",
    ("written", "file"),
    "village not found in the official list ({written}; file {file!r})",
    "Desa tidak ditemukan dalam daftar resmi ({written}; berkas “{file}”). Tulis nama desa dan kecamatan di judul "
    "lembar kerja (DESA : ..., KECAMATAN : ...) atau di nama berkas (Desa Kecamatan.xlsx), seperti dalam daftar "
    "resmi Kemendagri.",
)
# a newer file for the same village, month and group (warehouse/statements/refresh_current.sql)
NEWER_VERSION = Reason("newer_version", ("file",), "{file} (newer version)", "{file} (versi yang lebih baru)")
SUPERSEDED = Reason(
    "superseded",
    ("by",),
    "superseded by {by}",
    "Digantikan oleh berkas {by}; berkas ini tidak dihitung lagi.",
)
SUPERSEDED_GROUP = Reason(
    "superseded_group", ("group", "label", "by"), "{group} by {by}", "kelompok {label} oleh berkas {by}"
)
SUPERSEDED_FOR = Reason(
    "superseded_for",
    ("groups",),
    "superseded for {groups}",
    "Sebagian digantikan: {groups}. Kelompok lain dari berkas ini tetap dihitung.",
)
# every group of the file replaced, by different files: nothing of it counts
SUPERSEDED_EACH = Reason(
    "superseded_each",
    ("groups",),
    "superseded: {groups}",
    "Digantikan: {groups}; berkas ini tidak dihitung lagi.",
)
# a version that arrived after its period was closed (warehouse/statements/hold_pending.sql)
HELD_UNTIL = "it counts once accepted (cakupan accept) or once the period is reopened"
DITAHAN_SAMPAI = (
    "Berkas sudah dibaca dan diperiksa, tetapi angkanya baru dihitung setelah disetujui operator kabupaten atau "
    "periode dibuka kembali."
)
HELD_REGENCY = Reason(
    "held_regency",
    ("period", "action"),
    "held: {period} is closed for the regency (action {action}); " + HELD_UNTIL,
    "ditahan: periode {period} sudah ditutup untuk seluruh kabupaten. " + DITAHAN_SAMPAI,
)
HELD_DISTRICT = Reason(
    "held_district",
    ("period", "action", "district"),
    "held: {period} is closed for kecamatan {district} (action {action}); " + HELD_UNTIL,
    "ditahan: periode {period} sudah ditutup untuk kecamatan {district}. " + DITAHAN_SAMPAI,
)
# what a passing failure's reason adds (state_batches.with_attempts): whether a later run reads the file again
READ_AGAIN = Reason(
    "read_again",
    ("attempt", "attempts"),
    " [a passing failure: read again at the next run (attempt {attempt} of {attempts})]",
    " Kegagalan sesaat: berkas akan dibaca lagi pada proses berikutnya (percobaan ke-{attempt} dari {attempts}); "
    "tidak perlu dikirim ulang jika berkasnya sudah benar.",
)
NOT_READ_AGAIN = Reason(
    "not_read_again",
    ("attempts", "retries"),
    " [a passing failure {attempts} times: not read again (file_retries = {retries}); resave and resend the file, "
    "or run with --full-refresh]",
    " Sudah gagal dibaca {attempts} kali; tidak dibaca lagi. Simpan ulang dan kirim kembali berkas ini.",
)

ENTRIES: tuple[Reason, ...] = tuple(entry for entry in list(globals().values()) if isinstance(entry, Reason))
CATALOGUE: dict[str, Reason] = {entry.code: entry for entry in ENTRIES}


def passing_note(attempt: int, retries: int) -> Said:
    """What a passing failure's reason adds: read again at the next run, or no more (after `retries` + 1 tries)."""
    if attempt <= retries:
        return READ_AGAIN(attempt=attempt, attempts=retries + 1)
    return NOT_READ_AGAIN(attempts=attempt, retries=retries)
