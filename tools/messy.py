"""A messy landing zone with known truth: every quirk of docs/input-spreadsheets.md, seeded.

Each village file gets a random format (xlsx by two writers, csv in three encodings and
two delimiters, html or xlsx posing as .xls, and real .xls/.ods through LibreOffice when
installed), layout (title block of 0-8 rows, per-group sheets or one sheet with a role
column, stray sheets, two-row headers, blank rows, totals and signatures), header aliases
and value forms. Rows that must be rejected are added beside the real people, so the
coverage truth is the clean truth; warnings (movers' NIKs, exact duplicate rows) are loaded.
Special files (empty, corrupt, password-protected, lock files, an unplaceable village) are
added with the status they must get.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter

from flows.settings import BANYUMAS_REGENCY_CODE
from flows.store.reference import load_villages
from tools.generate import MONTHS_ID, PERIODS, SHEET_NAMES, Person, build_people, people_truth, truth

Cell = str | int | float | dt.date | None

ALIASES = {
    "nik": ("NIK", "NO KTP", "NO. KTP", "NIK KTP", "NOMOR INDUK KEPENDUDUKAN"),
    "name": ("NAMA", "NAMA LENGKAP", "NAMA PESERTA"),
    "sex": ("JENIS KELAMIN", "JK", "L/P"),
    "birth_date": ("TANGGAL LAHIR", "TGL LAHIR", "TGL. LAHIR"),
    "ttl": ("TEMPAT, TANGGAL LAHIR", "TTL"),
    "role": ("JABATAN", "KEDUDUKAN", "JABATAN/KEDUDUKAN"),
    "occupation": ("PEKERJAAN", "JENIS PEKERJAAN"),
    "status": ("STATUS", "STATUS BPJS", "STATUS KEPESERTAAN", "KEPESERTAAN BPJS TK", "SUDAH/BELUM"),
    "kpj": ("NO KPJ", "NOMOR KPJ", "NO KARTU", "NO. PESERTA"),
    "start_date": ("TMT", "TGL KEPESERTAAN", "TANGGAL DAFTAR"),
    "source": ("SUMBER IURAN", "SUMBER DANA", "PEMBIAYAAN"),
    "contribution": ("IURAN", "IURAN/BULAN", "IURAN PER BULAN", "BESAR IURAN", "IURAN (Rp)"),
    "notes": ("KETERANGAN", "KET"),
}
ENROLLED = ("Sudah", "SUDAH TERDAFTAR", "Terdaftar", "Aktif", "Ya", "Y", "V", "✓", "1")
NOT_ENROLLED = ("Belum", "BELUM TERDAFTAR", "Tidak", "T", "Non Aktif", "-", "0", "")
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agt", "Sep", "Okt", "Nov", "Des")
FORMATS = (("xlsx", 40), ("openpyxl", 12), ("csv", 18), ("xls", 9), ("ods", 9), ("html_xls", 6), ("xlsx_as_xls", 6))
# (check, how to spoil an extra row) for rows that must be rejected
SPOILERS = (
    "nik_missing",
    "nik_length",
    "nik_scientific_notation",
    "nik_all_zeros",
    "nik_birth_date",
    "status_vocabulary",
    "role_unknown",
)


@dataclass
class Sheet:
    """A sheet to write: its name and its rows of cells."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Expected:
    """What the pipeline must make of the corpus."""

    truth: pl.DataFrame
    people: pl.DataFrame
    rejected_rows: pl.DataFrame
    files: pl.DataFrame


@dataclass
class Corpus:
    """Accumulates files, rejected rows and statuses while a corpus is written."""

    root: Path
    rng: random.Random
    rejected: list[tuple[str, str, int, str]] = field(default_factory=list)
    statuses: list[tuple[str, str]] = field(default_factory=list)
    to_convert: list[tuple[Path, str]] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def spaced(text: str, rng: random.Random) -> str:
    """A header cell as villages type it: mixed case, a trailing dot, a line break or double space."""
    choice = rng.random()
    if choice < 0.2:
        text = text.title()
    elif choice < 0.3:
        text = text.lower()
    if rng.random() < 0.15:
        text += "."
    if rng.random() < 0.1 and " " in text:
        text = text.replace(" ", "\n", 1)
    if rng.random() < 0.1:
        text = text.replace(" ", "  ")
    return text


