"""Deterministic demo landing zone: one clean .xlsx roster per village per month.

April 2024 reproduces the regency totals published for Banyumas (BPD 3,379 all enrolled;
RT/RW 12,300 with 900 enrolled; Satlinmas 10,400 with 660 enrolled); earlier months show
coverage rising toward April. The generator returns the truth it wrote, so tests and
benchmarks can compare the warehouse against it.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from flows.ingest.dates import MONTH_NAMES
from flows.settings import BANYUMAS_REGENCY_CODE, region_codes
from flows.store.reference import load_villages

PERIODS: tuple[str, ...] = ("2024-01", "2024-02", "2024-03", "2024-04")

# group -> (members in the last period, enrolled in the last period), Banyumas
APRIL_TOTALS: dict[str, tuple[int, int]] = {
    "BPD": (3379, 3379),
    "RT_RW": (12300, 900),
    "LKD": (5958, 1191),
    "LINMAS": (10400, 660),
    "RENTAN": (6620, 1986),
}
# share of the last period's enrolled already enrolled in each period, oldest first
ENROLLED_SHARE = (0.55, 0.7, 0.85, 1.0)
LEAVER_SHARE = 0.02  # members who were on the roster before the last period but left
JOINER_SHARE = 0.03  # members of the last period who joined after the first period
SECOND_POST_SHARE = 0.01  # RT/RW officials holding a second RT/RW post (a second row)
DUAL_GROUP_SHARE = 0.04  # LKD members who are also RT/RW officials (the same person)

SHEET_NAMES = {
    "BPD": "BPD",
    "RT_RW": "RT RW",
    "LKD": "LKD",
    "LINMAS": "LINMAS",
    "RENTAN": "Pekerja Rentan",
}
OFFICIAL_HEADER = [
    "NO",
    "NIK",
    "NAMA",
    "JENIS KELAMIN",
    "TANGGAL LAHIR",
    "JABATAN",
    "RT",
    "RW",
    "STATUS",
    "NO KPJ",
    "TMT",
    "SUMBER IURAN",
    "IURAN",
    "KETERANGAN",
]
RENTAN_HEADER = [*OFFICIAL_HEADER[:5], "PEKERJAAN", *OFFICIAL_HEADER[6:]]
MONTHS_ID = tuple(name.upper() for name in MONTH_NAMES["id"])  # as the regency's template writes them

MALE_NAMES = (
    "Slamet",
    "Sugeng",
    "Bambang",
    "Budi",
    "Agus",
    "Joko",
    "Sutrisno",
    "Suparman",
    "Wahyu",
    "Teguh",
    "Darsono",
    "Karsono",
    "Tarno",
    "Rasim",
    "Kasdi",
    "Sukirno",
    "Warsito",
    "Purwanto",
    "Eko",
    "Heri",
    "Yanto",
    "Supriyadi",
    "Parman",
    "Dwi",
    "Rohmat",
    "Sukarjo",
    "Sarwono",
    "Tugiman",
    "Daryanto",
    "Mujiono",
    "Narto",
    "Wasis",
)
FEMALE_NAMES = (
    "Siti",
    "Sri",
    "Sumiati",
    "Suwarni",
    "Tri",
    "Endang",
    "Wartini",
    "Rusmini",
    "Darsih",
    "Kartini",
    "Sulastri",
    "Ngatini",
    "Sutinah",
    "Rini",
    "Yuliani",
    "Wahyuni",
    "Suharti",
    "Tumini",
    "Kasmirah",
    "Painem",
    "Dewi",
    "Ratna",
    "Warsih",
)
SECOND_NAMES = (
    "Prasetyo",
    "Santoso",
    "Wibowo",
    "Saputra",
    "Hidayat",
    "Nugroho",
    "Setiawan",
    "Susanto",
    "Riyadi",
    "Kurniawan",
    "Haryanto",
    "Purnomo",
    "Widodo",
    "Sulistyo",
)
FEMALE_SECOND_NAMES = (
    "Rahayu",
    "Lestari",
    "Wati",
    "Ningsih",
    "Handayani",
    "Astuti",
    "Utami",
    "Wulandari",
    "Susilowati",
    "Purwaningsih",
)
OCCUPATIONS = (
    "Buruh Tani",
    "Petani",
    "Nelayan",
    "Pedagang Kecil",
    "Ojek",
    "Penderes Kelapa",
    "Buruh Bangunan",
    "Pengrajin Gula Kelapa",
)
CONTRIBUTION_SOURCES = ("APBDes", "APBD", "Mandiri", "CSR")
MINIMUM_CONTRIBUTION_IDR = 16_800
FILE_CREATED = dt.datetime(2024, 5, 2, 8, 0)  # fixed, so the same seed writes byte-identical files


@dataclass
class Person:
    """One roster row's person and post, with the periods they appear and are enrolled in."""

    nik: str
    name: str
    sex: str
    birth_date: dt.date
    village_code: str
    group_code: str
    role: str
    rt: int
    rw: int
    first_period: int
    last_period: int
    enrolled_from: int | None = None
    kpj: str = ""
    start_date: dt.date | None = None
    contribution_source: str = ""
    contribution_idr: int = 0
    reported_unenrolled: tuple[int, ...] = ()  # periods whose roster says Belum although enrolled (a planted drop)

    def present(self, period: int) -> bool:
        return self.first_period <= period <= self.last_period

    def enrolled(self, period: int) -> bool:
        enrolled = self.enrolled_from is not None and period >= self.enrolled_from
        return enrolled and period not in self.reported_unenrolled

    def copy_enrolment(self, other: Person) -> None:
        """The same person on another roster: same membership, enrolled from the same period."""
        self.enrolled_from = None if other.enrolled_from is None else max(other.enrolled_from, self.first_period)
        self.kpj, self.start_date = other.kpj, other.start_date
        self.contribution_source, self.contribution_idr = other.contribution_source, other.contribution_idr


