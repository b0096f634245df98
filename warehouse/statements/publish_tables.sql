-- Build the analyst warehouse's tables in the attached database `analyst` from the state
-- database. People are identified by person_id, a keyed hash (HMAC-SHA256) of the NIK,
-- $hmac_inner and $hmac_outer are the key XOR ipad / opad. No raw NIK, name or birth date
-- leaves the state database. Reads the registered frames ref_districts, ref_villages,
-- ref_targets and ref_rates; $provisional_below_pct is the completeness threshold.

-- A file, sheet, reason or free-text value may hold a NIK (a file named after a person, a
-- NIK typed into SUMBER IURAN): every run of 12 or more digits is shown as its first 6 and
-- last 4, and one written with separators is hidden, as flows/ingest/validate.py (NIK_RUN,
-- NIK_SPACED) does for cell values. Temporary: it lives in this session, not in the analyst file.
create or replace temporary macro masked(text) as regexp_replace(
    regexp_replace(text, '(\d{6})\d{2,}(\d{4})', '\1******\2', 'g'), '\d(?:[ .\-]?\d){11,}', '******', 'g'
);

create table analyst.districts as
select district_code, regency_code, district_name
from ref_districts;

create table analyst.villages as
select v.village_code, v.village_name, v.village_type, v.district_code, d.district_name
from ref_villages as v
join ref_districts as d using (district_code);

create table analyst.roster as
select
    r.period,
    v.district_code,
    r.village_code,
    r.group_code,
    masked(r.role) as role,
    -- base64url of the 32-byte digest (43 characters, no padding): no run of 16 digits, so no NIK-like value
    left(replace(replace(to_base64(unhex(sha256($hmac_outer || unhex(sha256($hmac_inner || encode(r.nik)))))), '+', '-'), '/', '_'), 43)
        as person_id,
    r.sex,
    r.enrolled,
    masked(r.contribution_source) as contribution_source,
    r.contribution_idr,
    r.has_warning,
    masked(r.source_file) as source_file,
    masked(r.sheet) as sheet,
    r.source_row
from roster_rows as r
join file_groups as g on g.sha256 = r.sha256 and g.group_code = r.group_code and g.is_current
join analyst.villages as v on v.village_code = r.village_code;

create table analyst.ingested_files as
select masked(source_file) as source_file, sha256, period, village_code, status, rows_read, rows_loaded,
       rows_rejected, rows_skipped, masked(reason) as reason, run_id
from ingested_files;

create table analyst.ingested_sheets as
select masked(source_file) as source_file, masked(sheet) as sheet, status, masked(reason) as reason, rows_read
from ingested_sheets;

create table analyst.validation_failures as
select run_id, period, masked(source_file) as source_file, masked(sheet) as sheet, source_row, column_name,
       check_name, severity, masked(failure_value) as failure_value, message, is_current
from validation_failures;

-- the run being published ($run_id) is complete once this warehouse is in place, with the
-- person_id key it publishes with ($pii_key_source)
create table analyst.runs as
select * exclude (published, pii_key_check) replace (
    case when run_id = $run_id then 'completed' else status end as status,
    case when run_id = $run_id then $pii_key_source else pii_key_source end as pii_key_source,
    masked(message) as message
)
from runs;

create table analyst.targets as
select year, scope, target_pct::double as target_pct, base_population, source
from ref_targets;

create table analyst.contribution_rates as
select program, rate_pct, fixed_idr, declared_income_idr, valid_from, valid_to, source
from ref_rates;

create table analyst.settings as
select 'provisional_below_pct' as name, $provisional_below_pct::double as value;
