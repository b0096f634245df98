-- Macros the statements share. Temporary: they live in the session (every connection to the
-- state database, and the province publisher's), never in a database file.

-- A file, sheet, reason or free-text value may hold a NIK (a file named after a person, a
-- NIK typed into SUMBER IURAN, in fullwidth digits or split by underscores): `masked` applies
-- flows/privacy.py's rules with its patterns (privacy.mask_variables), set here as variables.
set variable nik_candidate = $nik_candidate;
set variable nik_min_digits = $nik_min_digits;
set variable nik_number_only = $nik_number_only;
set variable nik_contiguous = $nik_contiguous;
set variable nik_spaced = $nik_spaced;
set variable nik_digit_forms = $nik_digit_forms;
set variable nik_other_digits = $nik_other_digits;

-- privacy.py's three rules over a text whose digits are ASCII.
create or replace temporary macro masked_ascii(text) as case
    when regexp_full_match(text, getvariable('nik_number_only'))
        and length(regexp_replace(text, '[^0-9]', '', 'g')) >= getvariable('nik_min_digits')
    then left(regexp_replace(text, '[^0-9]', '', 'g'), 6)
        || repeat('*', length(regexp_replace(text, '[^0-9]', '', 'g')) - 10)
        || right(regexp_replace(text, '[^0-9]', '', 'g'), 4)
    else regexp_replace(
        regexp_replace(text, getvariable('nik_contiguous'), '\1******\2', 'g'), getvariable('nik_spaced'), '******', 'g'
    )
end;

-- Digits of any Unicode form as ASCII digits: nik_digit_forms[d + 1] is the class of the forms of d
-- (ten regexp_replace are about 15 times faster than one translate over every form).
create or replace temporary macro ascii_digits(text) as
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(text,
        getvariable('nik_digit_forms')[1], '0', 'g'), getvariable('nik_digit_forms')[2], '1', 'g'),
        getvariable('nik_digit_forms')[3], '2', 'g'), getvariable('nik_digit_forms')[4], '3', 'g'),
        getvariable('nik_digit_forms')[5], '4', 'g'), getvariable('nik_digit_forms')[6], '5', 'g'),
        getvariable('nik_digit_forms')[7], '6', 'g'), getvariable('nik_digit_forms')[8], '7', 'g'),
        getvariable('nik_digit_forms')[9], '8', 'g'), getvariable('nik_digit_forms')[10], '9', 'g');

-- Only a text with a digit in another form, or with enough ASCII digits, can hold a NIK.
create or replace temporary macro masked(text) as case
    when regexp_matches(text, getvariable('nik_other_digits')) then masked_ascii(ascii_digits(text))
    when regexp_matches(text, getvariable('nik_candidate')) then masked_ascii(text)
    else text
end;

-- A NIK as validation_failures shows it: its first 6 and last 4 digits ('330217******0001').
create or replace temporary macro masked_nik(nik) as left(nik, 6) || repeat('*', length(nik) - 10) || right(nik, 4);

-- The checks refresh_current.sql counts across rows (and the province publisher across regencies).
create or replace temporary macro is_cross_row_check(check_name) as
    check_name in ('nik_in_two_villages', 'enrolment_inconsistent');