@dataclass
class Identities:
    """Hands out unique NIKs and KPJ numbers."""

    rng: random.Random
    niks: set[str] = field(default_factory=set)
    kpjs: set[str] = field(default_factory=set)

    def nik(self, district_code: str, birth_date: dt.date, sex: str) -> str:
        day = birth_date.day + (40 if sex == "P" else 0)
        prefix = f"{district_code.replace('.', '')}{day:02d}{birth_date:%m%y}"
        while True:
            candidate = f"{prefix}{self.rng.randint(1, 9999):04d}"
            if candidate not in self.niks:
                self.niks.add(candidate)
                return candidate

    def kpj(self) -> str:
        while True:
            candidate = f"{self.rng.randint(10**10, 10**11 - 1)}"
            if candidate not in self.kpjs:
                self.kpjs.add(candidate)
                return candidate


def allocate(total: int, n: int, rng: random.Random) -> list[int]:
    """Split `total` into `n` uneven parts (0.7x to 1.3x the mean) that add up exactly."""
    weights = [rng.uniform(0.7, 1.3) for _ in range(n)]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(n), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def role_for(group: str, index: int, rng: random.Random) -> tuple[str, int, int]:
    """A plausible post (role, RT, RW) for the index-th member of a village's group."""
    rw = rng.randint(1, 8)
    rt = rng.randint(1, 12)
    if group == "BPD":
        return (("Ketua BPD", "Wakil Ketua BPD", "Sekretaris BPD")[index] if index < 3 else "Anggota BPD"), rt, rw
    if group == "RT_RW":
        post = rng.choice(
            (
                "Ketua RT {rt:03d}",
                "Ketua RT {rt:03d}",
                "Ketua RW {rw:02d}",
                "Sekretaris RT",
                "Bendahara RT",
                "Sekretaris RW",
                "Bendahara RW",
            )
        )
        return post.format(rt=rt, rw=rw), rt, rw
    if group == "LKD":
        return (
            rng.choice(
                ("Ketua LPMD", "Anggota LPMD", "Kader Posyandu", "Kader Posyandu", "PKK", "PKK", "Karang Taruna")
            ),
            rt,
            rw,
        )
    if group == "LINMAS":
        return ("Kasatlinmas" if index == 0 else rng.choice(("Anggota Satlinmas", "Linmas"))), rt, rw
    return rng.choice(OCCUPATIONS), rt, rw


def random_identity(ids: Identities, district_code: str) -> tuple[str, str, str, dt.date]:
    """NIK, name, sex and birth date of a new adult resident of the district."""
    rng = ids.rng
    sex = rng.choice("LP")
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 48))
    if sex == "L":
        name = f"{rng.choice(MALE_NAMES)} {rng.choice(SECOND_NAMES)}"
    else:
        name = f"{rng.choice(FEMALE_NAMES)} {rng.choice(FEMALE_SECOND_NAMES)}"
    return ids.nik(district_code, birth, sex), name, sex, birth


