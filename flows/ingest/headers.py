"""Header cells and sheet names as villages write them, mapped to the pipeline's names."""

from __future__ import annotations

import functools
import re

# canonical column -> header aliases seen in village files (compared after `header_key`)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "row_no": ("NO", "NO URUT", "NOMOR"),
    "nik": ("NIK", "NO KTP", "NIK KTP", "NOMOR INDUK KEPENDUDUKAN", "NOMOR KTP"),
    "name": ("NAMA", "NAMA LENGKAP", "NAMA PESERTA"),
    "sex": ("JENIS KELAMIN", "JK", "L P", "KELAMIN"),
    "birth_date": ("TANGGAL LAHIR", "TGL LAHIR"),
    "birth_place_date": ("TEMPAT TANGGAL LAHIR", "TEMPAT TGL LAHIR", "TTL"),
    "role": ("JABATAN", "KEDUDUKAN", "JABATAN KEDUDUKAN"),
    "rt": ("RT",),
    "rw": ("RW",),
    "rt_rw": ("RT RW",),
    "status": (
        "STATUS",
        "STATUS BPJS",
        "STATUS KEPESERTAAN",
        "KEPESERTAAN BPJS TK",
        "SUDAH BELUM",
        "STATUS BPJS TK",
        "KEPESERTAAN",
    ),
    "kpj": ("NO KPJ", "NOMOR KPJ", "KPJ", "NO KARTU", "NO PESERTA", "NOMOR PESERTA"),
    "start_date": ("TMT", "TGL KEPESERTAAN", "TANGGAL KEPESERTAAN", "TANGGAL DAFTAR", "TGL DAFTAR"),
    "contribution_source": ("SUMBER IURAN", "SUMBER DANA", "PEMBIAYAAN"),
    "contribution": ("IURAN", "IURAN BULAN", "IURAN PER BULAN", "BESAR IURAN"),
    "occupation": ("PEKERJAAN", "JENIS PEKERJAAN"),
    "notes": ("KETERANGAN", "KET"),
}
ALIAS_TO_COLUMN = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}
CANONICAL_COLUMNS = tuple(COLUMN_ALIASES)

# sheet names that name a group (compared after `header_key`)
SHEET_GROUPS: dict[str, str] = {
    "BPD": "BPD",
    "RT RW": "RT_RW",
    "RTRW": "RT_RW",
    "RT": "RT_RW",
    "LINMAS": "LINMAS",
    "SATLINMAS": "LINMAS",
    "LKD": "LKD",
    "PEKERJA RENTAN": "RENTAN",
    "RENTAN": "RENTAN",
}

_PARENTHESISED = re.compile(r"\([^)]*\)")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def header_key(text: str) -> str:
    """Upper case, no units in brackets, punctuation and line breaks as single spaces."""
    return _NOT_ALNUM.sub(" ", _PARENTHESISED.sub(" ", text.upper())).strip()


@functools.lru_cache(maxsize=8192)  # the same few hundred labels and title lines recur in every file
def canonical_column(label: str | None) -> str | None:
    """The pipeline's name for a header cell, or None when it is not a known column."""
    return ALIAS_TO_COLUMN.get(header_key(label)) if label else None


def sheet_group(sheet_name: str) -> str | None:
    """The group a per-group sheet's name gives (`RT-RW` -> `RT_RW`), if any."""
    return SHEET_GROUPS.get(header_key(sheet_name))


def file_group(source_file: str) -> str | None:
    """The group a per-group file's name gives (`Batuanten - LINMAS.xlsx` -> LINMAS), if exactly one."""
    words = f" {header_key(source_file.rsplit('/', 1)[-1].rsplit('.', 1)[0])} "
    found = {group for name, group in SHEET_GROUPS.items() if name != "RT" and f" {name} " in words}
    return found.pop() if len(found) == 1 else None
