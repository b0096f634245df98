-- What a regency's child run stages for the province publisher (flows/province_run.py): the analyst
-- tables the regency publisher's own statements built from its state database, in memory, attached as
-- `analyst` (publish.built_in_memory: person_id keyed, NIK-like digits masked: no raw NIK, name or
-- birth date leaves the state database), each path prefixed by the
-- regency code ($regency_code) so paths stay unique across a province. Each roster row also carries
-- its NIK as validation_failures shows it (masked_nik: first 6 and last 4 digits), so the province
-- can repeat the cross-row checks over all its regencies; the regency's own cross-row warnings are
-- left out, since the province counts them again. Every table gets the `period` it is partitioned by
-- (a sheet, its file's). Each statement makes a temporary table flows/store/staging.py writes as Parquet.
create or replace temporary table staged_roster as
with shown as (  -- each distinct file and sheet name masked once, as analyst.roster shows it
    select text, masked(text) as shown from (select distinct unnest([source_file, sheet]) as text from roster_rows)
)
select p.* replace ($regency_code || '/' || p.source_file as source_file), masked_nik(r.nik) as nik_masked
from analyst.roster as p
join (
    select r.*, file.shown as file_shown, sheet.shown as sheet_shown
    from roster_rows as r
    join shown as file on file.text = r.source_file
    join shown as sheet on sheet.text = r.sheet
) as r
    on r.sha256 = p.sha256 and r.file_shown = p.source_file and r.sheet_shown = p.sheet and r.source_row = p.source_row;

create or replace temporary table staged_ingested_files as
select * replace ($regency_code || '/' || source_file as source_file)
from analyst.ingested_files;

create or replace temporary table staged_ingested_sheets as
select s.* replace ($regency_code || '/' || s.source_file as source_file), f.period
from analyst.ingested_sheets as s
left join (
    select source_file, any_value(period) as period from analyst.ingested_files group by source_file
) as f on f.source_file = s.source_file;

create or replace temporary table staged_skipped_rows as
select * replace ($regency_code || '/' || source_file as source_file)
from analyst.skipped_rows;

create or replace temporary table staged_validation_failures as
select * replace ($regency_code || '/' || source_file as source_file)
from analyst.validation_failures
where not is_cross_row_check(check_name);

create or replace temporary table staged_runs as
select * from analyst.runs;

-- verified coverage, payments and claims: keyed by person_id and the branch's numbers, so the
-- province publisher keeps one of each payment and claim a person's regencies both staged
create or replace temporary table staged_verification as
select * from analyst.verification;

create or replace temporary table staged_verification_sources as
select * replace ($regency_code || '/' || source_file as source_file) from analyst.verification_sources;

create or replace temporary table staged_bpjs_contributions as
select * from analyst.bpjs_contributions;

create or replace temporary table staged_bpjs_claims as
select * from analyst.bpjs_claims;

-- the periods' trail, locks, snapshots, arrivals and held corrections (publish_period_tables.sql):
-- the province shows each regency's, its files named with the regency code like the others
create or replace temporary table staged_due_dates as
select * from analyst.due_dates;

create or replace temporary table staged_file_arrivals as
select * replace ($regency_code || '/' || source_file as source_file) from analyst.file_arrivals;

create or replace temporary table staged_period_actions as
select * replace ($regency_code || '/' || source_file as source_file) from analyst.period_actions;

create or replace temporary table staged_closed_versions as
select * from analyst.closed_versions;

create or replace temporary table staged_closed_figures as
select * from analyst.closed_figures;

create or replace temporary table staged_pending_corrections as
select * replace ($regency_code || '/' || source_file as source_file) from analyst.pending_corrections;