def build_people(seed: int = 42, n_periods: int = len(PERIODS), region: str = BANYUMAS_REGENCY_CODE) -> list[Person]:
    """Every roster row of every period, for all villages of the region.

    Banyumas gets its published April 2024 totals; a wider region gets them scaled by its
    number of villages (the same people per village).
    """
    rng = random.Random(seed)
    ids = Identities(rng)
    villages = load_villages(region=region).sort("village_code")
    scale = villages.height / load_villages().height  # APRIL_TOTALS are Banyumas's
    people: list[Person] = []
    officials_by_village: dict[str, list[Person]] = defaultdict(list)
    for group, totals in APRIL_TOTALS.items():
        members, enrolled = (round(total * scale) for total in totals)
        eligible = villages.filter(pl.col("village_type") == "desa") if group == "BPD" else villages
        counts = allocate(members, eligible.height, rng)
        group_people: list[Person] = []
        twins: list[tuple[Person, Person]] = []
        for row, count in zip(eligible.iter_rows(named=True), counts, strict=True):
            for index in range(count + round(count * LEAVER_SHARE)):
                officials = officials_by_village[row["village_code"]]
                twin = rng.choice(officials) if group == "LKD" and rng.random() < DUAL_GROUP_SHARE else None
                nik, name, sex, birth = (
                    (twin.nik, twin.name, twin.sex, twin.birth_date)
                    if twin
                    else random_identity(ids, row["district_code"])
                )
                role, rt, rw = role_for(group, index, rng)
                first, last = periods_present(index >= count, n_periods, rng)
                person = Person(nik, name, sex, birth, row["village_code"], group, role, rt, rw, first, last)
                group_people.append(person)
                if twin:
                    twins.append((person, twin))
                if group == "RT_RW":
                    officials.append(person)
        twin_niks = {twin.nik for _, twin in twins}
        enrol([p for p in group_people if p.nik not in twin_niks], enrolled, n_periods - 1, rng, ids)
        for person, twin in twins:
            person.copy_enrolment(twin)
        people.extend(group_people)
        if group == "RT_RW":
            people.extend(second_posts(group_people, rng))
    return people


def periods_present(is_leaver: bool, n_periods: int, rng: random.Random) -> tuple[int, int]:
    """First and last period index a member is on the roster: leavers leave before the last period."""
    last = n_periods - 1
    if is_leaver:
        return (0, rng.randint(0, last - 1)) if last else (0, -1)  # one period: a leaver is never on it
    return (rng.randint(1, last) if last and rng.random() < JOINER_SHARE else 0), last


def enrol(people: Sequence[Person], enrolled: int, last: int, rng: random.Random, ids: Identities) -> None:
    """Enrol exactly `enrolled` of the last period's members, the earlier-ranked ones in earlier periods."""
    current = {p.nik: p for p in people if p.present(last)}
    shares = ENROLLED_SHARE[-(last + 1) :]
    for rank, nik in enumerate(rng.sample(sorted(current), enrolled)):
        person = current[nik]
        first = next(i for i, share in enumerate(shares) if rank / enrolled < share)
        person.enrolled_from = max(first, person.first_period)
        person.kpj = ids.kpj()
        person.start_date = dt.date(2023, 10, 1) + dt.timedelta(days=rng.randint(0, 180))
        person.contribution_source = rng.choice(CONTRIBUTION_SOURCES)
        person.contribution_idr = MINIMUM_CONTRIBUTION_IDR


def second_posts(people: Sequence[Person], rng: random.Random) -> list[Person]:
    """Extra rows for officials who hold two posts in the same group (they count once)."""
    extra = []
    for person in people:
        if rng.random() < SECOND_POST_SHARE:
            role = person.role
            while role == person.role:  # a second post, not a copy of the row
                role, _, _ = role_for(person.group_code, 99, rng)
            extra.append(Person(**{**person.__dict__, "role": role}))
    return extra


JUMP_KINDS = ("members_up", "members_down", "enrolment_drop", "roster_replaced")


@dataclass(frozen=True)
class Jump:
    """A jump planted in one village's roster of one group, from `period` on (`lasting`) or in that month only.

    - `members_up`: as many new, unenrolled people join as were on the roster (members double);
    - `members_down`: every second person is gone (members halve);
    - `enrolment_drop`: everyone enrolled is reported not enrolled (Belum);
    - `roster_replaced`: every person is replaced by a new one (new NIK) with the same enrolment.

    A month-only jump is a wrong file: the next month's roster is the normal one again.
    """

    village_code: str
    group_code: str
    period: str
    kind: str
    lasting: bool = True

    def __post_init__(self) -> None:
        if self.kind not in JUMP_KINDS:
            raise ValueError(f"jump kind {self.kind!r}: one of {', '.join(JUMP_KINDS)}")


