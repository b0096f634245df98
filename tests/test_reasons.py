"""The catalogue of reasons (flows/ingest/reasons.py): every entry said in both languages, with its parameters.

That every path which rejects, ignores, skips, supersedes or holds a file records an entry of the
catalogue is checked after every run a test builds (tests/helpers.assert_reasons_catalogued).
"""

from __future__ import annotations

import re
import string

import pytest

from flows.ingest.reasons import (
    CATALOGUE,
    ENTRIES,
    NEWER_VERSION,
    NOTHING_WRITTEN,
    SUPERSEDED,
    SUPERSEDED_EACH,
    SUPERSEDED_FOR,
    SUPERSEDED_GROUP,
    VILLAGE_NOT_FOUND,
    WRITTEN_DISTRICT,
    WRITTEN_VILLAGE,
    Reason,
    Said,
    fields_of,
    passing_note,
)


@pytest.mark.parametrize("reason", ENTRIES, ids=lambda reason: reason.code)
def test_every_reason_is_said_in_both_languages_with_the_parameters_it_declares(reason: Reason) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", reason.code)
    assert reason.english.strip() and reason.indonesian.strip() and reason.english != reason.indonesian
    declared = set(reason.params)
    assert len(declared) == len(reason.params), f"{reason.code}: a parameter declared twice"
    assert fields_of(reason.english) <= declared, f"{reason.code}: its English uses an undeclared parameter"
    assert fields_of(reason.indonesian) <= declared, f"{reason.code}: its Indonesian uses an undeclared parameter"
    assert declared <= fields_of(reason.english) | fields_of(reason.indonesian), f"{reason.code}: a parameter unused"
    # every template renders with any value of its parameters (numbers too: `{cells:,}`, `{seconds:g}`)
    said = reason(**dict.fromkeys(reason.params, 7))
    assert "{" not in said.english.replace("{7", "") and said.alasan


@pytest.mark.parametrize("reason", ENTRIES, ids=lambda reason: reason.code)
def test_the_indonesian_says_texts_as_written_and_numbers_as_indonesians_write_them(reason: Reason) -> None:
    """No Python quoting (`{name!r}`: 'X', "Suka'maju") and no English thousands separator in an alasan."""
    assert all(conversion is None for *_, conversion in string.Formatter().parse(reason.indonesian)), reason.code
    hostile = 'SUKA\'MAJU / "KIDUL"'
    fields = [*string.Formatter().parse(reason.english), *string.Formatter().parse(reason.indonesian)]
    numeric = {name for _, name, spec, _ in fields if name and spec}
    said = reason(**{name: 1_234_567 if name in numeric else hostile for name in reason.params})
    assert repr(hostile) not in said.alasan and "1,234,567" not in said.alasan, said.alasan


def test_a_place_written_with_quotes_is_said_as_written() -> None:
    said = VILLAGE_NOT_FOUND(
        written=[WRITTEN_VILLAGE(name="SUKA'MAJU / KIDUL"), WRITTEN_DISTRICT(name="CILONGOK")],
        file="2024-04/Cilongok/Desa Suka'maju.xlsx",
    )
    assert said.alasan.startswith(
        "Desa tidak ditemukan dalam daftar resmi (tertulis DESA “SUKA'MAJU / KIDUL”, KECAMATAN “CILONGOK”; "
        "berkas “2024-04/Cilongok/Desa Suka'maju.xlsx”)."
    )
    assert CATALOGUE["timed_out"](seconds=2.5).alasan.startswith("Membaca berkas ini memakan waktu lebih dari 2,5")


def test_codes_are_unique_and_every_entry_is_in_the_catalogue() -> None:
    assert len(CATALOGUE) == len(ENTRIES) == len({entry.code for entry in ENTRIES})


def test_a_reason_takes_its_parameters_all_and_only() -> None:
    with pytest.raises(TypeError, match="superseded takes"):
        SUPERSEDED()
    with pytest.raises(TypeError, match="superseded takes"):
        SUPERSEDED(by="a.xlsx", file="b.xlsx")


