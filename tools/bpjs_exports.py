"""Demo BPJS Ketenagakerjaan branch exports for the demo rosters, with the truth reconciliation must find.

For each period P of the demo, `<out>/<P>/BPJS/` gets the branch's participants (as of the end
of P), the contributions paid in P and the claims paid in P; the first period's contributions
and claims files also hold the 2022-2023 history. The exports agree with the rosters written
by `tools.generate` (an enrolled roster person is an AKTIF participant under the roster's KPJ,
paying Rp 16,800 a month) except for disagreements planted at the shares below, chosen with
the seed and stable across periods. The rosters are not touched.

Vulnerable workers' (RENTAN) contributions paid in 2022 and in 2023 add up to exactly
Rp 500,000,000 each, and their claims paid to Rp 1,500,000,000 (2022) and Rp 2,500,000,000
(2023): the seed's figures. A payment is counted in the year of TGL_BAYAR, and every 2022-2023
payment covers a month of the same year (BPU members pay within the month covered).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import polars as pl
import xlsxwriter

from tools.generate import FILE_CREATED, MINIMUM_CONTRIBUTION_IDR, Person, people_truth
from tools.messy import MONTHS_SHORT

T = TypeVar("T")

# planted disagreements, as shares of the unique enrolled roster people (a-c, e-g) or of the
# never-enrolled roster people outside BPD (d); (a), (b) and (c) are disjoint
UNKNOWN_SHARE = 0.03  # (a) reported enrolled, unknown to BPJS
LAPSED_SHARE = 0.03  # (b) known, NON AKTIF / BERAKHIR / MENINGGAL
ARREARS_SHARE = 0.03  # (c) known, AKTIF or MENUNGGAK, last paid month too old (some only in later periods)
UNREPORTED_SHARE = 0.02  # (d) BPJS AKTIF and paid up, the village reports Belum
NIK_MISSING_SHARE = 0.02  # (e) no NIK in the exports, the KPJ matches
NIK_TYPO_SHARE = 0.02  # (f) a mistyped NIK in the exports, the KPJ matches
IDENTITY_SHARE = 0.03  # (g) the name or the birth date differs (a warning)
PU_SHARE = 0.10  # BPD members enrolled as wage earners (PU) by their village
JHT_SHARE = 0.05  # BPU members who also take JHT
LATE_PAYER_SHARE = 0.10  # BPU members who pay early in the following month (last paid = P-1)

GRACE_MONTHS = 3  # in arrears when the last paid month is before P minus this
LAPSED_STATUSES = (("NON AKTIF", 0.55), ("BERAKHIR", 0.35), ("MENINGGAL", 0.10))
ACTIVE_STATUSES = frozenset({"AKTIF", "MENUNGGAK"})

# monthly contribution by segment and programme at a declared income / wage of Rp 1,000,000
JKM_BPU_IDR = 6_800
JHT_BPU_IDR = 20_000  # 2%
PU_JKK_JKM_IDR = 5_400  # 0.24% + 0.30%
PU_JHT_IDR = 57_000  # 5.7%
# vulnerable workers' declared incomes of Rp 1.0, 1.5 and 2.0 million: JKK 1% + JKM
RENTAN_RATES_IDR = ((16_800, 0.5), (21_800, 0.3), (26_800, 0.2))
JKM_BENEFIT_IDR = 42_000_000

RENTAN_CONTRIBUTIONS_IDR = {2022: 500_000_000, 2023: 500_000_000}
RENTAN_CLAIMS_IDR = {2022: 1_500_000_000, 2023: 2_500_000_000}
RENTAN_DEATHS = {2022: 28, 2023: 36}  # JKM claims; the rest of each year's claims are JKK
RENTAN_JKK_CLAIMS = {2022: 40, 2023: 60}
CLAIMS_2024_SHARE = 0.002  # JKK claims per active participant and month, 2024
HISTORY_START = dt.date(2022, 1, 1)
RENTAN_FILL_UNIT = 200  # every monthly amount is a multiple of Rp 200 (84, 109, 134 units)
RENTAN_FILL_FLOOR = 10_000  # units: above the Frobenius number of (84, 109, 134), so exactly fillable

PARTICIPANT_COLUMNS = (
    "KPJ",
    "NIK",
    "NAMA",
    "TGL_LAHIR",
    "SEGMEN",
    "PROGRAM",
    "TGL_KEPESERTAAN",
    "STATUS",
    "BULAN_IURAN_TERAKHIR",
)
# the contract's names in the first period, these aliases in the others
PARTICIPANT_ALIASES = (
    "NO KPJ",
    "NIK",
    "NAMA LENGKAP",
    "TANGGAL LAHIR",
    "SEGMEN",
    "PROGRAM",
    "TGL KEPESERTAAN",
    "STATUS KEPESERTAAN",
    "BLTH IURAN TERAKHIR",
)
CONTRIBUTION_COLUMNS = ("KPJ", "NIK", "BULAN_IURAN", "TGL_BAYAR", "NOMINAL", "SUMBER_IURAN")
CLAIM_COLUMNS = ("NO_KLAIM", "KPJ", "NIK", "PROGRAM", "TGL_KEJADIAN", "TGL_BAYAR", "NOMINAL")
# how a later period's export spells each status (the first period writes the canonical word)
STATUS_SPELLINGS = {
    "AKTIF": ("Aktif", "A", "AKTIF"),
    "NON AKTIF": ("Non Aktif", "NA", "NON AKTIF"),
    "MENUNGGAK": ("Menunggak", "MENUNGGAK", "MENUNGGAK"),
    "BERAKHIR": ("Berakhir", "BERAKHIR", "BERAKHIR"),
    "MENINGGAL": ("Meninggal", "MENINGGAL", "MENINGGAL"),
}
STATUS_CODES = ("terverifikasi", "tidak_ditemukan", "non_aktif", "menunggak", "belum_dilaporkan", "tidak_terdaftar")


def month_index(date: dt.date) -> int:
    return date.year * 12 + date.month - 1


def period_index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def month_text(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def month_day(index: int, day: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, min(day, 28))


@dataclass(frozen=True)
class Payment:
    month: int  # month covered, as month_index
    paid: dt.date
    amount: int


@dataclass(frozen=True)
class Claim:
    number: str
    program: str
    incident: dt.date
    paid: dt.date
    amount: int


@dataclass
class Participant:
    """One person as BPJS knows them: identity as exported, membership, payments, claims."""

    nik: str  # the roster's NIK (the key of the person)
    kpj: str
    export_nik: str  # "" when the export has none
    name: str
    birth_date: dt.date
    segment: str
    programs: tuple[str, ...]
    joined: dt.date
    source: str
    statuses: list[str]  # per period index
    payments: list[Payment] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    def known(self, period: int) -> bool:
        return month_index(self.joined) <= period

    def last_paid(self, period: int) -> int | None:
        """The last month covered by a payment made by the end of `period` (a month index)."""
        months = [p.month for p in self.payments if month_index(p.paid) <= period]
        return max(months) if months else None


@dataclass(frozen=True)
class BpjsTruth:
    """What reconciling the rosters with the exports must find.

    statuses: one row per (period, village_code, group_code, nik) of the rosters, with
      reported_enrolled, status (STATUS_CODES), matched_on ('nik', 'kpj' or null), kpj of the
      matched participant, bpjs_status (canonical, null when unmatched), last_paid_month
      ('YYYY-MM', null when none), segment, warnings (sorted list of 'nik_missing',
      'nik_differs', 'name_differs', 'birth_date_differs').
    contributions_by_year: (year, group_code) -> amount_idr, payments, by TGL_BAYAR's year.
    claims_by_year: (year, group_code, program) -> amount_idr, claims, by TGL_BAYAR's year.
    planted: (kind, nik) for every planted disagreement, kind in 'a'..'g'.
    A person on the rosters of two groups counts in both.
    """

    statuses: pl.DataFrame
    contributions_by_year: pl.DataFrame
    claims_by_year: pl.DataFrame
    planted: pl.DataFrame


def weighted(rng: random.Random, choices: Sequence[tuple[T, float]]) -> T:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class RosterPerson:
    """The rosters' view of one NIK: identity, groups, first enrolled period, KPJ."""

    person: Person
    groups: set[str]
    enrolled_from: int | None


