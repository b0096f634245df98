-- Macros the statements share. Temporary: they live in the session (every connection to the
-- state database, and the province publisher's), never in a database file.

-- A file, sheet, reason or free-text value may hold a NIK (a file named after a person, a
-- NIK typed into SUMBER IURAN): every run of 12 or more digits is shown as its first 6 and
-- last 4, and one written with separators is hidden, as flows/ingest/validate.py (NIK_RUN,
-- NIK_SPACED) does for cell values.
create or replace temporary macro masked(text) as regexp_replace(
    regexp_replace(text, '(\d{6})\d{2,}(\d{4})', '\1******\2', 'g'), '\d(?:[ .\-]?\d){11,}', '******', 'g'
);

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