def absent_in(person: Person, start: int, end: int) -> list[Person]:
    """The person off the roster from period `start` to `end`: their presence before and after, as separate rows."""
    before = Person(**{**person.__dict__, "last_period": min(person.last_period, start - 1)})
    after = Person(**{**person.__dict__, "first_period": max(person.first_period, end + 1)})
    return [kept for kept in (before, after) if kept.first_period <= kept.last_period]


def plant_jumps(people: list[Person], jumps: Sequence[Jump], periods: Sequence[str], seed: int) -> list[Person]:
    """`people` with the jumps planted (people changed are copied, never mutated)."""
    ids = Identities(random.Random(seed + 1), niks={p.nik for p in people})
    for jump in jumps:
        at = periods.index(jump.period)
        end = len(periods) - 1 if jump.lasting else at
        slot = (jump.village_code, jump.group_code)
        on_roster = [p for p in people if (p.village_code, p.group_code) == slot and p.present(at)]
        if not on_roster:
            raise ValueError(f"{jump}: nobody on that roster in {jump.period}")
        district = jump.village_code[:8]
        changed = {"members_up": [], "members_down": on_roster[::2]}.get(jump.kind, on_roster)
        kept = [p for p in people if not any(p is c for c in changed)]
        if jump.kind == "enrolment_drop":
            unenrolled = tuple(range(at, end + 1))
            kept += [Person(**{**p.__dict__, "reported_unenrolled": unenrolled}) for p in changed]
        else:
            kept += [row for p in changed for row in absent_in(p, at, end)]
        if jump.kind in ("members_up", "roster_replaced"):
            for p in on_roster:
                nik, name, sex, birth = random_identity(ids, district)
                newcomer = Person(nik, name, sex, birth, p.village_code, p.group_code, p.role, p.rt, p.rw, at, end)
                if jump.kind == "roster_replaced":
                    newcomer.copy_enrolment(p)
                    newcomer.kpj = ids.kpj() if p.kpj else ""
                kept.append(newcomer)
        people = kept
    return people


def people_truth(people: Iterable[Person], periods: Sequence[str] = PERIODS) -> pl.DataFrame:
    """One row per person per period, village and group they appear in, enrolled if enrolled in any row."""
    rows = [
        (periods[i], p.village_code, p.group_code, p.nik, p.enrolled(i))
        for p in people
        for i in range(len(periods))
        if p.present(i)
    ]
    frame = pl.DataFrame(rows, schema=["period", "village_code", "group_code", "nik", "enrolled"], orient="row")
    return frame.group_by("period", "village_code", "group_code", "nik").agg(pl.col("enrolled").any())


def truth(people: Iterable[Person], periods: Sequence[str] = PERIODS) -> pl.DataFrame:
    """Distinct members and enrolled per period, village and group, as the warehouse should count them."""
    return (
        people_truth(people, periods)
        .group_by("period", "village_code", "group_code")
        .agg(members=pl.len(), enrolled=pl.col("enrolled").sum())
        .sort("period", "village_code", "group_code")
    )


