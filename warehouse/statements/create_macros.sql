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
set variable nik_cut = $nik_cut;
set variable nik_digit_forms = $nik_digit_forms;
set variable nik_digit_values = $nik_digit_values;
set variable nik_other_digits = $nik_other_digits;

-- A macro's body is bound again wherever it is called, and each regular expression compiled then:
-- so each pattern appears once here, and a value used more than once is named by a lambda, bound
-- once (a call bound the ten digit classes and the rules' patterns dozens of times: 8-10 ms of
-- planning a call, 26 calls a publish; now about 2 ms).

-- privacy.py's three rules over a text whose digits are ASCII: `t` the text, `d` its digits.
create or replace temporary macro masked_ascii(text) as list_transform([text], lambda t: list_transform(
    [regexp_replace(t, '[^0-9]', '', 'g')],
    lambda d: case
        when regexp_full_match(t, getvariable('nik_number_only')) and length(d) >= getvariable('nik_min_digits')
        then left(d, 6) || repeat('*', length(d) - 10) || right(d, 4)
        else replace(regexp_replace(
            regexp_replace(t, getvariable('nik_contiguous'), '\1' || getvariable('nik_cut') || '\2', 'g'),
            getvariable('nik_spaced'), '******', 'g'
        ), getvariable('nik_cut'), '******')
    end
)[1])[1];

-- Only a text with a digit in another form (rewritten as ASCII digits: nik_digit_forms[i] is
-- written as nik_digit_values[i]), or with enough ASCII digits, can hold a NIK. masked_ascii is
-- written once here (each call of `masked` binds it again: 2 ms), and the rewriting runs only on a
-- text with another form (translate over every candidate cost 130 ms a publish).
create or replace temporary macro masked(text) as case
    when regexp_matches(text, getvariable('nik_other_digits')) or regexp_matches(text, getvariable('nik_candidate'))
        then masked_ascii(case
            when regexp_matches(text, getvariable('nik_other_digits'))
                then translate(text, getvariable('nik_digit_forms'), getvariable('nik_digit_values'))
            else text
        end)
    else text
end;

-- A NIK as validation_failures shows it: its first 6 and last 4 digits ('330217******0001').
create or replace temporary macro masked_nik(nik) as left(nik, 6) || repeat('*', length(nik) - 10) || right(nik, 4);

-- A name as a person compares names: case, accents, spacing and punctuation ignored, and the
-- titles and degrees villages write before or after it taken off (`Hj. Siti Aminah, S.Pd.` is
-- SITIAMINAH). The patterns come from raw/reference/name_titles.csv
-- (reference.name_title_patterns), set as variables by the script that compares names.
create or replace temporary macro name_key(name) as regexp_replace(regexp_replace(regexp_replace(
    upper(strip_accents(name)), getvariable('name_titles_before'), ''), getvariable('name_titles_after'), ''
), '[^A-Z]', '', 'g');

-- The checks counted across rows, the one definition of both (refresh_current.sql over a state
-- database's current rows by NIK, publish_staged_tables.sql over a province's by person_id):
-- the same person in two villages in one period, and one person enrolled in one row and not in
-- another. `rows` names a table or view with period, village_code, enrolled and `person`;
-- each flagged row comes back with its check_name and what the failure shows (`shown`).
create or replace temporary macro is_cross_row_check(check_name) as
    check_name in ('nik_in_two_villages', 'enrolment_inconsistent');

create or replace temporary macro cross_row_flags(rows) as table
with people as (select * from query_table(rows)),

two_villages as (
    select period, person from people group by period, person having count(distinct village_code) > 1
),

inconsistent as (
    select period, person from people group by period, person having bool_or(enrolled) and not bool_and(enrolled)
)

select p.*, 'nik_in_two_villages' as check_name, p.village_code as shown
from people as p semi join two_villages using (period, person)
union all by name
select p.*, 'enrolment_inconsistent' as check_name, case when p.enrolled then 'sudah' else 'belum' end as shown
from people as p semi join inconsistent using (period, person);