def nik_cell(nik: str, rng: random.Random, numeric_ok: bool) -> Cell:
    """A valid NIK as typed: plain, spaced, dotted, with an apostrophe, or a number cell."""
    choice = rng.random()
    if choice < 0.08:
        return f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}"
    if choice < 0.14:
        return f"{nik[:4]}.{nik[4:8]}.{nik[8:12]}.{nik[12:]}"
    if choice < 0.2:
        return f"'{nik}"
    if choice < 0.28 and numeric_ok:
        return int(nik)
    return nik


def date_cell(day: dt.date, rng: random.Random, typed_ok: bool) -> Cell:
    """A date in one of the forms villages use (day first)."""
    forms: list[Cell] = [
        f"{day:%d/%m/%Y}",
        f"{day:%d-%m-%Y}",
        f"{day.day}-{day.month}-{day:%y}",
        f"{day:%Y-%m-%d}",
        f"{day.day} {MONTHS_ID[day.month - 1].title()} {day.year}",
        f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}",
        f"{day.day} {MONTHS_SHORT[day.month - 1]} {day.year}",
    ]
    if typed_ok:
        forms += [day, day, (day - dt.date(1899, 12, 30)).days]
    return rng.choice(forms)


def money_cell(amount: int, rng: random.Random, typed_ok: bool) -> Cell:
    """Rupiah as typed: `16800`, `16.800`, `Rp 16.800,00`, `Rp16.800`, `16,800` or a number cell."""
    grouped = f"{amount:,}".replace(",", ".")
    forms: list[Cell] = [str(amount), grouped, f"Rp {grouped},00", f"Rp{grouped}", f"{amount:,}"]
    return rng.choice([*forms, amount, amount] if typed_ok else forms)


def name_cell(name: str, rng: random.Random) -> str:
    """A name with odd case, extra spaces or a title."""
    choice = rng.random()
    if choice < 0.15:
        name = name.upper()
    elif choice < 0.2:
        name = f"  {name.replace(' ', '  ')} "
    if rng.random() < 0.05:
        name = rng.choice(("H. ", "Hj. ")) + name
    if rng.random() < 0.05:
        name += ", S.Pd."
    return name


@dataclass(frozen=True)
class Layout:
    """How one file's sheets are laid out."""

    columns: tuple[str, ...]
    headers: dict[str, str]
    title_rows: int
    two_row_header: bool
    footer: bool
    typed_cells: bool
    role_blank_share: float


def choose_layout(rng: random.Random, typed_cells: bool, per_group: bool) -> Layout:
    """Random columns, header aliases and decorations for a file."""
    columns = [
        "no",
        "nik",
        "name",
        "sex",
        rng.choice(("birth_date", "ttl")),
        "role",
        rng.choice(("rt_rw", "rt")),
        "status",
        "kpj",
        "start_date",
        "source",
        "contribution",
        "notes",
    ]
    if rng.random() < 0.3:
        columns.remove("start_date")
    headers = {c: spaced(rng.choice(ALIASES[c]), rng) for c in columns if c in ALIASES}
    headers.update(no=rng.choice(("NO", "NO.", "No")), rt_rw="RT/RW", rt="RT")
    return Layout(
        columns=tuple(columns),
        headers=headers,
        title_rows=rng.choice((0, 1, 2, 3, 4, 4, 5, 6, 8)),
        two_row_header=typed_cells and rng.random() < 0.2,
        footer=rng.random() < 0.7,
        typed_cells=typed_cells,
        role_blank_share=0.1 if per_group else 0.0,
    )


