"""Placing a file: title block first, then file and folder names; ambiguous names need a district."""

from __future__ import annotations

import pytest

from flows.ingest.place import Gazetteer, build_gazetteer, place, place_key
from flows.store.reference import load_villages


@pytest.fixture(scope="module")
def villages() -> Gazetteer:
    return build_gazetteer(load_villages())


@pytest.mark.parametrize(
    ("a", "b"), [("Karang Tengah", "Karangtengah"), ("Desa Batuanten", "BATUANTEN"), ("Kel. Sokanegara", "sokanegara")]
)
def test_place_keys_ignore_case_spacing_and_prefixes(a: str, b: str) -> None:
    assert place_key(a) == place_key(b)


def test_title_block_places_the_file(villages: Gazetteer) -> None:
    placed = place({"village": "BATUANTEN", "district": "CILONGOK"}, "2024-04/x.xlsx", villages)
    assert placed.village_code == "33.02.17.2008"


def test_name_in_two_districts_is_placed_by_the_folder(villages: Gazetteer) -> None:
    assert place({}, "2024-04/Kebasen/Karangsari.xlsx", villages).village_code == "33.02.05.2003"
    assert place({"village": "Karangsari"}, "2024-04/Kembaran/k.xlsx", villages).village_code == "33.02.20.2015"


def test_ambiguous_or_unknown_village_is_not_guessed(villages: Gazetteer) -> None:
    ambiguous = place({"village": "Karangsari"}, "2024-04/data.xlsx", villages)
    assert ambiguous.village_code is None and "Kebasen" in ambiguous.reason and "Kembaran" in ambiguous.reason
    unknown = place({"village": "Atlantis"}, "2024-04/data.xlsx", villages)
    assert unknown.village_code is None and "Atlantis" in unknown.reason


@pytest.mark.parametrize(
    ("title", "source_file", "code"),
    [
        ({}, "2024-04/Desa Batuanten - April 2024.xlsx", "33.02.17.2008"),
        ({}, "2024-04/DATA BPJS DS. BATUANTEN KEC. CILONGOK.xlsx", "33.02.17.2008"),
        ({}, "2024-04/Cilongok/Cilongok.xlsx", "33.02.17.2010"),
        ({}, "2024-04/kiriman/33.02.17.2008_batuanten.xlsx", "33.02.17.2008"),
        ({}, "2024-04/Karangsari Kec Kebasen.csv", "33.02.05.2003"),
        ({"village": "BATUANTEN KEC. CILONGOK"}, "2024-04/x.xlsx", "33.02.17.2008"),
        ({"village": "Karang Sari", "district": "Kembaran"}, "2024-04/x.xlsx", "33.02.20.2015"),
    ],
)
def test_file_and_folder_names_place_a_file(
    villages: Gazetteer, title: dict[str, str], source_file: str, code: str
) -> None:
    assert place(title, source_file, villages).village_code == code
