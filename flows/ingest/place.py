"""Place a file: which village (desa/kelurahan) it reports, from its title block or its path."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

from flows.ingest.reasons import (
    NOTHING_WRITTEN,
    SEVERAL_DISTRICTS,
    VILLAGE_NOT_FOUND,
    WRITTEN_DISTRICT,
    WRITTEN_VILLAGE,
    Said,
)

PREFIXES = r"^(DESA\s*/\s*KELURAHAN|DESA|KELURAHAN|KEL|KECAMATAN|KEC|DS)\b\.?\s*"
DISTRICT_MARK = re.compile(r"\bKEC(?:AMATAN)?\b\.?\s*[:\-_]?\s*(.+)$", re.IGNORECASE)
# a village's Kemendagri code: province, regency, district, village (`33.02.17.2008`, `3302172008`)
VILLAGE_CODE = re.compile(r"(?<!\d)(\d{2})[.]?(\d{2})[.]?(\d{2})[.]?([12]\d{3})(?!\d)")


@dataclass(frozen=True)
class Placement:
    """The village a file reports, or why it could not be placed."""

    village_code: str | None
    reason: Said | None = None


def place_key(name: str) -> str:
    """Name compared without case, spaces, punctuation or a `Desa`/`Kel.` prefix (`Karang Tengah` = `Karangtengah`)."""
    return re.sub(r"[^0-9A-Z]", "", re.sub(PREFIXES, "", name.strip().upper()))


@dataclass(frozen=True)
class Gazetteer:
    """The official villages, indexed once per run for placing files by code or name.

    `villages` is the reference frame with comparison keys for village and district names;
    placing a file is then dictionary look-ups, not polars queries (one per file is slower
    than the work itself).
    """

    villages: pl.DataFrame
    codes: frozenset[str]
    by_key: dict[str, list[tuple[str, str, str]]]  # village_key -> (village_code, district_key, district_name)
    district_keys: frozenset[str]
    key_of: dict[str, str]  # village_code -> village_key


def build_gazetteer(villages: pl.DataFrame) -> Gazetteer:
    """The reference villages with comparison keys for village and district names, indexed."""
    frame = villages.with_columns(
        village_key=pl.col("village_name").map_elements(place_key, return_dtype=pl.String),
        district_key=pl.col("district_name").map_elements(place_key, return_dtype=pl.String),
    )
    by_key: dict[str, list[tuple[str, str, str]]] = {}
    for code, key, district_key, district in frame.select(
        "village_code", "village_key", "district_key", "district_name"
    ).iter_rows():
        by_key.setdefault(key, []).append((code, district_key, district))
    key_of = dict(frame.select("village_code", "village_key").iter_rows())
    return Gazetteer(frame, frozenset(frame["village_code"]), by_key, frozenset(frame["district_key"]), key_of)


def split_district(text: str) -> tuple[str, str | None]:
    """`Batuanten Kec. Cilongok` -> (`Batuanten`, `Cilongok`)."""
    match = DISTRICT_MARK.search(text)
    return (text[: match.start()], match.group(1)) if match else (text, None)


MAX_NAME_WORDS = 12  # a village and kecamatan take a few words; every split of 800 words took 38 s
WORD_SEPARATOR = re.compile(r"[\s_\-.,()]+")


def read_as_village_and_district(text: str, gazetteer: Gazetteer, *, whole: bool = True) -> list[tuple[str, str, str]]:
    """Villages that `text` names as "village, then district", using every word (`Kramat Kembaran`, `ciberem_sumbang`).

    Every split of the words is tried; a reading fits when its first part is a village of the
    district its second part names. With `whole` false, words after the district may follow
    (`Randegan Wangon - LINMAS`, `Pekuncen Pekuncen Mei 2024`).
    """
    words = [word for word in WORD_SEPARATOR.split(text) if word][:MAX_NAME_WORDS]
    found: list[tuple[str, str, str]] = []
    for split in range(1, len(words)):
        ends = [len(words)] if whole else range(split + 1, len(words) + 1)
        for end in ends:
            village_key, district_key = place_key(" ".join(words[:split])), place_key(" ".join(words[split:end]))
            found += [v for v in gazetteer.by_key.get(village_key, []) if v[1] == district_key and v not in found]
    return found


def contained_village(
    key: str, gazetteer: Gazetteer, districts: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str, str]]:
    """The last resort: the longest village names inside `key` (`DESABATUANTENAPRIL2024`), those of the
    given districts first (`LAPORANPATIKRAJANOTOG`: Notog of Patikraja, not a longer name elsewhere).

    A name that is also a district's, when another village name is inside too, is read as the
    district: `KRAMATKEMBARAN` names the village Kramat in Kembaran, never the village Kembaran.
    """
    contained = [name for name in gazetteer.by_key if name and name in key]
    villages_only = [name for name in contained if name not in gazetteer.district_keys] or contained
    local = [name for name in villages_only if any(v[1] in districts for v in gazetteer.by_key[name])]
    names = local or villages_only
    longest = max(map(len, names), default=0)
    return [v for name in names if len(name) == longest for v in gazetteer.by_key[name]]


def districts_named(text: str, gazetteer: Gazetteer) -> list[str]:
    """The district names inside `text`, as runs of up to three of its words (`Randegan Wangon - LINMAS` -> Wangon)."""
    words = [word for word in WORD_SEPARATOR.split(text) if word]
    spans = (" ".join(words[i : i + n]) for n in (3, 2, 1) for i in range(len(words) - n + 1))
    return [span for span in spans if place_key(span) in gazetteer.district_keys]


def match_village(
    text: str, districts: list[str], gazetteer: Gazetteer, inferred: Sequence[str] = ()
) -> list[tuple[str, str, str]]:
    """Villages named by `text`: the exact name, else the readings that use every word, else a contained name.

    Narrowed to the given districts (a title block's, a `Kec.` part, the folders) when any
    candidate lies in one of them; else to a district named by other words of the text
    (`inferred`: `Randegan Wangon - LINMAS`), never by the village's own name (`Pekuncen` is a
    village of Jatilawang and a district too, so it narrows to neither).
    """
    key = place_key(text)
    if not key:
        return []
    named = (
        gazetteer.by_key.get(key, [])
        or read_as_village_and_district(text, gazetteer)
        or read_as_village_and_district(text, gazetteer, whole=False)
        or contained_village(key, gazetteer, {place_key(d) for d in [*districts, *inferred]})
    )
    district_keys = {place_key(d) for d in districts}
    in_district = [v for v in named if v[1] in district_keys]
    if len(in_district) == 1 or (in_district and not inferred):
        return in_district
    inferred_keys = {place_key(d) for d in inferred}
    pool = in_district or named
    elsewhere = [v for v in pool if v[1] in inferred_keys - {gazetteer.key_of[v[0]]}]
    return elsewhere or pool


def from_code(source_file: str, gazetteer: Gazetteer) -> str | None:
    """The village whose Kemendagri code (`33.02.17.2008` or `3302172008`) appears in the path."""
    for match in VILLAGE_CODE.finditer(source_file):
        code = ".".join(match.groups())
        if code in gazetteer.codes:
            return code
    return None


def place(title: dict[str, str], source_file: str, gazetteer: Gazetteer) -> Placement:
    """The village a file reports, in this order: a village code in the path places it outright; else the village
    the title block names (in its district), then the file's name, then its folders, deepest first, each matched
    against the official list (match_village). A name found in several districts, none of them named, places nothing.
    """
    coded = from_code(source_file, gazetteer)
    if coded:
        return Placement(coded)
    path = PurePosixPath(source_file)
    stem_village, stem_district = split_district(path.stem)
    folders = list(path.parts[1:-1])
    attempts: list[tuple[str, list[str]]] = []
    if "village" in title:
        title_village, title_district = split_district(title["village"])
        districts = [d for d in (title.get("district"), title_district) if d]
        attempts.append((title_village, districts or folders + ([stem_district] if stem_district else [])))
    # what follows `Kec.` is the kecamatan, and may go on (`Kec. Wangon April 2024`)
    marked = (districts_named(stem_district, gazetteer) or [stem_district]) if stem_district else []
    attempts.append((stem_village, [*marked, title.get("district", ""), *folders]))
    # a folder named after the village (`2024-05/Cilongok/Batuanten/Rekap.xlsx`), deepest first; a folder
    # named after a kecamatan is read as a village only below a kecamatan's folder (not as its namesake)
    attempts += [
        (folder, [title.get("district", ""), *folders[:depth]])
        for depth, folder in reversed(list(enumerate(folders)))
        if place_key(split_district(folder)[0]) not in gazetteer.district_keys
        or any(place_key(upper) in gazetteer.district_keys for upper in folders[:depth])  # `Lumbir/Lumbir/`
    ]
    inferred = districts_named(path.stem, gazetteer)
    for text, districts in attempts:
        candidates = match_village(text, [d for d in districts if d], gazetteer, inferred)
        if len(candidates) == 1:
            return Placement(candidates[0][0])
        if len(candidates) > 1:
            names = ", ".join(sorted({district for _, _, district in candidates}))
            return Placement(None, SEVERAL_DISTRICTS(village=text.strip(), districts=names))
    written = [WRITTEN[key](name=value) for key, value in title.items() if key in WRITTEN]
    return Placement(None, VILLAGE_NOT_FOUND(written=written or NOTHING_WRITTEN(), file=source_file))


WRITTEN = {"village": WRITTEN_VILLAGE, "district": WRITTEN_DISTRICT}  # what the title block named