def person_cells(
    p: Person, layout: Layout, enrolled: bool, number: int, rng: random.Random, rentan: bool
) -> list[Cell]:
    """One person's row under the layout's columns."""
    typed = layout.typed_cells
    values: dict[str, Cell] = {
        "no": number if typed else str(number),
        "nik": nik_cell(p.nik, rng, typed),
        "name": name_cell(p.name, rng),
        "sex": rng.choice({"L": ("L", "Laki-laki", "LK"), "P": ("P", "Perempuan", "PR")}[p.sex]),
        "birth_date": date_cell(p.birth_date, rng, typed),
        "ttl": f"Banyumas, {p.birth_date:%d-%m-%Y}",
        "role": None if rng.random() < layout.role_blank_share else p.role,
        "rt_rw": f"{p.rt:03d}/{p.rw:03d}",
        "rt": p.rt if typed else str(p.rt),
        "status": rng.choice(ENROLLED) if enrolled else rng.choice(NOT_ENROLLED),
        "kpj": p.kpj if enrolled else None,
        "start_date": date_cell(p.start_date, rng, typed) if enrolled and p.start_date else None,
        "source": p.contribution_source if enrolled else None,
        "contribution": money_cell(p.contribution_idr, rng, typed) if enrolled else None,
        "notes": None,
    }
    if rentan:
        values["role"] = p.role
    elif layout.role_blank_share and rng.random() < 0.05:
        values["role"] = rng.choice(("Anggota", "ANGGOTA", "Sekretaris"))  # a generic post: the sheet gives the group
    if enrolled and rng.random() < 0.1:
        values["status"] = None  # a KPJ with a blank status means enrolled
    if values["status"] == "":
        values["status"] = None
    return [values[c] for c in layout.columns]


def header_rows(layout: Layout, rentan: bool) -> list[list[Cell]]:
    """One or two header rows (`BPJS TK` merged over STATUS | NO KPJ)."""
    labels = [layout.headers[c] for c in layout.columns]
    if rentan:
        labels[layout.columns.index("role")] = "PEKERJAAN"
    if not layout.two_row_header:
        return [list(labels)]
    top: list[Cell] = list(labels)
    bottom: list[Cell] = [None] * len(labels)
    for column in ("status", "kpj"):
        index = layout.columns.index(column)
        top[index], bottom[index] = ("BPJS TK" if column == "status" else None), labels[index]
    return [top, bottom]


def title_rows(layout: Layout, village: dict[str, str], period: str, rng: random.Random) -> list[list[Cell]]:
    """The title block: 0 to 8 rows naming the village, district and month in one of several ways."""
    year, month = period.split("-")
    kind = "KELURAHAN" if village["village_type"] == "kelurahan" else "DESA"
    name, district = village["village_name"], village["district_name"]
    lines: list[list[Cell]] = [["DATA KEPESERTAAN BPJS KETENAGAKERJAAN"]]
    lines.append([f"{kind} : {name.upper()}"] if rng.random() < 0.6 else ["Desa/Kelurahan:", name])
    lines.append([f"KECAMATAN : {district.upper()}"] if rng.random() < 0.7 else ["Kecamatan", district])
    lines.append([f"BULAN : {MONTHS_ID[int(month) - 1]} {year}"])
    while len(lines) < layout.title_rows:
        lines.append([])
    return lines[: layout.title_rows] if layout.title_rows >= 3 else lines[:0]


def spoiled_row(check: str, layout: Layout, village: dict[str, str], rng: random.Random, group: str) -> list[Cell]:
    """An extra row that must be rejected by `check`."""
    district = village["district_code"][-2:]
    good = (
        f"3302{district}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(60, 99)}{rng.randint(1, 9999):04d}"
    )
    nik: Cell = {
        "nik_missing": None,
        "nik_length": good[:15],
        "nik_scientific_notation": "3.30217E+15",
        "nik_all_zeros": "0" * 16,
        "nik_birth_date": f"3302{district}3213{good[10:]}",
    }.get(check, good)
    role = (
        "Bendahara Masjid"
        if check == "role_unknown"
        else {"BPD": "Anggota BPD", "RT_RW": "Ketua RT 004", "LKD": "PKK", "LINMAS": "Linmas", "RENTAN": "Petani"}.get(
            group, "Ketua RT 004"
        )
    )
    values: dict[str, Cell] = dict.fromkeys(layout.columns)
    values.update(
        nik=nik, name="Tukiman", sex="L", role=role, status="Entah" if check == "status_vocabulary" else "Belum", no="x"
    )
    return [values[c] for c in layout.columns]


