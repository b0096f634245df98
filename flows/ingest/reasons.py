"""File- and sheet-level reasons in Bahasa Indonesia, for the village secretary and the regency official.

Every reason the pipeline gives for a file or a sheet (rejected, ignored, superseded) is
written once in English where it arises: that is what an engineer reads in the logs, and
it keeps the exact detail (limits, byte counts, the reader's own error). This module says
each of them again in Indonesian, as `alasan`, with what to do about it. One pattern per
reason, matched anywhere in the text (most reasons start with the file's name);
`tests/test_reasons.py` holds an example of every pattern and checks that every reason
the hostile and messy corpora produce has its translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

KIRIM_ULANG = "Simpan ulang berkas di Excel atau LibreOffice (Simpan Sebagai .xlsx), lalu kirim kembali."
UNTRANSLATED = "Berkas tidak dapat diproses"


@dataclass(frozen=True)
class Translation:
    """An English reason (a regular expression over it) and its Indonesian text (`{1}` = group 1), or a
    function of the match that writes it.
    """

    pattern: re.Pattern[str]
    alasan: str | Callable[[re.Match[str]], str]

    def text(self, match: re.Match[str]) -> str:
        if callable(self.alasan):
            return self.alasan(match)
        return self.alasan.format(None, *match.groups())


def said(pattern: str, alasan: str | Callable[[re.Match[str]], str]) -> Translation:
    return Translation(re.compile(pattern, re.DOTALL), alasan)


def newer(source_file: str) -> str:
    """`a.xlsx (newer version)`, as refresh_current.sql names a file replaced by itself sent again."""
    return source_file.replace(" (newer version)", " (versi yang lebih baru)")


def superseded(match: re.Match[str]) -> str:
    return f"Digantikan oleh berkas {newer(match.group(1))}; berkas ini tidak dihitung lagi."


def partly_superseded(match: re.Match[str]) -> str:
    """`superseded for RT_RW by a.xlsx; LINMAS by b.xlsx` (warehouse/statements/refresh_current.sql)."""
    parts = [part.split(" by ", 1) for part in match.group(1).split("; ")]
    replaced = "; ".join(f"kelompok {group.replace('_', '/')} oleh berkas {newer(by)}" for group, by in parts)
    return f"Sebagian digantikan: {replaced}. Kelompok lain dari berkas ini tetap dihitung."


def village_not_found(match: re.Match[str]) -> str:
    """`village not found in the official list (village='X', district='Y'; file '...')` (flows/ingest/place.py)."""
    written = dict(re.findall(r"(village|district)='([^']*)'", match.group(1)))
    found = ", ".join(f"{WORDS[key]} '{value}'" for key, value in written.items()) or (
        "tidak ada DESA atau KECAMATAN di judul lembar kerja"
    )
    return (
        f"Desa tidak ditemukan dalam daftar resmi ({found}; berkas '{match.group(2)}'). Tulis nama desa dan "
        "kecamatan di judul lembar kerja (DESA : ..., KECAMATAN : ...) atau di nama berkas (Desa Kecamatan.xlsx), "
        "seperti dalam daftar resmi Kemendagri."
    )


WORDS = {"village": "tertulis DESA", "district": "KECAMATAN"}


TRANSLATIONS: tuple[Translation, ...] = (
    # discovery: the file could not even be looked at
    said(
        r"file name is not valid UTF-8",
        "Nama berkas memuat huruf yang tidak dapat dibaca. Ganti nama berkas dengan huruf dan angka biasa, "
        "lalu kirim kembali.",
    ),
    said(r"^symbolic link to (.*), not followed", "Tautan (symbolic link) ke {1}; tautan tidak diikuti, tidak dibaca."),
    said(r"not a regular file", "Bukan berkas biasa (pipe, socket atau perangkat); tidak dibaca."),
    said(
        r"^folder cannot be read: (.*)",
        "Folder tidak dapat dibuka ({1}). Petugas kabupaten perlu memperbaiki izin folder ini.",
    ),
    said(
        r"^cannot be read: (.*)",
        "Berkas tidak dapat dibuka ({1}). Petugas kabupaten perlu memperbaiki izin atau nama berkas ini.",
    ),
    # files that are not submissions
    said(r"not under a raw/<YYYY-MM>/ period folder", "Tidak berada di dalam folder bulan (TTTT-BB); tidak dibaca."),
    said(
        r"^lock file left by", "Berkas kunci sementara dari Excel atau LibreOffice, bukan kiriman data; tidak dibaca."
    ),
    said(
        r"^not a spreadsheet \((.*)\)",
        "Bukan lembar kerja ({1}). Kirim data dalam bentuk Excel (.xlsx atau .xls), LibreOffice (.ods) atau .csv.",
    ),
    said(
        r"^same content as (.*)", "Isinya sama persis dengan berkas {1} yang sudah diterima; tidak dihitung dua kali."
    ),
    # reading
    said(r"the file is empty \(0 bytes\)", "Berkas kosong (0 byte). Kirim kembali berkas yang berisi data."),
    said(
        r"password-protected",
        "Berkas dilindungi kata sandi. Simpan ulang tanpa kata sandi, lalu kirim kembali.",
    ),
    said(
        r"^a (PDF document|PNG image|JPEG image|RTF document), not a spreadsheet",
        "Berkas ini dokumen atau gambar, bukan lembar kerja. Kirim data dalam bentuk Excel (.xlsx atau .xls), "
        "LibreOffice (.ods) atau .csv, bukan hasil cetak atau foto.",
    ),
    said(
        r"not a spreadsheet or text file \(binary content\)",
        "Bukan lembar kerja atau teks. Kirim data dalam bentuk Excel (.xlsx atau .xls), LibreOffice (.ods) atau .csv.",
    ),
    said(
        r"unpacks to more than (\d+) MiB",
        "Isi berkas setelah dibuka lebih dari {1} MiB, jauh lebih besar dari daftar anggota mana pun; ditolak. "
        "Simpan hanya lembar daftar anggota ke berkas baru, lalu kirim kembali.",
    ),
    said(r"damaged file \(corrupt zip archive", "Berkas rusak (arsip tidak utuh). " + KIRIM_ULANG),
    said(
        r"holds a text of more than ([\d,]+) characters",
        "Ada satu sel berisi lebih dari {1} huruf, melebihi batas sel lembar kerja; ditolak. " + KIRIM_ULANG,
    ),
    said(
        r"has a cell at column (\d+), row (\d+)",
        "Ada sel terisi jauh di luar tabel (kolom ke-{1}, baris ke-{2}); ditolak. Hapus isi di luar tabel "
        "daftar anggota, lalu simpan dan kirim kembali.",
    ),
    said(
        r"(\d+) MiB, more than (?:a roster|a BPJS export) can be \(at most (\d+)\)",
        "Berkas berukuran {1} MiB, lebih besar dari daftar anggota mana pun (paling besar {2} MiB); ditolak. "
        "Periksa apakah berkas yang dikirim sudah benar.",
    ),
    said(
        r"([\d,]+) (?:lines|rows); (?:a roster|a BPJS export) has at most ([\d,]+)",
        "Berkas berisi {1} baris, lebih dari batas {2} baris untuk satu daftar; ditolak. "
        "Periksa apakah berkas yang dikirim sudah benar.",
    ),
    said(
        r"row (\d+) has a filled cell past column (\d+)",
        "Baris ke-{1} memiliki sel terisi di luar kolom ke-{2}; ditolak. Hapus isi di luar tabel, lalu kirim kembali.",
    ),
    said(
        r"damaged CSV near line (\d+)",
        'Berkas CSV rusak di sekitar baris ke-{1} (tanda kutip " yang tidak ditutup). Perbaiki baris itu atau '
        "simpan ulang dari Excel sebagai CSV, lalu kirim kembali.",
    ),
    said(r"damaged or unreadable spreadsheet", "Lembar kerja rusak atau tidak dapat dibaca. " + KIRIM_ULANG),
    said(r"^damaged \.xls", "Berkas .xls rusak (wadahnya tidak dapat dibaca). " + KIRIM_ULANG),
    said(
        r"^became a symbolic link after it was found",
        "Berkas berubah menjadi tautan (symbolic link) saat dibaca; tidak diikuti. Berkas akan dibaca lagi pada "
        "proses berikutnya.",
    ),
    said(r"^is no longer a regular file", "Berkas berubah menjadi bukan berkas biasa saat dibaca; tidak dibaca."),
    said(
        r"^changed or replaced after it was found",
        "Berkas berubah atau diganti saat sedang dibaca; akan dibaca lagi pada proses berikutnya. Tidak perlu "
        "dikirim ulang jika berkasnya sudah benar.",
    ),
    said(
        r"^larger than (\d+) MiB",
        "Berkas lebih besar dari {1} MiB, jauh lebih besar dari daftar anggota mana pun; ditolak. Periksa apakah "
        "berkas yang dikirim sudah benar.",
    ),
    said(
        r"^sheets (\d+) and (\d+) of the workbook are one part",
        "Lembar ke-{1} dan ke-{2} di berkas ini menunjuk ke isi yang sama (berkas tidak wajar); ditolak. "
        + KIRIM_ULANG,
    ),
    said(
        r"^its sheets span ([\d,]+) cells",
        "Lembar-lembar kerja di berkas ini mencakup {1} sel, jauh lebih luas dari daftar anggota mana pun; ditolak. "
        "Hapus isi di luar tabel daftar anggota (tekan Ctrl+End untuk menemukannya), lalu simpan dan kirim kembali.",
    ),
    said(
        r"cannot be checked to its end \(malformed XML",
        "Isi berkas tidak utuh atau tidak wajar (XML rusak) sehingga tidak dapat diperiksa sampai akhir; ditolak. "
        + KIRIM_ULANG,
    ),
    said(
        r"^its cells hold ([\d,]+) MiB of text",
        "Sel-sel di berkas ini berisi {1} MiB teks (teks yang sama diulang di banyak sel), jauh lebih banyak dari "
        "daftar anggota mana pun; ditolak. Hapus isi di luar tabel daftar anggota, lalu simpan dan kirim kembali.",
    ),
    said(
        r"needed more memory than a reading worker may use",
        "Membaca berkas ini membutuhkan memori lebih dari batas (isinya tidak wajar); ditolak. " + KIRIM_ULANG,
    ),
    said(
        r"^its workbook stream claims (\d+) MiB",
        "Isi berkas .xls mengaku berukuran {1} MiB, lebih besar dari daftar anggota mana pun; ditolak. " + KIRIM_ULANG,
    ),
    said(
        r"has a DIMENSIONS record ending before it starts",
        "Ukuran tabel yang tercatat di berkas .xls tidak mungkin (berkas rusak); ditolak. " + KIRIM_ULANG,
    ),
    said(
        r"^reading this file took longer than the limit of ([\d.]+) seconds",
        "Membaca berkas ini memakan waktu lebih dari {1} detik (isinya tidak wajar); ditolak. " + KIRIM_ULANG,
    ),
    said(
        r"the spreadsheet reader crashed",
        "Berkas rusak atau isinya tidak wajar sehingga tidak dapat dibaca. " + KIRIM_ULANG,
    ),
    said(r"^cannot be read \(", "Berkas berubah atau rusak saat dibaca. " + KIRIM_ULANG),
    # what the sheets hold
    said(
        r"^no roster sheet",
        "Tidak ada daftar anggota di berkas ini: tidak ditemukan baris judul kolom dengan NIK atau NAMA. "
        "Gunakan format isian dengan judul kolom NO, NIK, NAMA, JABATAN dan STATUS BPJS.",
    ),
    said(r"^sheet is empty$", "Lembar kosong; tidak dibaca."),
    said(
        r"^no roster header",
        "Tidak ada judul kolom daftar anggota (NIK atau NAMA bersama kolom lain) di baris-baris awal; "
        "lembar ini tidak dibaca.",
    ),
    said(
        r"^holds several kinds of BPJS export \((.*)\)",
        "Berkas berisi beberapa jenis ekspor BPJS sekaligus ({1}); ditolak. Kirim satu jenis ekspor per berkas.",
    ),
    said(r"^not part of the BPJS export$", "Bukan bagian dari ekspor BPJS; lembar ini tidak dibaca."),
    said(
        r"^a BPJS list in a village's file",
        "Daftar dari BPJS di dalam berkas desa; lembar ini tidak dibaca (ekspor kantor cabang BPJS hanya dibaca "
        "dari folder BPJS bulan itu).",
    ),
    said(
        r"^looks like a BPJS export but is not in the period.s BPJS",
        "Berkas ini berbentuk ekspor data BPJS, bukan daftar anggota desa; ditolak. Ekspor BPJS hanya diterima "
        "dari kantor cabang di folder BPJS bulan itu. Desa mengirim daftar anggotanya dengan judul kolom NO, NIK, "
        "NAMA, JABATAN dan STATUS BPJS.",
    ),
    said(
        r"^in the period's BPJS folder but not a BPJS export",
        "Berkas di folder BPJS ini bukan ekspor BPJS (tidak ada judul kolom data kepesertaan, iuran atau klaim); "
        "ditolak. Folder BPJS hanya untuk ekspor kantor cabang; daftar desa disimpan di folder desanya.",
    ),
    # placement
    said(
        r"^village '(.*)' exists in several districts \((.*)\) and",
        "Desa '{1}' ada di beberapa kecamatan ({2}) dan berkas tidak menyebut salah satunya. Tulis nama desa dan "
        "kecamatan di judul lembar kerja (DESA : ..., KECAMATAN : ...) atau di nama berkas (Desa Kecamatan.xlsx).",
    ),
    said(r"^village not found in the official list \((.*); file '(.*)'\)$", village_not_found),
    # a newer file for the same village, month and group
    said(r"^superseded by (.*)$", superseded),
    said(r"^superseded for (.*)$", partly_superseded),
)


def passing_note(attempt: int, retries: int) -> str:
    """What a passing failure's reason adds (state.with_attempts): whether a later run reads the file again."""
    if attempt <= retries:
        return f" [a passing failure: read again at the next run (attempt {attempt} of {retries + 1})]"
    return (
        f" [a passing failure {attempt} times: not read again (file_retries = {retries}); "
        "resave and resend the file, or run with --full-refresh]"
    )


