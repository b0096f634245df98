"""Mask NIKs in every text that leaves the state database: one definition for Python, polars and SQL.

A NIK-like value is 12 or more digits in a row, or with only separators between them. Digits of
any Unicode form count: every character whose NFKC form is one digit, that is a decimal digit or that
stands for one digit (fullwidth `３`, mathematical `𝟑`, superscript `³`, circled `③` and `❶`,
parenthesized `⑴`, Arabic-Indic `٣`) is first rewritten as its ASCII digit. A separator is any
character that only spaces or joins: whitespace of any kind (non-breaking and ideographic spaces
too), dashes, `_` and the other connectors, dots, apostrophes and backticks (their fullwidth forms,
and the curly ones Word types), blanks Unicode counts as letters (the Hangul fillers, the braille
blank), invisible format characters (zero-width space, soft hyphen), control characters (NUL too),
and the marks drawn on or around the character before
(Unicode categories Mn and Me: variation selectors such as the emoji one U+FE0F, the combining
grapheme joiner U+034F, accents, the keycap U+20E3 of `3️⃣` pasted from WhatsApp): invisible joiners
by look, so `3️⃣3️⃣0️⃣2️⃣...` is a number. A path's `/` is not a separator, nor is a comma
between values (`2024-03, 2024-04` is a list of months, not a NIK) except in a value that is only a
number (`3302,1752,0580,0001`).

Then, over the rewritten text:

1. a value that is only a number (digits, separators and commas) with 12 or more digits keeps its first 6
   and last 4 digits, one `*` per hidden digit (`3302 1752 0580 0001` -> `330217******0001`);
2. otherwise each run of 12 or more digits in a row keeps its first 6 and last 4 (`330217******0001`);
3. and each run of 12 or more digits with separators between them is hidden (`******`), where what rule 2 hid
   counts as one digit: a NIK rule 2 masked (10 digits shown) with any digit joined to it is hidden whole, so
   `x 3302175805800 001` (a NIK typed 13 + 3) is `x ******`, not `x 330217******5800 001` with 13 of its 16 digits
   shown. No split of a NIK shows more than the 10 digits a whole one shows.

A cell of the NIK or KPJ column (`ID_COLUMNS`: a failure's value, a flagged row's cell) is an identifier, not free
text: `mask_id_cell` shows it as validation_failures shows a NIK (first 6 and last 4 digits, one `*` per hidden digit)
when it holds 12 or more digits in any form, whatever separates them (`3302:1752:0580:0018`, `3302/1752/0580/0019`,
`3302|1752|0580|0020`); a KPJ has 11 digits, so 12 or more in its column are a NIK typed there. `mask_cell` picks that
rule or the general ones by column, where a failure value or a flagged cell is made (flows/ingest/validate.py,
flows/ingest/village_files.py): the state database, the analyst file and the corrections workbooks read it masked.

A limit: free text (SUMBER IURAN, JABATAN, names of files and sheets, reasons) keeps the general rules, so a NIK
split there by punctuation that is not a separator (`:`, `/`, `,` outside a value that is only a number, `·`, `|`,
`+`, `*`, `~`, `،`, `。`, `・`, `⁄`) is not masked: `/` is a path's separator and `,` separates months
(`2024-03, 2024-04`), and counting every punctuation mark as a separator would hide dates, amounts and lists of
numbers in every text.

`mask_text` keeps a run's id (a UUID) whole in the text it masks (log lines and messages name runs).

`mask_text` (a Python string), `mask_nik` (a polars expression) and the SQL macro `masked`
(warehouse/statements/create_macros.sql, given these patterns by `mask_variables`) apply the same
patterns, and tests/fixtures/nik_mask_cases.json holds the cases all three must agree on. Every
pattern is linear: a separator and a digit never compete for a character, so an attempt at a
position ends at the end of its run of digits and separators.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache

import polars as pl

MIN_DIGITS = 12  # a NIK has 16; 12 catches one typed short or cut
ASCII_SEPARATORS = " ._-'`"  # and the control characters (tab, line breaks...)
# spaces, dashes, connectors, format and control characters, and the marks drawn on the character before (Mn: variation
# selectors, the combining grapheme joiner, accents) or around it (Me: the keycap of `3️⃣`), invisible joiners by look
SEPARATOR_CATEGORIES = ("Zs", "Zl", "Zp", "Pd", "Pc", "Cf", "Cc", "Mn", "Me")
# a dash by look (MINUS SIGN), the apostrophes Word's autocorrect types (U+2018, U+2019, U+02BC), and blanks that are
# letters or symbols to Unicode (the braille blank, the Hangul fillers)
EXTRA_SEPARATORS = "\u2212\u2018\u2019\u02bc\u2800\u3164\u115f\u1160\uffa0"
PLANES = (range(0x80, 0x20000), range(0xE0000, 0xE1000))  # all digits and separators live here (tags are Cf)
CONTIGUOUS = r"([0-9]{6})[0-9]{2,}([0-9]{4})"
HIDDEN = "******"
CUT = "\ue001"  # a private-use character: what rule 2 hid, one digit to rule 3, shown as HIDDEN at the end
# a random (version 4) UUID as Prefect and cakupan make run ids, alone between non-alphanumerics
UUID = re.compile(
    r"(?<![0-9A-Za-z])([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})(?![0-9A-Za-z])"
)
ID_MARK = "\ue000"  # a private-use character: what stands for a UUID while mask_text masks the rest
ID_COLUMNS = ("nik", "kpj")  # a cell in these columns is an identifier: any 12 or more digits in it are a NIK


@cache
def unicode_forms() -> tuple[dict[str, str], str]:
    """(every non-ASCII digit character -> its ASCII digit, every separator character)."""
    digits: dict[str, str] = {}
    separators = [ASCII_SEPARATORS, EXTRA_SEPARATORS, *(chr(code) for code in range(1, 0x80) if chr(code).isspace())]
    separators += [chr(code) for code in (*range(0x20), 0x7F) if not chr(code).isspace()]
    for plane in PLANES:
        for code in plane:
            char = chr(code)
            category = unicodedata.category(char)
            if category in ("Cs", "Cn", "Co"):
                continue
            normal = unicodedata.normalize("NFKC", char)
            if category == "Nd":
                digits[char] = str(unicodedata.decimal(char))
            elif len(normal) == 1 and normal in "0123456789":
                digits[char] = normal
            elif unicodedata.digit(char, None) is not None:  # `❶`, `⑴`, `⒈`, `🄂`: one digit in a sign
                digits[char] = str(unicodedata.digit(char))
            elif category in SEPARATOR_CATEGORIES or (len(normal) == 1 and normal in ASCII_SEPARATORS):
                separators.append(char)
    return digits, "".join(separators)


def separator_class() -> str:
    """The separators as the inside of a regex character class, the same for Python, RE2 and Rust: runs of consecutive
    characters written as ranges (`a-b`), so the class stays short (about 2,000 marks) and DuckDB plans it fast."""
    codes = sorted({ord(char) for char in unicode_forms()[1]})
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(
        class_char(first) if last == first else class_char(first) + ("-" if last > first + 1 else "") + class_char(last)
        for first, last in runs
    )


def class_char(code: int) -> str:
    """One character as written in a character class, escaped if Python, RE2 or Rust give it a meaning there."""
    return "\\" + chr(code) if chr(code) in "\\]^-[&~" else chr(code)


@cache
def patterns() -> dict[str, str]:
    """The patterns of the three rules, written once for Python's `re`, DuckDB (RE2) and polars (Rust)."""
    separators = separator_class()
    return {
        "nik_candidate": f"(?:[0-9][^0-9]*){{{MIN_DIGITS}}}",
        "nik_number_only": f"[0-9{separators},]*",
        "nik_contiguous": CONTIGUOUS,
        "nik_spaced": f"[0-9{CUT}](?:[{separators}]*[0-9{CUT}]){{{MIN_DIGITS - 1},}}",
    }