def roster_sheet(
    name: str,
    layout: Layout,
    village: dict[str, str],
    period: str,
    rows: Sequence[Person],
    period_index: int,
    rng: random.Random,
    rentan: bool,
    corpus: Corpus,
    source_file: str,
    group: str,
) -> Sheet:
    """One roster sheet with title, header, people, spoiled rows, blanks, duplicates, totals and signature."""
    sheet = Sheet(name, title_rows(layout, village, period, rng))
    sheet.rows += header_rows(layout, rentan)
    entries: list[list[Cell] | str] = [
        person_cells(p, layout, p.enrolled(period_index), i, rng, rentan) for i, p in enumerate(rows, start=1)
    ]
    if entries and rng.random() < 0.2:
        entries.insert(rng.randrange(len(entries)), list(entries[0]))  # an exact duplicate row
    if rng.random() < 0.35 and (rentan is False or rng.random() < 0.3):
        for check in rng.sample(SPOILERS if not rentan else SPOILERS[:6], rng.randint(1, 2)):
            entries.insert(rng.randrange(len(entries) + 1), check)
    for entry in entries:
        if rng.random() < 0.04:
            sheet.rows.append([])
        if isinstance(entry, str):
            corpus.rejected.append((source_file, name, len(sheet.rows) + 1, entry))
            sheet.rows.append(spoiled_row(entry, layout, village, rng, group))
        else:
            sheet.rows.append(entry)
    if layout.footer:
        sheet.rows += [
            ["JUMLAH", None, len(rows)],
            [],
            [None, None, None, f"{village['village_name']}, 5 Mei 2024"],
            [None, None, None, "Kepala Desa"],
            [],
            [None, None, None, "Sugiyono"],
        ]
    return sheet