PASSING_NOTE = re.compile(
    r" \[a passing failure(?:: read again at the next run \(attempt (\d+) of (\d+)\)| (\d+) times: .*)\]$"
)


def passing_alasan(match: re.Match[str]) -> str:
    if match.group(1):
        return (
            f" Kegagalan sesaat: berkas akan dibaca lagi pada proses berikutnya (percobaan ke-{match.group(1)} "
            f"dari {match.group(2)}); tidak perlu dikirim ulang jika berkasnya sudah benar."
        )
    return f" Sudah gagal dibaca {match.group(3)} kali; tidak dibaca lagi. Simpan ulang dan kirim kembali berkas ini."


def alasan(reason: str | None, source_file: str | None = None) -> str | None:
    """The Indonesian for one English reason about `source_file`; none for an empty or missing reason.

    The file's own name, which starts most reasons, is taken off first: a name may hold any words.
    A passing failure's note (`passing_note`) is said after the reason.
    """
    if not reason:
        return None
    note = PASSING_NOTE.search(reason)
    said_note = passing_alasan(note) if note else ""
    reason = reason[: note.start()] if note else reason
    name = (source_file or "").rpartition("/")[2]
    detail = reason.removeprefix(f"{name}: ") if name else reason
    for translation in TRANSLATIONS:
        match = translation.pattern.search(detail)
        if match:
            return translation.text(match) + said_note
    return f"{UNTRANSLATED} ({reason}). Hubungi petugas kabupaten." + said_note
