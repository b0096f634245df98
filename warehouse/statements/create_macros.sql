-- Macros the statements share. Temporary: they live in the session (every connection to the
-- state database, and the province publisher's), never in a database file.

-- A file, sheet, reason or free-text value may hold a NIK (a file named after a person, a
-- NIK typed into SUMBER IURAN, in fullwidth digits or split by underscores): `masked` applies
-- flows/privacy.py's rules with its patterns (privacy.mask_variables), set here as variables.
set variable nik_number_only = $nik_number_only;
set variable nik_contiguous = $nik_contiguous;
set variable nik_spaced = $nik_spaced;
set variable nik_digit_forms = $nik_digit_forms;
set variable nik_digit_values = $nik_digit_values;

-- Digits of any Unicode form rewritten as ASCII digits (only texts that are not plain ASCII pay for it).
create or replace temporary macro ascii_digits(text) as case
    when regexp_matches(text, '[^\x00-\x7F]')
    then translate(text, getvariable('nik_digit_forms'), getvariable('nik_digit_values'))
    else text
end;

-- privacy.py's three rules over a text whose digits are ASCII.
create or replace temporary macro masked_ascii(text) as case
    when regexp_full_match(text, getvariable('nik_number_only'))
        and length(regexp_replace(text, '[^0-9]', '', 'g')) >= 12
    then left(regexp_replace(text, '[^0-9]', '', 'g'), 6)
        || repeat('*', length(regexp_replace(text, '[^0-9]', '', 'g')) - 10)
        || right(regexp_replace(text, '[^0-9]', '', 'g'), 4)
    else regexp_replace(
        regexp_replace(text, getvariable('nik_contiguous'), '\1******\2', 'g'), getvariable('nik_spaced'), '******', 'g'
    )
end;

create or replace temporary macro masked(text) as masked_ascii(ascii_digits(text));

-- A NIK as validation_failures shows it: its first 6 and last 4 digits ('330217******0001').
create or replace temporary macro masked_nik(nik) as left(nik, 6) || repeat('*', length(nik) - 10) || right(nik, 4);

-- The checks refresh_current.sql counts across rows (and the province publisher across regencies).
create or replace temporary macro is_cross_row_check(check_name) as
    check_name in ('nik_in_two_villages', 'enrolment_inconsistent');