@cache
def compiled() -> tuple[dict[int, str], list[re.Pattern[str]]]:
    """`patterns()` compiled for Python, with the digit rewriting as a `str.translate` table."""
    table = {ord(char): digit for char, digit in unicode_forms()[0].items()}
    return table, [re.compile(pattern) for pattern in patterns().values()]


def is_run_id(text: str, found: re.Match[str]) -> bool:
    """Whether a UUID-shaped token of `text` is kept whole as a run's id: only one that cannot carry a NIK's digits,
    with a letter in it, no 12 digits in a row, no 16 joined by its dashes (a whole NIK: `33021758-0580-4001-8abc-...`),
    and no digit of any form beside it across separators of any kind (a NIK split around it)."""
    token = found[0]
    if not re.search(r"[a-f]", token) or re.search(r"[0-9]{12}|[0-9](?:-?[0-9]){15}", token):
        return False
    digits, separators = unicode_forms()
    before, after = text[: found.start()].rstrip(separators), text[found.end() :].lstrip(separators)
    return not any(char.isdigit() or char in digits for char in before[-1:] + after[:1])


def mask_text(text: str) -> str:
    """Every NIK-like value in one text masked: log lines, artifacts, workbook cells, the report.

    A run or task run id (a UUID as Prefect and `cakupan` write it, `ece3079f-d5f7-44ce-b6b4-46113243211b`) is kept
    whole, the text around it masked: one in ten holds 12 digits across its dashes, and an operator searching for a
    run by the id its log line names found none. Only a version 4 UUID that cannot carry a whole NIK is kept
    (`is_run_id`): one random id in about 220 has 16 digits joined by its dashes and is masked like any text.
    """
    ids = [found[0] for found in UUID.finditer(text) if is_run_id(text, found)] if ID_MARK not in text else []
    if ids:  # each id stands as one mark, neither a digit nor a separator, while the text is masked
        marked = UUID.sub(lambda found: ID_MARK if found[0] in ids else found[0], text)
        masked = iter(mask_text(marked).split(ID_MARK))
        return next(masked) + "".join(run_id + rest for run_id, rest in zip(ids, masked, strict=True))
    table, (candidate, number_only, contiguous, spaced) = compiled()
    ascii_digits = text.translate(table)
    if ascii_digits == text and not candidate.search(text):
        return text
    digits = re.sub(r"[^0-9]", "", ascii_digits)
    if len(digits) >= MIN_DIGITS and number_only.fullmatch(ascii_digits):
        return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
    return spaced.sub(HIDDEN, contiguous.sub(rf"\g<1>{CUT}\g<2>", ascii_digits)).replace(CUT, HIDDEN)