def write_book(path: Path, sheets: Sequence[Sheet], writer: str) -> None:
    """Write sheets with xlsxwriter or openpyxl, cells with their types."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if writer == "openpyxl":
        book = openpyxl.Workbook()
        book.remove(book.active)
        for sheet in sheets:
            target = book.create_sheet(sheet.name)
            for index, row in enumerate(sheet.rows, start=1):
                for column, value in enumerate(row, start=1):
                    if value is not None:
                        target.cell(index, column, value)
        book.save(path)
        return
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False})
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for sheet in sheets:
        target = book.add_worksheet(sheet.name)
        for index, row in enumerate(sheet.rows):
            for column, value in enumerate(row):
                if isinstance(value, dt.date):
                    target.write_datetime(index, column, value, date_format)
                elif isinstance(value, int | float):
                    target.write_number(index, column, value)
                elif value is not None:
                    target.write_string(index, column, value)
    book.close()


def text_of(value: Cell) -> str:
    return "" if value is None else f"{value:%d/%m/%Y}" if isinstance(value, dt.date) else str(value)


def write_csv(path: Path, sheet: Sheet, rng: random.Random) -> None:
    """A CSV in `;` or `,`, UTF-8, UTF-8 with BOM or Windows-1252, some fields quoted, trailing empties."""
    buffer = io.StringIO()
    delimiter = rng.choice((";", ";", ","))
    quote_all = rng.random() < 0.5
    out = csv.writer(
        buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    for row in sheet.rows:
        out.writerow([text_of(v) for v in row] + ([""] * 2 if rng.random() < 0.1 else []))
    encoding = rng.choice(("utf-8", "utf-8-sig", "cp1252"))
    text = buffer.getvalue() if encoding != "cp1252" else buffer.getvalue().replace("✓", "V")  # no ✓ in cp1252
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def write_html(path: Path, sheet: Sheet) -> None:
    """An HTML table saved as `.xls`, as some systems export."""
    body = "".join("<tr>" + "".join(f"<td>{text_of(v)}</td>" for v in row) + "</tr>" for row in sheet.rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><head><meta charset='utf-8'></head><body><table>{body}</table></body></html>")


def write_text_file(kind: str, path: Path, sheet: Sheet, rng: random.Random) -> None:
    """A one-sheet submission as CSV or as an HTML table saved as `.xls`."""
    if kind == "csv":
        write_csv(path, sheet, rng)
    else:
        write_html(path, sheet)


def file_name(village: dict[str, str], rng: random.Random, suffix: str, prefix: str = "") -> str:
    """A relative path under the period folder that names the village (and its district where needed)."""
    name, district = village["village_name"], village["district_name"]
    choice = rng.random()
    if choice < 0.5:
        return f"{district}/{prefix}{name}{suffix}"
    if choice < 0.75:
        return f"{prefix}Desa {name} Kec {district}{suffix}"
    if choice < 0.85:
        return f"kiriman/{village['village_code']}_{prefix}{name}{suffix}"
    return f"{district}/{prefix}DATA BPJS {name.upper()}{suffix}"


def village_files(
    corpus: Corpus, village: dict[str, str], period: str, period_index: int, people: Sequence[Person]
) -> None:
    """Write one village's submission for a period in a random format and layout."""
    rng = corpus.rng
    kind = rng.choices([f for f, _ in FORMATS], weights=[w for _, w in FORMATS])[0]
    if kind == "xls" or kind == "ods":
        kind = kind if shutil.which("soffice") else "xlsx"
    single_sheet = kind in {"csv", "html_xls"}
    per_group = not single_sheet and rng.random() < 0.6
    layout = choose_layout(rng, typed_cells=kind not in {"csv", "html_xls"}, per_group=per_group)
    suffix = {"csv": ".csv", "html_xls": ".xls", "xlsx_as_xls": ".xls", "xls": ".xlsx", "ods": ".xlsx"}.get(
        kind, ".xlsx"
    )
    relative = file_name(village, rng, suffix)
    officials = [p for p in people if p.group_code != "RENTAN"]
    rentan = [p for p in people if p.group_code == "RENTAN"]
    final = {"xls": ".xls", "ods": ".ods"}.get(kind, suffix)
    source = f"{period}/{Path(relative).with_suffix(final).as_posix()}"
    sheets: list[Sheet] = []
    if per_group:
        for group, sheet_name in SHEET_NAMES.items():
            members = [p for p in people if p.group_code == group]
            if members:
                name = rng.choice(
                    (sheet_name, sheet_name.replace(" ", "-"), "Satlinmas" if group == "LINMAS" else sheet_name)
                )
                sheets.append(
                    roster_sheet(
                        name,
                        layout,
                        village,
                        period,
                        members,
                        period_index,
                        rng,
                        group == "RENTAN",
                        corpus,
                        source,
                        group,
                    )
                )
    else:
        sheet_name = Path(relative).stem if single_sheet else rng.choice(("DATA", "Sheet1", "Pengurus"))
        sheets.append(
            roster_sheet(sheet_name, layout, village, period, officials, period_index, rng, False, corpus, source, "")
        )
        if rentan and not single_sheet:
            sheets.append(
                roster_sheet(
                    "Pekerja Rentan", layout, village, period, rentan, period_index, rng, True, corpus, source, "RENTAN"
                )
            )
    if not single_sheet and rng.random() < 0.3:
        sheets.append(Sheet("Rekap", [["REKAP"], ["KELOMPOK", "JUMLAH"], ["BPD", 9], ["RT/RW", 30]]))
    if not single_sheet and rng.random() < 0.3:
        sheets.insert(rng.randrange(len(sheets) + 1), Sheet(f"Sheet{rng.randint(2, 3)}"))
    path = corpus.root / period / relative
    corpus.statuses.append((source, "loaded"))
    if single_sheet:
        write_text_file(kind, path, sheets[0], rng)
        if rentan:
            rentan_relative = file_name(village, rng, suffix, prefix="Pekerja Rentan ")
            rentan_source = f"{period}/{rentan_relative}"
            sheet = roster_sheet(
                Path(rentan_relative).stem,
                layout,
                village,
                period,
                rentan,
                period_index,
                rng,
                True,
                corpus,
                rentan_source,
                "RENTAN",
            )
            write_text_file(kind, corpus.root / period / rentan_relative, sheet, rng)
            corpus.statuses.append((rentan_source, "loaded"))
        return
    write_book(path, sheets, "openpyxl" if kind == "openpyxl" else "xlsxwriter")
    if kind in {"xls", "ods"}:
        corpus.to_convert.append((path, kind))


