-- Build the analyst warehouse's tables in the attached database `analyst` from the state
-- database. People are identified by person_id, a keyed hash (HMAC-SHA256) of the NIK,
-- $hmac_inner and $hmac_outer are the key XOR ipad / opad. No raw NIK, name or birth date
-- leaves the state database. Runs after publish_reference.sql (it reads analyst.villages) and
-- with the macros of create_macros.sql (masked).

-- person_id: HMAC-SHA256 of the NIK under the key, as base64url of the 32-byte digest (43
-- characters, no padding): no run of 16 digits, so no NIK-like value. The key's pads live in
-- session variables for this publish only (macros take no parameters; publish.py resets them): a
-- variable is bound as a constant, where a subquery of a table was bound and planned as a join
-- at every call.
set variable pii_inner_pad = $hmac_inner::blob;

set variable pii_outer_pad = $hmac_outer::blob;

create or replace temporary macro person_id(nik) as left(
    replace(
        replace(
            to_base64(
                unhex(sha256(getvariable('pii_outer_pad') || unhex(sha256(getvariable('pii_inner_pad') || encode(nik)))))
            ),
            '+',
            '-'
        ),
        '/',
        '_'
    ),
    43
);


-- roster: one row per roster row behind today's figures (the current file for each period, village and group).
-- Where does a figure come from? Every counted row with its file, sheet and row number, so an
-- auditor goes from any figure to the cell it came from. A person holding two posts is two
-- rows; the coverage views count distinct people (person_id). No NIK, name or birth date.
-- Grain: source_file, sha256, sheet, source_row
-- Example: select source_file, sheet, source_row, role, enrolled from roster where period = '2024-04' and village_code = '33.02.17.2008' and group_code = 'RT_RW' limit 5
-- Columns:
-- period: month the roster reports, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- role: the post as written (NIK-like digits masked)
-- person_id: keyed hash of the NIK (43 characters); the same person has the same id in every file and month
-- sex: 'L' or 'P' as written, else null
-- enrolled: whether the village reports the person enrolled in BPJS Ketenagakerjaan
-- contribution_source: who pays the contribution, as written (APBDes, mandiri, ...)
-- contribution_idr: monthly contribution in rupiah, as written, else null
-- has_warning: the row passed every error check but has a current warning (validation_failures)
-- source_file: the file under the landing zone (NIK-like digits masked)
-- sha256: content digest of the file version (ingested_files)
-- sheet: the sheet of the file
-- source_row: the row number in the sheet, as Excel or LibreOffice shows it
create table analyst.roster as
with shown as (
    -- each distinct text masked once (a month's 39,000 rows hold about 600): `masked` runs regular
    -- expressions, and per row it was half of this statement's cost
    select text, masked(text) as shown
    from (select distinct unnest([role, contribution_source, source_file, sheet]) as text from current_roster_rows)
)
select
    r.period,
    v.district_code,
    r.village_code,
    r.group_code,
    role.shown as role,
    person_id(r.nik) as person_id,
    r.sex,
    r.enrolled,
    source.shown as contribution_source,
    r.contribution_idr,
    r.has_warning,
    file.shown as source_file,
    r.sha256,
    sheet.shown as sheet,
    r.source_row
from current_roster_rows as r
join analyst.villages as v on v.village_code = r.village_code
left join shown as role on role.text = r.role
left join shown as source on source.text = r.contribution_source
left join shown as file on file.text = r.source_file
left join shown as sheet on sheet.text = r.sheet;

-- ingested_files: one row per file version received (path and content digest), whatever became of it.
-- What happened to each file? Its status, why, and its rows accounted for; the views
-- file_reconciliation and village_reconciliation add names and check the counts close.
-- Grain: source_file, sha256
-- Example: select status, count(*) as files, sum(rows_read) as rows_read from ingested_files group by status
-- Columns:
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of this version of the file
-- period: month folder the file was in, 'YYYY-MM'; null outside one
-- village_code: the village it was placed on; null when it could not be placed
-- status: 'loaded', 'superseded', 'rejected', 'ignored', or 'pending' (held for a closed period: pending_corrections)
-- rows_read: rows under a roster header
-- rows_loaded: rows that passed every error check
-- rows_rejected: rows with at least one error
-- rows_skipped: rows that are not data (blank, totals, signatures, headings)
-- rows_duplicate: loaded rows repeating an earlier row exactly, counted once
-- rows_counted: loaded rows in today's figures (in roster)
-- rows_superseded: loaded rows in groups a newer file replaced
-- reason: what became of it and why, in English with the technical detail (a file loaded whole says so)
-- alasan: the same in Bahasa Indonesia, with what to do
-- kind: 'roster' (a village's file), or the BPJS export it is: bpjs_participants, bpjs_contributions or bpjs_claims; null for a copy not read
-- run_id: the run that read this version
create table analyst.ingested_files as
with loaded_rows as (
    select sha256, source_file, group_code from roster_rows
    union all
    select sha256, source_file, 'bpjs_participants' from bpjs_participants
    union all
    select sha256, source_file, 'bpjs_contributions' from bpjs_contributions
    union all
    select sha256, source_file, 'bpjs_claims' from bpjs_claims
),

placed_rows as (
    select r.sha256, r.source_file, count(*) filter (where g.is_current) as rows_counted,
           count(*) filter (where not g.is_current) as rows_superseded
    from loaded_rows as r
    join file_groups as g on g.sha256 = r.sha256 and g.source_file = r.source_file and g.group_code = r.group_code
    group by r.sha256, r.source_file
)

select
    masked(f.source_file) as source_file, f.sha256, f.period, f.village_code, f.status, f.rows_read, f.rows_loaded,
    f.rows_rejected, f.rows_skipped, coalesce(f.rows_duplicate, 0) as rows_duplicate,
    coalesce(p.rows_counted, 0) as rows_counted, coalesce(p.rows_superseded, 0) as rows_superseded,
    -- every status says why in both languages; the state keeps '' for a file that counts whole
    case
        when f.reason <> '' then masked(f.reason)
        when f.status = 'loaded' and f.rows_loaded = 0 and f.rows_rejected > 0
            then 'loaded: read and checked, but every row was rejected: nothing of it counts'
        when f.status = 'loaded' then 'loaded: read, checked and counted'
    end as reason,
    case
        when f.reason <> '' then masked(f.alasan)
        when f.status = 'loaded' and f.rows_loaded = 0 and f.rows_rejected > 0
            then 'dimuat: berkas sudah dibaca dan diperiksa, tetapi semua barisnya ditolak sehingga tidak ada yang '
                || 'dihitung; perbaiki menurut lembar koreksi, lalu kirim kembali'
        when f.status = 'loaded' then 'dimuat: berkas sudah dibaca, diperiksa dan dihitung'
    end as alasan,
    f.kind, f.run_id
from ingested_files as f
left join placed_rows as p on p.sha256 = f.sha256 and p.source_file = f.source_file;

-- ingested_sheets: one row per sheet of every file read: a roster, or ignored with the reason.
-- Grain: source_file, sha256, sheet
-- Example: select status, count(*) as sheets, sum(rows_read) as rows_read from ingested_sheets group by status
-- Columns:
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of the file version (ingested_files)
-- sheet: sheet name
-- status: 'roster' or 'ignored'
-- reason: why ignored, in English; a roster sheet says it was read
-- alasan: the same in Bahasa Indonesia
-- rows_read: rows under the roster header
create table analyst.ingested_sheets as
select
    masked(source_file) as source_file, sha256, masked(sheet) as sheet, status,
    case when reason <> '' then masked(reason) when status = 'roster' then 'roster: read' end as reason,
    case when reason <> '' then masked(alasan) when status = 'roster' then 'daftar: lembar sudah dibaca' end as alasan,
    rows_read
from ingested_sheets;

-- skipped_rows: one row per row read under a header that is not data, with why it was skipped.
-- Which rows did cakupan not count, and why? The rows ingested_files.rows_skipped counts, listed
-- for the auditor: blank rows, a totals row, the signature block under it, a section heading
-- inside a sheet, or a row with no roster value.
-- Grain: source_file, sha256, sheet, source_row
-- Example: select source_file, sheet, source_row, why, alasan from skipped_rows where row_kind <> 'blank' limit 20
-- Columns:
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of the file version (ingested_files)
-- period: month folder the file was in, 'YYYY-MM'
-- village_code: the village the file was placed on
-- sheet: sheet name
-- source_row: the row's number in the sheet, as a spreadsheet shows it
-- row_kind: 'blank', 'total', 'signature', 'section' or 'no_data'
-- why: why it was skipped, in English
-- alasan: the same in Bahasa Indonesia
create table analyst.skipped_rows as
with shown as (  -- each distinct name masked once, as for the roster: per row it was most of this statement's cost
    select text, masked(text) as shown
    from (select distinct unnest([source_file, sheet]) as text from skipped_rows)
)
select
    file.shown as source_file,
    s.sha256,
    f.period,
    f.village_code,
    sheet.shown as sheet,
    s.source_row,
    s.row_kind,
    case s.row_kind
        when 'blank' then 'blank row'
        when 'total' then 'a totals row (JUMLAH / TOTAL)'
        when 'signature' then 'below the totals row or a signature line: the signature block'
        when 'section' then 'a section heading inside the sheet'
        when 'no_data' then 'no roster value in the row (only a number or a label)'
    end as why,
    case s.row_kind
        when 'blank' then 'baris kosong'
        when 'total' then 'baris jumlah (JUMLAH / TOTAL)'
        when 'signature' then 'di bawah baris jumlah atau baris tanda tangan: bagian tanda tangan'
        when 'section' then 'judul bagian di dalam lembar'
        when 'no_data' then 'baris tanpa isian daftar (hanya nomor atau keterangan)'
    end as alasan
from skipped_rows as s
join ingested_files as f using (sha256, source_file)
left join shown as file on file.text = s.source_file
left join shown as sheet on sheet.text = s.sheet;

-- validation_failures: one row per failed check: of a row (with its sheet, row and column), of a whole file, or a conflict between files.
-- Grain: run_id, source_file, sha256, sheet, source_row, group_code, check_name, failure_value
-- Example: select check_name, severity, count(*) from validation_failures where is_current group by all order by 3 desc
-- Columns:
-- run_id: the run that found it
-- period: month, 'YYYY-MM'
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of the file version
-- sheet: sheet name; null for a whole-file check
-- source_row: row number as the spreadsheet shows it; null for a whole-file check
-- group_code: the group of the row or of a conflict (BPD, RT_RW, LKD, LINMAS or RENTAN)
-- column_name: the checked column (nik, status, role, ...), 'berkas' for a whole file
-- check_name: the check (docs/ingestion.md lists them)
-- severity: 'error' (the row or file is not counted) or 'warning' (counted, to check)
-- failure_value: the cell as written (NIKs masked), or the other file of a conflict
-- message: what is wrong and what to do, in Bahasa Indonesia
-- is_current: true while the file version it is about counts or is held for a closed period (for a rejected file, until a newer version arrives)
create table analyst.validation_failures as
select run_id, period, masked(source_file) as source_file, sha256, masked(sheet) as sheet, source_row, group_code,
       column_name,
       check_name, severity, masked(failure_value) as failure_value, masked(message) as message, is_current
from validation_failures;

-- runs: one row per run recorded up to the one that published this file.
-- Grain: run_id
-- Example: select run_id, started_at, status, files_new, files_rejected, rows_loaded from runs order by started_at desc limit 5
-- Columns:
-- run_id: the run's id (the Prefect flow run id under Prefect)
-- started_at: when it started
-- finished_at: when it finished reading and recording; null while running or when killed (the run that published this file: before its publish, which this file cannot record)
-- status: 'completed', 'failed', 'abandoned' (killed), 'nothing_new', ...
-- files_seen: file versions recorded when it finished, this run's and every earlier one's (a file read in two versions counts twice; one gone from the landing zone still counts)
-- files_new: file versions this run read for the first time
-- files_loaded: of the versions recorded, those loaded (status 'loaded' in ingested_files)
-- files_rejected: of the versions recorded, those rejected
-- files_superseded: of the versions recorded, those superseded by a newer one
-- files_ignored: of the versions recorded, those ignored
-- rows_loaded: rows loaded from the new files
-- rows_rejected: rows rejected in the new files
-- rows_skipped: rows skipped in the new files
-- message: why it failed, in one line (NIK-like digits masked)
-- latest_period: the newest month folder of the landing zone
-- files_vanished: files ingested earlier and gone from the landing zone (their data is kept)
-- villages_missing: villages that sent nothing for latest_period
-- pii_key_source: where the person_id key came from (block, environment or key file)
-- files_pending: of the versions recorded, those held for a closed period (counted once it is reopened or they are accepted); null for a run before 2026-12-08
create table analyst.runs as
-- the run being published ($run_id) is complete once this warehouse is in place, with the
-- person_id key it publishes with ($pii_key_source)
select * exclude (published, pii_key_check) replace (
    case when run_id = $run_id then 'completed' else status end as status,
    case when run_id = $run_id then $pii_key_source else pii_key_source end as pii_key_source,
    masked(message) as message
)
from runs;