def ascii_digits_of(value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(the text with every digit form rewritten as ASCII, its digits alone)."""
    forms, _ = unicode_forms()
    ascii_digits = value.str.replace_many(list(forms), list(forms.values()))
    return ascii_digits, ascii_digits.str.replace_all(r"[^0-9]", "")


def shown_digits(digits: pl.Expr) -> pl.Expr:
    """Digits as validation_failures shows a NIK: the first 6 and last 4, one `*` per hidden digit."""
    count = digits.str.len_chars()
    return pl.concat_str(digits.str.head(6), pl.lit("*").repeat_by(count - 10).list.join(""), digits.str.tail(4))


def mask_nik(value: pl.Expr) -> pl.Expr:
    """`mask_text` as a polars expression, for whole columns (failure values, flagged cells)."""
    found = patterns()
    ascii_digits, digits = ascii_digits_of(value)
    number_only = ascii_digits.str.contains(f"^{found['nik_number_only']}$")
    masked = (
        pl.when(number_only & (digits.str.len_chars() >= MIN_DIGITS))
        .then(shown_digits(digits))
        .otherwise(
            ascii_digits.str.replace_all(found["nik_contiguous"], f"${{1}}{CUT}${{2}}")
            .str.replace_all(found["nik_spaced"], HIDDEN)
            .str.replace_all(CUT, HIDDEN, literal=True)
        )
    )
    # as mask_text and `masked`: a text with no other digit form and no 12 digits at all is left as it is
    return pl.when((ascii_digits != value) | value.str.contains(found["nik_candidate"])).then(masked).otherwise(value)


def mask_id_cell(value: pl.Expr) -> pl.Expr:
    """A NIK or KPJ cell (`ID_COLUMNS`) as validation_failures shows a NIK when it holds 12 or more digits in any form,
    whatever separates them (`3302:1752:0580:0018` -> `330217******0018`): a value in the NIK column is a NIK attempt,
    and a KPJ has 11 digits, so 12 or more in its column are a NIK typed there. A shorter value is no NIK: as written.
    """
    _, digits = ascii_digits_of(value)
    return pl.when(digits.str.len_chars() >= MIN_DIGITS).then(shown_digits(digits)).otherwise(value)


def mask_cell(column_name: str | pl.Expr, value: pl.Expr) -> pl.Expr:
    """A cell of a roster or an export as it may leave the state database: `mask_id_cell` in a NIK or KPJ column,
    `mask_nik` (the general rules) in any other (a NIK may be typed anywhere)."""
    if isinstance(column_name, str):
        return mask_id_cell(value) if column_name in ID_COLUMNS else mask_nik(value)
    return pl.when(column_name.is_in(ID_COLUMNS)).then(mask_id_cell(value)).otherwise(mask_nik(value))


@cache
def mask_variables() -> dict[str, str | int]:
    """The patterns and the digit rewriting, as the variables create_macros.sql sets for its `masked` macro (read only:
    each state connection takes them)."""
    forms, _ = unicode_forms()
    return {
        **patterns(),
        "nik_cut": CUT,
        "nik_digit_forms": "".join(forms),
        "nik_digit_values": "".join(forms.values()),
        "nik_other_digits": "[" + "".join(forms) + "]",
        "nik_min_digits": MIN_DIGITS,
    }


class MaskingFilter(logging.Filter):
    """Masks every record a logger passes on (its console, Prefect's API): a path or a reason may name a person."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_text(record.getMessage()), None
        return True


def mask_logs(log: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
    """Make `log`'s logger mask every record it passes on (once, however often it is asked)."""
    logger = log.logger if isinstance(log, logging.LoggerAdapter) else log
    if not any(isinstance(each, MaskingFilter) for each in logger.filters):
        logger.addFilter(MaskingFilter())
