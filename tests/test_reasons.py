"""Every file- and sheet-level reason said again in Bahasa Indonesia, with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.ingest.reasons import TRANSLATIONS, UNTRANSLATED, alasan
from tests.helpers import query

# (source_file, reason as the pipeline writes it, the start of what the secretary reads)
SAMPLES = [
    ("2024-04/\\xff.xlsx", "file name is not valid UTF-8 (rename the file)", "Nama berkas memuat huruf"),
    ("2024-04/a.xlsx", "symbolic link to /etc/passwd, not followed", "Tautan (symbolic link) ke /etc/passwd"),
    ("2024-04/fifo", "not a regular file (a pipe, socket or device)", "Bukan berkas biasa"),
    ("2024-04/x/", "folder cannot be read: Permission denied", "Folder tidak dapat dibuka (Permission denied)"),
    ("2024-04/a.xlsx", "cannot be read: Permission denied", "Berkas tidak dapat dibuka (Permission denied)"),
    ("a.xlsx", "not under a raw/<YYYY-MM>/ period folder", "Tidak berada di dalam folder bulan"),
    ("2024-04/~$a.xlsx", "lock file left by Excel or LibreOffice, not a submission", "Berkas kunci sementara"),
    ("2024-04/a.pdf", "not a spreadsheet (.pdf)", "Bukan lembar kerja (.pdf)"),
    ("2024-04/b.xlsx", "same content as 2024-04/a.xlsx", "Isinya sama persis dengan berkas 2024-04/a.xlsx"),
    ("2024-04/a.xlsx", "a.xlsx: the file is empty (0 bytes)", "Berkas kosong (0 byte)"),
    ("2024-04/a.xlsx", "a.xlsx: the workbook is password-protected; send it", "Berkas dilindungi kata sandi"),
    ("2024-04/a.xls", "a.xls: not a spreadsheet or text file (binary content)", "Bukan lembar kerja atau teks"),
    ("2024-04/a.xlsx", "a.xlsx: unpacks to more than 256 MiB (its headers claim 0 MiB", "Isi berkas setelah dibuka"),
    ("2024-04/a.xlsx", "a.xlsx: damaged file (corrupt zip archive: Bad magic number)", "Berkas rusak (arsip"),
    ("2024-04/a.xlsx", "a.xlsx: xl/s.xml holds a text of more than 32,767 characters", "Ada satu sel berisi lebih"),
    ("2024-04/a.xlsx", "a.xlsx: xl/s.xml has a cell at column 16384, row 1; a roster", "Ada sel terisi jauh di luar"),
    ("2024-04/a.csv", "a.csv: 65 MiB, more than a roster can be (at most 64); refused", "Berkas berukuran 65 MiB"),
    ("2024-04/a.csv", "a.csv: 1,000,001 lines; a roster has at most 100,000 rows", "Berkas berisi 1,000,001 baris"),
    ("2024-04/a.csv", "a.csv: row 3 has a filled cell past column 256; refused", "Baris ke-3 memiliki sel terisi"),
    (
        "2024-04/a.csv",
        "a.csv: damaged CSV near line 7: unexpected end of data",
        "Berkas CSV rusak di sekitar baris ke-7",
    ),
    ("2024-04/a.xls", "a.xls: damaged or unreadable spreadsheet (Xls error)", "Lembar kerja rusak"),
    ("2024-04/a.xls", "the spreadsheet reader crashed on this file (damaged", "Berkas rusak atau isinya tidak wajar"),
    ("2024-04/a.xls", "a.xls: cannot be read (FileNotFoundError: gone)", "Berkas berubah atau rusak saat dibaca"),
    ("2024-04/a.xls", "a.xls: damaged .xls (its OLE2 container cannot be read: x)", "Berkas .xls rusak"),
    (
        "2024-04/a.xls",
        "a.xls: became a symbolic link after it was found; not followed",
        "Berkas berubah menjadi tautan",
    ),
    ("2024-04/a.xls", "a.xls: is no longer a regular file (a pipe, socket or device)", "Berkas berubah menjadi bukan"),
    ("2024-04/a.xls", "a.xls: changed or replaced after it was found (its content", "Berkas berubah atau diganti"),
    ("2024-04/a.xls", "a.xls: larger than 256 MiB, more than a roster can be; refused", "Berkas lebih besar dari 256"),
    ("2024-04/a.xlsx", "a.xlsx: sheets 1 and 2 of the workbook are one part (x)", "Lembar ke-1 dan ke-2"),
    (
        "2024-04/a.xlsx",
        "a.xlsx: its sheets span 25,600,000 cells (rows x",
        "Lembar-lembar kerja di berkas ini mencakup",
    ),
    ("2024-04/a.xls", "a.xls: its workbook stream claims 300 MiB, more than", "Isi berkas .xls mengaku berukuran 300"),
    ("2024-04/a.xls", "a.xls: sheet 1 of the workbook has a DIMENSIONS record ending before it starts", "Ukuran tabel"),
    (
        "2024-04/a.xls",
        "reading this file took longer than the limit of 120 seconds (file",
        "Membaca berkas ini memakan",
    ),
    ("2024-04/a.xlsx", "no roster sheet (no header row with NIK or NAMA)", "Tidak ada daftar anggota"),
    ("2024-04/a.xlsx", "sheet is empty", "Lembar kosong"),
    (
        "2024-04/b.xlsx",
        "holds several kinds of BPJS export (bpjs_contributions, bpjs_claims); send",
        "Berkas berisi beberapa",
    ),
    ("2024-04/b.xlsx", "not part of the BPJS export", "Bukan bagian dari ekspor BPJS"),
    ("2024-04/b.xlsx", "a BPJS list in a village's file; the branch's exports are", "Daftar dari BPJS di dalam berkas"),
    ("2024-04/b.xlsx", "looks like a BPJS export but is not in the period's BPJS", "Berkas ini berbentuk ekspor"),
    ("2024-04/BPJS/b.xlsx", "in the period's BPJS folder but not a BPJS export (no", "Berkas di folder BPJS ini"),
    ("2024-04/a.xlsx", "no roster header (NIK or NAMA with other known columns) in the first rows", "Tidak ada judul"),
    (
        "2024-04/Ciberem.xlsx",
        "village 'Ciberem' exists in several districts (Kebasen, Sumbang) and the file names none of them",
        "Desa 'Ciberem' ada di beberapa kecamatan (Kebasen, Sumbang)",
    ),
    (
        "2024-04/x.xlsx",
        "village not found in the official list (village='X', district='Y'; file '2024-04/x.xlsx')",
        "Desa tidak ditemukan dalam daftar resmi (tertulis DESA 'X', KECAMATAN 'Y'; berkas '2024-04/x.xlsx')",
    ),
    (
        "2024-04/r.xlsx",
        "village not found in the official list (no DESA/KECAMATAN in the title block; file '2024-04/r.xlsx')",
        "Desa tidak ditemukan dalam daftar resmi (tidak ada DESA atau KECAMATAN di judul lembar kerja; berkas",
    ),
    ("2024-04/a.xlsx", "a.xlsx: a PDF document, not a spreadsheet or text file", "Berkas ini dokumen atau gambar"),
    ("2024-04/a.xlsx", "superseded by 2024-04/b.xlsx", "Digantikan oleh berkas 2024-04/b.xlsx"),
    (
        "2024-04/a.xlsx",
        "superseded by 2024-04/a.xlsx (newer version)",
        "Digantikan oleh berkas 2024-04/a.xlsx (versi yang lebih baru); berkas",
    ),
    (
        "2024-04/a.xlsx",
        "superseded for BPD by 2024-04/b.xlsx; RT_RW by 2024-04/c.xlsx",
        "Sebagian digantikan: kelompok BPD oleh berkas 2024-04/b.xlsx; kelompok RT/RW oleh berkas 2024-04/c.xlsx.",
    ),
]


@pytest.mark.parametrize(("source_file", "reason", "expected"), SAMPLES)
def test_each_reason_is_said_in_indonesian(source_file: str, reason: str, expected: str) -> None:
    assert (alasan(reason, source_file) or "").startswith(expected)


def test_every_translation_has_a_sample_and_none_is_shadowed() -> None:
    used = {
        next(t for t in TRANSLATIONS if t.pattern.search(r.removeprefix(f"{f.rpartition('/')[2]}: ")))
        for f, r, _ in SAMPLES
    }
    assert used == set(TRANSLATIONS)


def test_a_file_name_cannot_choose_the_reason() -> None:
    # the name is taken off before matching: a file named like a reason is read by its reason
    said = alasan(
        "the file is empty (0 bytes).xlsx: damaged or unreadable spreadsheet (x)",
        "2024-04/the file is empty (0 bytes).xlsx",
    )
    assert said is not None and said.startswith("Lembar kerja rusak")


def test_an_unknown_reason_is_still_said_in_indonesian_and_kept_whole() -> None:
    said = alasan("something new", "2024-04/a.xlsx")
    assert said == f"{UNTRANSLATED} (something new). Hubungi petugas kabupaten."
    assert alasan("", "a.xlsx") is None and alasan(None, None) is None


def assert_said_in_indonesian(warehouse: Path) -> None:
    """Every file and sheet reason of a warehouse has its Indonesian translation (none falls back)."""
    untranslated = query(
        warehouse,
        "select reason from ingested_files where reason <> '' and (alasan is null or alasan like '"
        + UNTRANSLATED
        + "%') union all select reason from ingested_sheets where reason <> '' and alasan like '"
        + UNTRANSLATED
        + "%'",
    )
    assert untranslated == []