def test_a_recorded_reason_is_said_again_from_its_code_and_parameters() -> None:
    said = SUPERSEDED_FOR(
        groups=[
            SUPERSEDED_GROUP(group="BPD", label="BPD", by="2024-04/b.xlsx"),
            SUPERSEDED_GROUP(group="RT_RW", label="RT/RW", by=NEWER_VERSION(file="2024-04/a.xlsx")),
        ]
    )
    english, code, params, alasan = said.recorded()
    again = Said.from_json(code, params)
    assert (again.english, again.alasan) == (english, alasan)
    assert Said.unpacked(said.packed()) == said


# what the village secretary reads, kept word for word from the texts before the catalogue
TWO_GROUPS = [  # a file's two groups, each replaced by another file
    SUPERSEDED_GROUP(group="BPD", label="BPD", by="2024-04/b.xlsx"),
    SUPERSEDED_GROUP(group="RT_RW", label="RT/RW", by="2024-04/c.xlsx"),
]
WORDING = [
    (
        SUPERSEDED(by=NEWER_VERSION(file="2024-04/a.xlsx")),
        "superseded by 2024-04/a.xlsx (newer version)",
        "Digantikan oleh berkas 2024-04/a.xlsx (versi yang lebih baru); berkas ini tidak dihitung lagi.",
    ),
    (
        SUPERSEDED_FOR(groups=TWO_GROUPS),
        "superseded for BPD by 2024-04/b.xlsx; RT_RW by 2024-04/c.xlsx",
        "Sebagian digantikan: kelompok BPD oleh berkas 2024-04/b.xlsx; kelompok RT/RW oleh berkas 2024-04/c.xlsx. "
        "Kelompok lain dari berkas ini tetap dihitung.",
    ),
    (
        SUPERSEDED_EACH(groups=TWO_GROUPS),
        "superseded: BPD by 2024-04/b.xlsx; RT_RW by 2024-04/c.xlsx",
        "Digantikan: kelompok BPD oleh berkas 2024-04/b.xlsx; kelompok RT/RW oleh berkas 2024-04/c.xlsx; berkas ini "
        "tidak dihitung lagi.",
    ),
    (
        VILLAGE_NOT_FOUND(written=[WRITTEN_VILLAGE(name="X"), WRITTEN_DISTRICT(name="Y")], file="2024-04/x.xlsx"),
        "village not found in the official list (village='X', district='Y'; file '2024-04/x.xlsx')",
        "Desa tidak ditemukan dalam daftar resmi (tertulis DESA “X”, KECAMATAN “Y”; berkas “2024-04/x.xlsx”).",
    ),
    (
        VILLAGE_NOT_FOUND(written=NOTHING_WRITTEN(), file="2024-04/r.xlsx"),
        "village not found in the official list (no DESA/KECAMATAN in the title block; file '2024-04/r.xlsx')",
        "Desa tidak ditemukan dalam daftar resmi (tidak ada DESA atau KECAMATAN di judul lembar kerja; berkas",
    ),
    (
        CATALOGUE["too_many_lines"](file="a.csv", lines=1_000_001, what="a roster", rows=100_000),
        "a.csv: 1,000,001 lines; a roster has at most 100,000 rows; refused",
        "Berkas berisi 1.000.001 baris, lebih dari batas 100.000 baris untuk satu daftar; ditolak.",
    ),
    (
        CATALOGUE["symbolic_link"](target="/etc/passwd"),
        "symbolic link to /etc/passwd, not followed",
        "Tautan (symbolic link) ke /etc/passwd; tautan tidak diikuti, tidak dibaca.",
    ),
]


@pytest.mark.parametrize(("said", "english", "alasan"), WORDING, ids=lambda value: getattr(value, "code", ""))
def test_the_wording_villages_read_is_kept(said: Said, english: str, alasan: str) -> None:
    assert said.english == english and said.alasan.startswith(alasan)


@pytest.mark.parametrize(
    ("attempt", "retries", "english", "alasan"),
    [
        (
            1,
            3,
            "read again at the next run (attempt 1 of 4)",
            "akan dibaca lagi pada proses berikutnya (percobaan ke-1 dari 4)",
        ),
        (
            4,
            3,
            "a passing failure 4 times: not read again (file_retries = 3)",
            "Sudah gagal dibaca 4 kali; tidak dibaca lagi",
        ),
    ],
)
def test_a_passing_failure_says_whether_it_is_read_again(attempt: int, retries: int, english: str, alasan: str) -> None:
    note = passing_note(attempt, retries)
    assert english in note.english and alasan in note.alasan