def convert_with_libreoffice(jobs: Sequence[tuple[Path, str]]) -> None:
    """Turn the written .xlsx files into real .xls/.ods with LibreOffice: one call per target format."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for target in ("xls", "ods"):
            paths = [path for path, kind in jobs if kind == target]
            if not paths:
                continue
            staged = [work / f"{index}.xlsx" for index in range(len(paths))]
            for path, stage in zip(paths, staged, strict=True):
                shutil.move(path, stage)
            subprocess.run(
                [
                    "soffice",
                    f"-env:UserInstallation=file://{work / 'profile'}",
                    "--headless",
                    "--convert-to",
                    {"xls": "xls:MS Excel 97", "ods": "ods"}[target],
                    "--outdir",
                    str(work / target),
                    *map(str, staged),
                ],
                check=True,
                capture_output=True,
                timeout=900,
            )
            for path, stage in zip(paths, staged, strict=True):
                shutil.move(work / target / f"{stage.stem}.{target}", path.with_suffix(f".{target}"))


def special_files(corpus: Corpus, period: str) -> None:
    """Files that must be rejected or ignored, whatever else is in the landing zone."""
    root = corpus.root / period
    root.mkdir(parents=True, exist_ok=True)
    specials = {
        "Desa Kosong.xlsx": (b"", "rejected"),
        "Rusak/Desa Rusak.xlsx": (b"PK\x03\x04\x14\x00\x00\x00 broken in transfer", "rejected"),
        "~$Batuanten.xlsx": (b"\x05Sekdes" + b"\x00" * 40, "ignored"),
        ".~lock.Karanglo.ods#": (b",sekdes,desktop,05.05.2024 09:00,file:///home/sekdes/.config;", "ignored"),
        "catatan.docx": (b"PK\x03\x04 a note, not a roster", "ignored"),
    }
    for name, (content, status) in specials.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
        corpus.statuses.append((f"{period}/{name}", status))
    unplaceable = Sheet(
        "DATA",
        [
            ["DESA : ANTAH BERANTAH"],
            ["KECAMATAN : ENTAH"],
            [],
            ["NO", "NIK", "NAMA", "JABATAN", "STATUS"],
            [1, "3302171205750001", "X", "PKK", "Belum"],
        ],
    )
    write_book(root / "Antah Berantah.xlsx", [unplaceable], "xlsxwriter")
    corpus.statuses.append((f"{period}/Antah Berantah.xlsx", "rejected"))
    try:
        import msoffcrypto.format.ooxml
    except ImportError:
        return
    plain = io.BytesIO((root / "Antah Berantah.xlsx").read_bytes())
    locked = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("rahasia", locked)
    (root / "Dikunci.xlsx").write_bytes(locked.getvalue())
    corpus.statuses.append((f"{period}/Dikunci.xlsx", "rejected"))


def movers(people: list[Person], rng: random.Random) -> None:
    """A few people keep a NIK from outside Banyumas (a warning, still loaded and counted)."""
    for person in rng.sample(people, max(1, len(people) // 200)):
        person.nik = "3174" + person.nik[4:]


def write_messy_zone(
    out_dir: Path, seed: int = 42, periods: Sequence[str] = PERIODS[-1:], village_codes: Sequence[str] | None = None
) -> Expected:
    """Write a messy landing zone under `out_dir`; return what the pipeline must make of it."""
    rng = random.Random(seed)
    all_periods = PERIODS[: PERIODS.index(periods[-1]) + 1]
    people = build_people(seed, len(all_periods))
    villages = load_villages(region=BANYUMAS_REGENCY_CODE)
    if village_codes is not None:
        villages = villages.filter(pl.col("village_code").is_in(list(village_codes)))
        people = [p for p in people if p.village_code in set(village_codes)]
    movers(people, rng)
    corpus = Corpus(out_dir, rng)
    for period in periods:
        index = all_periods.index(period)
        for village in villages.iter_rows(named=True):
            present = [p for p in people if p.village_code == village["village_code"] and p.present(index)]
            village_files(corpus, village, period, index, present)
        special_files(corpus, period)
    convert_with_libreoffice(corpus.to_convert)
    rejected = pl.DataFrame(corpus.rejected, schema=["source_file", "sheet", "source_row", "check_name"], orient="row")
    files = pl.DataFrame(corpus.statuses, schema=["source_file", "status"], orient="row")
    in_periods = pl.col("period").is_in(list(periods))
    return Expected(
        truth(people, all_periods).filter(in_periods),
        people_truth(people, all_periods).filter(in_periods),
        rejected,
        files,
    )