def roster_people(people: Iterable[Person]) -> dict[str, RosterPerson]:
    by_nik: dict[str, RosterPerson] = {}
    for person in people:
        seen = by_nik.get(person.nik)
        if seen is None:
            by_nik[person.nik] = RosterPerson(person, {person.group_code}, person.enrolled_from)
            continue
        seen.groups.add(person.group_code)
        if person.enrolled_from is not None:
            seen.enrolled_from = (
                person.enrolled_from if seen.enrolled_from is None else min(seen.enrolled_from, person.enrolled_from)
            )
            if not seen.person.kpj:
                seen.person = person
    return by_nik


class Builder:
    """Builds every participant of the whole region, seeded, before any file is written."""

    def __init__(self, people: Sequence[Person], periods: Sequence[str], seed: int) -> None:
        self.rng = random.Random(f"bpjs-{seed}")
        self.periods = [period_index(p) for p in periods]
        self.roster = roster_people(people)
        self.kpjs = {p.kpj for p in people if p.kpj}
        self.niks = set(self.roster)
        self.participants: dict[str, Participant] = {}
        self.planted: list[tuple[str, str]] = []
        self.claim_serial = 0

    # identities ---------------------------------------------------------------------------
    def new_kpj(self) -> str:
        while True:
            candidate = f"{self.rng.randint(10**10, 10**11 - 1)}"
            if candidate not in self.kpjs:
                self.kpjs.add(candidate)
                return candidate

    def mistyped(self, nik: str) -> str:
        """The NIK with one serial digit changed or two adjacent digits swapped, not another roster NIK."""
        while True:
            digits = list(nik)
            if self.rng.random() < 0.5:
                i = self.rng.randint(12, 15)
                digits[i] = self.rng.choice([d for d in "0123456789" if d != digits[i]])
            else:
                i = self.rng.randint(6, 14)
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
            candidate = "".join(digits)
            if candidate != nik and candidate not in self.niks:
                return candidate

    def misspelt(self, name: str) -> str:
        """Another spelling of a roster name (title case): second name dropped, or a vowel changed."""
        words = name.split()
        if len(words) > 1 and self.rng.random() < 0.3:
            return words[0]  # second name dropped
        for old, new in (("i", "y"), ("u", "oe"), ("o", "u"), ("a", "o"), ("e", "i")):
            if old in words[0].lower()[1:]:
                head, tail = words[0][0], words[0][1:]
                words[0] = head + tail.replace(old, new, 1)
                return " ".join(words)
        return words[0] + "h " + " ".join(words[1:])

    def other_birth_date(self, birth: dt.date) -> dt.date:
        if birth.day <= 12 and birth.day != birth.month and self.rng.random() < 0.5:
            return birth.replace(day=birth.month, month=birth.day)  # day and month swapped
        if self.rng.random() < 0.5:
            return birth.replace(year=birth.year + self.rng.choice((-1, 1)), day=min(birth.day, 28))
        return birth + dt.timedelta(days=self.rng.choice((-3, -2, -1, 1, 2, 3)))

    # payments -----------------------------------------------------------------------------
    def monthly(self, segment: str, programs: Sequence[str]) -> int:
        if segment == "PU":
            return PU_JKK_JKM_IDR + (PU_JHT_IDR if "JHT" in programs else 0)
        return MINIMUM_CONTRIBUTION_IDR + (JHT_BPU_IDR if "JHT" in programs else 0)

    def pay(self, part: Participant, first: int, last: int, amount: int, late: bool) -> None:
        """Monthly payments for months first..last: BPU within the month covered, PU or late payers the month after.

        The first month is paid on joining, so a new member is paid up in the month they join.
        """
        for month in range(first, last + 1):
            if month == month_index(part.joined):
                paid = part.joined
            elif late or part.segment == "PU":
                paid = month_day(month + 1, self.rng.randint(1, 15))
            else:
                paid = month_day(month, self.rng.randint(1, 15))
            if month_index(paid) <= self.periods[-1]:  # paid after the last export: not in any file
                part.payments.append(Payment(month, paid, amount))

    def claim(self, part: Participant, program: str, incident: dt.date, paid: dt.date, amount: int) -> None:
        self.claim_serial += 1
        number = f"{paid:%y%m}{self.claim_serial:06d}"
        part.claims.append(Claim(number, program, incident, paid, amount))

    # participants -------------------------------------------------------------------------
    def participant(
        self, roster: RosterPerson, joined: dt.date, status: str, kpj: str = "", source: str = ""
    ) -> Participant:
        person = roster.person
        segment = "PU" if "BPD" in roster.groups and self.rng.random() < PU_SHARE else "BPU"
        jht = segment == "PU" or ("RENTAN" not in roster.groups and self.rng.random() < JHT_SHARE)
        part = Participant(
            nik=person.nik,
            kpj=kpj or person.kpj or self.new_kpj(),
            export_nik=person.nik,
            name=" ".join(person.name.upper().split()),
            birth_date=person.birth_date,
            segment=segment,
            programs=("JKK", "JKM", "JHT") if jht else ("JKK", "JKM"),
            joined=joined,
            source=source or person.contribution_source or "Mandiri",
            statuses=[status] * len(self.periods),
        )
        self.participants[person.nik] = part
        return part

    def build(self) -> None:
        rng = self.rng
        enrolled = sorted(n for n, r in self.roster.items() if r.enrolled_from is not None)
        never = sorted(n for n, r in self.roster.items() if r.enrolled_from is None and "BPD" not in r.groups)
        picks = rng.sample(enrolled, round(len(enrolled) * (UNKNOWN_SHARE + LAPSED_SHARE + ARREARS_SHARE)))
        n_unknown, n_lapsed = round(len(enrolled) * UNKNOWN_SHARE), round(len(enrolled) * LAPSED_SHARE)
        unknown = set(picks[:n_unknown])
        lapsed = picks[n_unknown : n_unknown + n_lapsed]
        arrears = picks[n_unknown + n_lapsed :]
        unreported = rng.sample(never, round(len(never) * UNREPORTED_SHARE))
        self.planted += [("a", n) for n in sorted(unknown)]

        planted = unknown | set(lapsed) | set(arrears)
        regular = [nik for nik in enrolled if nik not in planted]
        for nik in regular:
            self.enrolled_member(nik)
        for nik in lapsed:
            self.lapsed_member(nik)
        for nik in arrears:
            self.arrears_member(nik)
        for nik in unreported:
            self.unreported_member(nik)
        self.rentan_history(regular, set(unreported))
        self.claims_2024()

        known = sorted(n for n in enrolled if n not in unknown)
        picks = rng.sample(known, round(len(enrolled) * (NIK_MISSING_SHARE + NIK_TYPO_SHARE)))
        n_missing = round(len(enrolled) * NIK_MISSING_SHARE)
        for nik in picks[:n_missing]:
            self.participants[nik].export_nik = ""
            self.planted.append(("e", nik))
        for nik in picks[n_missing:]:
            self.participants[nik].export_nik = self.mistyped(nik)
            self.planted.append(("f", nik))
        for nik in rng.sample(sorted(self.participants), round(len(enrolled) * IDENTITY_SHARE)):
            part = self.participants[nik]
            kind = rng.random()
            if kind < 0.6:
                part.name = " ".join(self.misspelt(self.roster[nik].person.name).upper().split())
            if kind >= 0.45:
                part.birth_date = self.other_birth_date(part.birth_date)
            self.planted.append(("g", nik))

    def enrolled_member(self, nik: str) -> None:
        """Joined in the month the roster first reports them (or before the first period), paying every month since."""
        roster = self.roster[nik]
        assert roster.enrolled_from is not None
        start = roster.person.start_date or month_day(self.periods[0], 1)
        month = self.periods[roster.enrolled_from]
        if month_index(start) > month or (roster.enrolled_from > 0 and month_index(start) < month):
            start = month_day(month, start.day)
        part = self.participant(roster, start, "AKTIF")
        late = part.segment == "BPU" and self.rng.random() < LATE_PAYER_SHARE
        self.pay(part, month_index(start), self.periods[-1], self.monthly(part.segment, part.programs), late)

    def lapsed_member(self, nik: str) -> None:
        """(b) Joined in 2023, paid a few months, then non-aktif, ended or died (a JKM claim paid in 2023)."""
        rng = self.rng
        status = weighted(rng, LAPSED_STATUSES)
        joined = dt.date(2023, rng.randint(2, 6), rng.randint(1, 28))
        part = self.participant(self.roster[nik], joined, status)
        last = month_index(joined) + rng.randint(1, 4)
        self.pay(part, month_index(joined), last, self.monthly(part.segment, part.programs), late=False)
        if status == "MENINGGAL":
            death = month_day(last, rng.randint(1, 28))
            self.claim(part, "JKM", death, death + dt.timedelta(days=rng.randint(14, 45)), JKM_BENEFIT_IDR)
        self.planted.append(("b", nik))

    def arrears_member(self, nik: str) -> None:
        """(c) Stopped paying: long ago (in arrears at every period) or recently (in arrears in later periods).

        The status says AKTIF until BPJS flags a missed month (MENUNGGAK for some, AKTIF for the others).
        """
        rng = self.rng
        flagged = rng.random() < 0.5
        if rng.random() < 0.5:
            joined = dt.date(2023, rng.randint(1, 5), rng.randint(1, 28))
            last = rng.randint(month_index(joined) + 1, period_index("2023-09"))
        else:
            joined = dt.date(2023, rng.randint(6, 9), rng.randint(1, 28))
            last = rng.choice((period_index("2023-11"), period_index("2023-12")))
        part = self.participant(self.roster[nik], joined, "AKTIF")
        self.pay(part, month_index(joined), last, self.monthly(part.segment, part.programs), late=False)
        part.statuses = ["MENUNGGAK" if flagged and last < period - 1 else "AKTIF" for period in self.periods]
        self.planted.append(("c", nik))

    def unreported_member(self, nik: str) -> None:
        """(d) Enrolled and paying (self-paid, or another programme) while the village reports Belum."""
        rng = self.rng
        joined = dt.date(2023, rng.randint(1, 12), rng.randint(1, 28))
        part = self.participant(self.roster[nik], joined, "AKTIF", source="Mandiri")
        self.pay(part, month_index(joined), self.periods[-1], self.monthly(part.segment, part.programs), late=False)
        self.planted.append(("d", nik))

    # vulnerable workers' history ----------------------------------------------------------
    def rentan_paid(self, year: int) -> int:
        return sum(
            p.amount
            for part in self.participants.values()
            if "RENTAN" in self.roster[part.nik].groups
            for p in part.payments
            if p.paid.year == year
        )

    def rentan_history(self, regular: Sequence[str], unreported: set[str]) -> None:
        """2022-2023 payments and claims of vulnerable workers, adding up to the seed's totals exactly.

        Members the rosters report from the first period paid since 2022-2023 (their BPJS start
        precedes the roster's TMT); vulnerable workers the rosters report as not enrolled were
        covered in 2022-2023 by a programme that ended (NON AKTIF or BERAKHIR since), some died
        (JKM). Then more such spells until each year's remainder is below RENTAN_FILL_FLOOR + a
        year at the top rate, and a few last spells that fill each remainder exactly.
        """
        rng = self.rng
        for nik in regular:
            part, roster = self.participants[nik], self.roster[nik]
            if "RENTAN" in roster.groups and roster.enrolled_from == 0:
                first = part.payments[0].month
                joined = month_day(rng.randint(period_index("2022-01"), min(period_index("2023-06"), first - 1)), 1)
                part.joined = joined.replace(day=rng.randint(1, 28))
                self.pay(part, month_index(joined), first - 1, MINIMUM_CONTRIBUTION_IDR, late=False)
                part.payments.sort(key=lambda p: p.month)
        pool = sorted(
            n
            for n, r in self.roster.items()
            if r.groups == {"RENTAN"} and r.enrolled_from is None and n not in unreported
        )
        rng.shuffle(pool)
        candidates = iter(pool)
        for year in (2022, 2023):
            for _ in range(RENTAN_DEATHS[year]):
                part = self.spell(next(candidates), "MENINGGAL", year, year, death=True)
                last = part.payments[-1].month
                death = month_day(last, rng.randint(1, 28))
                self.claim(part, "JKM", death, death + dt.timedelta(days=rng.randint(14, 45)), JKM_BENEFIT_IDR)
        unit = RENTAN_FILL_UNIT
        top = 12 * max(r for r, _ in RENTAN_RATES_IDR) // unit
        remaining = {y: (RENTAN_CONTRIBUTIONS_IDR[y] - self.rentan_paid(y)) // unit for y in (2022, 2023)}
        while True:
            open_years = [y for y, r in remaining.items() if r >= RENTAN_FILL_FLOOR + top]
            if not open_years:
                break
            status = "NON AKTIF" if rng.random() < 0.7 else "BERAKHIR"
            part = self.spell(next(candidates), status, min(open_years), max(open_years))
            for payment in part.payments:
                remaining[payment.paid.year] -= payment.amount // unit
        for year, rest in remaining.items():
            for rate, months in exact_fill(rest, [r // unit for r, _ in RENTAN_RATES_IDR]):
                while months:
                    spell = min(months, 12)
                    self.spell(next(candidates), "NON AKTIF", year, year, rate=rate * unit, months=spell)
                    months -= spell
        for year in (2022, 2023):
            assert self.rentan_paid(year) == RENTAN_CONTRIBUTIONS_IDR[year], (year, self.rentan_paid(year))
        self.rentan_jkk_claims()

    def spell(
        self,
        nik: str,
        status: str,
        first_year: int,
        last_year: int,
        death: bool = False,
        rate: int = 0,
        months: int = 0,
    ) -> Participant:
        """A vulnerable worker covered for a spell of months within first_year..last_year, then lapsed."""
        rng = self.rng
        low, high = period_index(f"{first_year}-01"), period_index(f"{last_year}-12")
        if death:
            high = period_index(f"{last_year}-10")  # the claim is paid within the year
        length = months or rng.randint(3, min(24, high - low + 1))
        start = rng.randint(low, high - length + 1)
        joined = month_day(start, rng.randint(1, 28))
        part = self.participant(self.roster[nik], joined, status, source=rng.choice(("APBD", "APBD", "Mandiri")))
        self.pay(part, start, start + length - 1, rate or weighted(rng, RENTAN_RATES_IDR), late=False)
        return part

    def rentan_jkk_claims(self) -> None:
        """Work-accident claims of vulnerable workers, each year's JKM + JKK adding up to the seed's total."""
        rng = self.rng
        for year in (2022, 2023):
            jkm = sum(
                c.amount
                for part in self.participants.values()
                if "RENTAN" in self.roster[part.nik].groups
                for c in part.claims
                if c.paid.year == year
            )
            eligible = sorted(
                part.nik
                for part in self.participants.values()
                if "RENTAN" in self.roster[part.nik].groups
                and not part.claims
                and any(p.month <= period_index(f"{year}-10") and p.paid.year == year for p in part.payments)
            )
            chosen = rng.sample(eligible, RENTAN_JKK_CLAIMS[year])
            jkk = RENTAN_CLAIMS_IDR[year] - jkm
            assert jkk >= 1_000_000 * len(chosen), (year, jkk)
            amounts = lumpy_split(jkk // 1000, len(chosen), rng)
            for nik, amount in zip(chosen, amounts, strict=True):
                part = self.participants[nik]
                month = rng.choice(
                    [p.month for p in part.payments if p.paid.year == year and p.month <= period_index(f"{year}-10")]
                )
                incident = month_day(month, rng.randint(1, 28))
                paid = incident + dt.timedelta(days=rng.randint(20, 60))
                self.claim(part, "JKK", incident, paid, amount * 1000)

    def claims_2024(self) -> None:
        """A few work-accident claims of active members paid in each period (not part of the seed's figures)."""
        rng = self.rng
        for period in self.periods[1:]:
            active = sorted(
                n
                for n, part in self.participants.items()
                if part.statuses[0] == "AKTIF" and (part.last_paid(period - 1) or 0) >= period - 2 and not part.claims
            )
            for nik in rng.sample(active, max(1, round(len(active) * CLAIMS_2024_SHARE))):
                incident = month_day(period - 1, rng.randint(1, 28))
                paid = month_day(period, rng.randint(1, 28))
                self.claim(self.participants[nik], "JKK", incident, paid, rng.randint(5, 400) * 25_000)


def exact_fill(total: int, rates: Sequence[int]) -> list[tuple[int, int]]:
    """Months at each rate (as (rate, months)) adding up to `total` exactly, fewest months at the top rate first."""
    top, middle, low = sorted(rates, reverse=True)
    for at_top in range(total // top, -1, -1):
        for at_middle in range(min(low, (total - at_top * top) // middle) + 1):
            rest = total - at_top * top - at_middle * middle
            if rest >= 0 and rest % low == 0:
                return [(rate, n) for rate, n in ((top, at_top), (middle, at_middle), (low, rest // low)) if n]
    raise ValueError(f"{total} is not a sum of {rates}")


def lumpy_split(total: int, n: int, rng: random.Random) -> list[int]:
    """Split `total` into `n` positive parts of very different sizes that add up exactly."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(n)]
    scale = total / sum(weights)
    parts = [max(1, int(w * scale)) for w in weights]
    parts[parts.index(max(parts))] += total - sum(parts)
    return parts


# files ------------------------------------------------------------------------------------
def spell_status(status: str, period_number: int, row: int) -> str:
    if period_number == 0:
        return status
    spellings = STATUS_SPELLINGS[status]
    return spellings[(period_number - 1) if period_number <= 2 else row % 3]


def spell_month(month: int | None, period_number: int, row: int) -> str:
    if month is None:
        return ""
    year, number = month // 12, month % 12 + 1
    style = period_number if period_number <= 2 else 1 + row % 3
    if style == 0 or style == 3:
        return f"{year}-{number:02d}"
    if style == 1:
        return f"{MONTHS_SHORT[number - 1]}-{year % 100:02d}"
    return f"{number:02d}/{year}"


def write_participants(path: Path, rows: Sequence[Participant], period: int, period_number: int) -> None:
    """One row per participant and programme; dates as Excel dates except in the second period (dd/mm/yyyy text)."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    workbook.set_properties({"created": FILE_CREATED, "author": "BPJS Ketenagakerjaan Cabang Purwokerto"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet("Peserta")
    sheet.write_row(0, 0, PARTICIPANT_COLUMNS if period_number == 0 else PARTICIPANT_ALIASES)
    text_dates = period_number == 1
    row = 1
    for part in rows:
        status = spell_status(part.statuses[period_number], period_number, row)
        last_paid = spell_month(part.last_paid(period), period_number, row)
        for program in part.programs:
            sheet.write_string(row, 0, part.kpj)
            if part.export_nik:
                sheet.write_string(row, 1, part.export_nik)
            sheet.write_string(row, 2, part.name)
            for column, date in ((3, part.birth_date), (6, part.joined)):
                if text_dates:
                    sheet.write_string(row, column, f"{date:%d/%m/%Y}")
                else:
                    sheet.write_datetime(row, column, date, date_format)
            sheet.write_string(row, 4, part.segment)
            sheet.write_string(row, 5, program)
            sheet.write_string(row, 7, status)
            if last_paid:
                sheet.write_string(row, 8, last_paid)
            row += 1
    workbook.close()


def write_contributions(path: Path, rows: Sequence[tuple[Participant, Payment]], period_number: int) -> None:
    """`;`-separated UTF-8; ISO month and date in the first period, MM/YYYY and dd/mm/yyyy after."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(("KPJ" if period_number == 0 else "NO KPJ", *CONTRIBUTION_COLUMNS[1:]))
        for part, payment in rows:
            if period_number == 0:
                month, paid = month_text(payment.month), payment.paid.isoformat()
            else:
                month, paid = f"{payment.month % 12 + 1:02d}/{payment.month // 12}", f"{payment.paid:%d/%m/%Y}"
            writer.writerow((part.kpj, part.export_nik, month, paid, payment.amount, part.source))


def write_claims(path: Path, rows: Sequence[tuple[Participant, Claim]]) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    workbook.set_properties({"created": FILE_CREATED, "author": "BPJS Ketenagakerjaan Cabang Purwokerto"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet("Klaim")
    sheet.write_row(0, 0, CLAIM_COLUMNS)
    for row, (part, claim) in enumerate(rows, start=1):
        sheet.write_string(row, 0, claim.number)
        sheet.write_string(row, 1, part.kpj)
        if part.export_nik:
            sheet.write_string(row, 2, part.export_nik)
        sheet.write_string(row, 3, claim.program)
        sheet.write_datetime(row, 4, claim.incident, date_format)
        sheet.write_datetime(row, 5, claim.paid, date_format)
        sheet.write_number(row, 6, claim.amount)
    workbook.close()


SPLIT_PERIOD = 2  # the third month's participants export comes in two parts: an xlsx and a csv


def write_participants_csv(path: Path, rows: Sequence[Participant], period: int, period_number: int) -> None:
    """A second part of a participants export, as the branch might send it: CSV, `;`, dates as dd/mm/yyyy text."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(PARTICIPANT_ALIASES)
        for number, part in enumerate(rows):
            status = spell_status(part.statuses[period_number], period_number, number)
            last_paid = spell_month(part.last_paid(period), period_number, number) or ""
            for program in part.programs:
                dates = (f"{part.birth_date:%d/%m/%Y}", f"{part.joined:%d/%m/%Y}")
                identity = [part.kpj, part.export_nik or "", part.name, dates[0], part.segment, program]
                out.writerow([*identity, dates[1], status, last_paid])


def export_paths(out_dir: Path, period: str) -> tuple[Path, Path, Path]:
    folder = out_dir / period / "BPJS"
    return folder / f"Peserta BPJS TK {period}.xlsx", folder / f"Iuran {period}.csv", folder / f"Klaim {period}.xlsx"


def in_file(date: dt.date, period: int, period_number: int) -> bool:
    """A payment or claim belongs to the file of the period it was paid in; the first also holds 2022-2023."""
    if period_number == 0:
        return date >= HISTORY_START and month_index(date) <= period
    return month_index(date) == period


# truth ------------------------------------------------------------------------------------
def status_truth(
    people: Sequence[Person], participants: dict[str, Participant], periods: Sequence[str]
) -> pl.DataFrame:
    """The expected reconciliation of every roster person, period, village and group."""
    reported = people_truth(people, periods)
    kpj_by_row = {(p.nik, i): p.kpj for p in people for i in range(len(periods)) if p.present(i) and p.enrolled(i)}
    by_export_nik = {p.export_nik: p for p in participants.values() if p.export_nik}
    by_kpj = {p.kpj: p for p in participants.values()}
    names = {p.nik: (" ".join(p.name.upper().split()), p.birth_date) for p in people}
    rows = []
    for period, village, group, nik, enrolled in reported.sort(
        "period", "village_code", "group_code", "nik"
    ).iter_rows():
        number = periods.index(period)
        month = period_index(period)
        part: Participant | None = by_export_nik.get(nik)
        matched_on: str | None = "nik"
        if part is None or not part.known(month):
            kpj = kpj_by_row.get((nik, number), "")
            part, matched_on = by_kpj.get(kpj) if kpj else None, "kpj"
        if part is None or not part.known(month):
            part, matched_on = None, None
        warnings: list[str] = []
        last_paid = part.last_paid(month) if part else None
        bpjs_status = part.statuses[number] if part else None
        paid_up = last_paid is not None and last_paid >= month - GRACE_MONTHS
        if part is None:
            status = "tidak_ditemukan" if enrolled else "tidak_terdaftar"
        elif enrolled:
            if bpjs_status not in ACTIVE_STATUSES:
                status = "non_aktif"
            elif bpjs_status == "MENUNGGAK" or not paid_up:
                status = "menunggak"
            else:
                status = "terverifikasi"
        else:
            status = "belum_dilaporkan" if bpjs_status == "AKTIF" and paid_up else "tidak_terdaftar"
        if part is not None:
            if matched_on == "kpj":
                warnings.append("nik_missing" if not part.export_nik else "nik_differs")
            name, birth = names[nik]
            if part.name != name:
                warnings.append("name_differs")
            if part.birth_date != birth:
                warnings.append("birth_date_differs")
        rows.append(
            (
                period,
                village,
                group,
                nik,
                enrolled,
                status,
                matched_on,
                part.kpj if part else None,
                bpjs_status,
                month_text(last_paid) if last_paid is not None else None,
                part.segment if part else None,
                sorted(warnings),
            )
        )
    columns = [
        "period",
        "village_code",
        "group_code",
        "nik",
        "reported_enrolled",
        "status",
        "matched_on",
        "kpj",
        "bpjs_status",
        "last_paid_month",
        "segment",
    ]
    schema: dict[str, pl.DataType] = {c: pl.Boolean() if c == "reported_enrolled" else pl.String() for c in columns}
    schema["warnings"] = pl.List(pl.String())
    return pl.DataFrame(rows, schema=schema, orient="row")


def money_truth(participants: Iterable[Participant], groups: dict[str, set[str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Yearly contributions per group and claims per group and programme, by TGL_BAYAR's year."""
    paid: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    claimed: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for part in participants:
        for group in groups[part.nik]:
            for payment in part.payments:
                paid[payment.paid.year, group][0] += payment.amount
                paid[payment.paid.year, group][1] += 1
            for claim in part.claims:
                claimed[claim.paid.year, group, claim.program][0] += claim.amount
                claimed[claim.paid.year, group, claim.program][1] += 1
    contributions = pl.DataFrame(
        [(*k, *v) for k, v in sorted(paid.items())],
        schema={"year": pl.Int32, "group_code": pl.String, "amount_idr": pl.Int64, "payments": pl.Int64},
        orient="row",
    )
    claims = pl.DataFrame(
        [(*k, *v) for k, v in sorted(claimed.items())],
        schema={
            "year": pl.Int32,
            "group_code": pl.String,
            "program": pl.String,
            "amount_idr": pl.Int64,
            "claims": pl.Int64,
        },
        orient="row",
    )
    return contributions, claims


def write_bpjs_exports(
    out_dir: Path,
    people: list[Person],
    periods: Sequence[str],
    seed: int = 42,
    village_codes: Sequence[str] | None = None,
) -> BpjsTruth:
    """Write the branch's exports for `periods` under `<out_dir>/<P>/BPJS/`; return what reconciliation must find.

    `people` is the whole region's (`build_people`): the BPJS side is built for all of it, so
    the seed's vulnerable-worker totals hold; `village_codes` then limits the files and the
    truth to those villages' people.
    """
    builder = Builder(people, periods, seed)
    builder.build()
    if village_codes is not None:
        people = [p for p in people if p.village_code in set(village_codes)]
    kept = {p.nik for p in people}
    participants = {n: part for n, part in builder.participants.items() if n in kept}
    ordered = sorted(participants.values(), key=lambda p: p.kpj)
    for number, period in enumerate(periods):
        month = period_index(period)
        members_path, contributions_path, claims_path = export_paths(out_dir, period)
        members_path.parent.mkdir(parents=True, exist_ok=True)
        known = [p for p in ordered if p.known(month)]
        if number == SPLIT_PERIOD:  # in parts: each participant whole in one of them
            half = len(known) // 2
            write_participants(members_path, known[:half], month, number)
            write_participants_csv(
                members_path.with_name(f"{members_path.stem} bagian 2.csv"), known[half:], month, number
            )
        else:
            write_participants(members_path, known, month, number)
        payments = [(p, pay) for p in ordered for pay in p.payments if in_file(pay.paid, month, number)]
        payments.sort(key=lambda row: (row[1].paid, row[0].kpj, row[1].month))
        write_contributions(contributions_path, payments, number)
        paid_claims = [(p, claim) for p in ordered for claim in p.claims if in_file(claim.paid, month, number)]
        write_claims(claims_path, sorted(paid_claims, key=lambda row: row[1].number))
    groups = {nik: builder.roster[nik].groups for nik in participants}
    contributions, claims = money_truth(participants.values(), groups)
    planted = pl.DataFrame(
        sorted((kind, nik) for kind, nik in builder.planted if nik in kept),
        schema={"kind": pl.String, "nik": pl.String},
        orient="row",
    )
    return BpjsTruth(status_truth(people, participants, periods), contributions, claims, planted)