def write_village_file(
    path: Path, village: dict[str, str], period: str, rows: Sequence[Person], period_index: int
) -> None:
    """One village's roster workbook for one month: a title block, then one sheet per group."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    workbook.set_properties({"created": FILE_CREATED, "author": "cakupan demo"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    bold = workbook.add_format({"bold": True})
    year, month = period.split("-")
    kind = "KELURAHAN" if village["village_type"] == "kelurahan" else "DESA"
    for group, sheet_name in SHEET_NAMES.items():
        members = [p for p in rows if p.group_code == group]
        if not members:
            continue
        sheet = workbook.add_worksheet(sheet_name)
        sheet.write_string(0, 0, "DATA KEPESERTAAN BPJS KETENAGAKERJAAN", bold)
        sheet.write_string(1, 0, f"{kind} : {village['village_name'].upper()}")
        sheet.write_string(2, 0, f"KECAMATAN : {village['district_name'].upper()}")
        sheet.write_string(3, 0, f"BULAN : {MONTHS_ID[int(month) - 1]} {year}")
        sheet.write_row(5, 0, RENTAN_HEADER if group == "RENTAN" else OFFICIAL_HEADER, bold)
        for number, person in enumerate(members, start=1):
            write_person(sheet, 5 + number, number, person, person.enrolled(period_index), date_format)
        footer = 6 + len(members)
        sheet.write_string(footer, 0, "JUMLAH")
        sheet.write_number(footer, 2, len(members))
        sheet.write_string(footer + 2, 10, f"{village['village_name']}, 5 {MONTHS_ID[int(month) - 1].title()} {year}")
        sheet.write_string(footer + 3, 10, "Kepala Desa" if kind == "DESA" else "Lurah")
        sheet.write_string(footer + 6, 10, "Sugiyono")
    workbook.close()


TITLED = ("{} S.Pd.", "Drs. {}", "{}, S.E., M.M.", "{} A.Md.")


def as_written(person: Person) -> str:
    """The name as the village writes it: one person in 20 with a title or degree that the KTP (and BPJS) lacks."""
    serial = int(person.nik[-4:])
    if serial % 20:
        return person.name
    if serial % 40 == 0:
        return f"{'Hj.' if person.sex == 'P' else 'H.'} {person.name}"
    return TITLED[serial // 40 % len(TITLED)].format(person.name)


def write_person(
    sheet: xlsxwriter.worksheet.Worksheet,
    row: int,
    number: int,
    person: Person,
    enrolled: bool,
    date_format: xlsxwriter.format.Format,
) -> None:
    """One roster row, NIK and KPJ written as text."""
    sheet.write_number(row, 0, number)
    sheet.write_string(row, 1, person.nik)
    sheet.write_string(row, 2, as_written(person))
    sheet.write_string(row, 3, person.sex)
    sheet.write_datetime(row, 4, person.birth_date, date_format)
    sheet.write_string(row, 5, person.role)
    sheet.write_number(row, 6, person.rt)
    sheet.write_number(row, 7, person.rw)
    sheet.write_string(row, 8, "Sudah" if enrolled else "Belum")
    if enrolled and person.start_date:
        sheet.write_string(row, 9, person.kpj)
        sheet.write_datetime(row, 10, person.start_date, date_format)
        sheet.write_string(row, 11, person.contribution_source)
        sheet.write_number(row, 12, person.contribution_idr)


def village_file_path(out_dir: Path, period: str, village: dict[str, str], region: str) -> Path:
    """`<out>/<YYYY-MM>/<Kecamatan>/<Village>.xlsx` for a regency.

    For a province, `<out>/<YYYY-MM>/<regency code>/<Kecamatan>/<village code> <Village>.xlsx`:
    village names repeat across a province, so there the file name carries the Kemendagri code.
    """
    if len(region_codes(region)) == 1 and "." in region:
        return out_dir / period / village["district_name"] / f"{village['village_name']}.xlsx"
    name = f"{village['village_code']} {village['village_name']}.xlsx"
    return out_dir / period / village["regency_code"] / village["district_name"] / name


def write_landing_zone(
    out_dir: Path,
    seed: int = 42,
    periods: Sequence[str] = PERIODS,
    village_codes: Sequence[str] | None = None,
    workers: int = 2,
    region: str = BANYUMAS_REGENCY_CODE,
    bpjs_exports: bool = False,
    jumps: Sequence[Jump] = (),
) -> pl.DataFrame:
    """Write the demo landing zone under `out_dir`, with `jumps` planted; return its truth (see `truth`).

    With `bpjs_exports`, also the BPJS branch's exports of each period under `<P>/BPJS/`
    (`tools.bpjs_exports.write_bpjs_exports`; call that for what reconciliation must find).
    """
    people = plant_jumps(build_people(seed, len(periods), region), jumps, periods, seed)
    if bpjs_exports:
        from tools.bpjs_exports import write_bpjs_exports  # it imports this module

        write_bpjs_exports(out_dir, people, periods, seed, village_codes)
    villages = load_villages(region=region)
    if village_codes is not None:
        villages = villages.filter(pl.col("village_code").is_in(list(village_codes)))
        people = [p for p in people if p.village_code in set(village_codes)]
    by_village: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_village[person.village_code].append(person)
    jobs = [
        (
            village_file_path(out_dir, period, village, region),
            village,
            period,
            [p for p in by_village[village["village_code"]] if p.present(index)],
            index,
        )
        for index, period in enumerate(periods)
        for village in villages.iter_rows(named=True)
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write_village_file, *zip(*jobs, strict=True), chunksize=16))
    return truth(people, periods)


def split_by_regency(province_zone: Path, zones_dir: Path) -> list[str]:
    """One landing zone per regency, `<zones>/<regency code>/<YYYY-MM>/...`, from a province zone written above.

    Files are hard links where the file system allows (same bytes, same modification time), else copies.
    Returns the regency codes.
    """
    codes = set()
    for path in sorted(province_zone.glob("*/*/**/*")):
        if not path.is_file():
            continue
        period, code, *rest = path.relative_to(province_zone).parts
        target = zones_dir.joinpath(code, period, *rest)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.hardlink_to(path)
        except OSError:
            shutil.copy2(path, target)
        codes.add(code)
    return sorted(codes)
