-- The internal state database: every file version seen, every roster row loaded (with raw
-- NIKs), every validation failure, every run. Only the nightly flow opens it; analysts
-- get the published warehouse instead.
create table if not exists runs (
    run_id varchar primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    files_seen integer,
    files_new integer,
    files_loaded integer,
    files_rejected integer,
    files_superseded integer,
    files_ignored integer,
    rows_loaded bigint,
    rows_rejected bigint,
    rows_skipped bigint,
    message varchar,
    published varchar  -- fingerprint of the warehouse this run published (views, reference, settings)
);

-- state databases made before these columns existed
alter table runs add column if not exists published varchar;
alter table runs add column if not exists latest_period varchar;  -- the newest YYYY-MM folder of the zone
alter table runs add column if not exists files_vanished integer;  -- ingested earlier, gone from the zone now
alter table runs add column if not exists villages_missing integer;  -- sent no file for latest_period
alter table runs add column if not exists pii_key_source varchar;  -- where the published person_id key came from
alter table runs add column if not exists files_pending integer;  -- of the versions recorded, held (closed period)
alter table runs add column if not exists pii_key_check varchar;  -- keyed check of that key (not the key)

create table if not exists ingested_files (
    source_file varchar not null,
    sha256 varchar not null,
    period varchar,
    village_code varchar,
    status varchar not null,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    rows_skipped integer not null,
    reason varchar,
    modified_at double not null,
    run_id varchar not null,
    primary key (source_file, sha256)
);

create table if not exists file_groups (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar not null,
    village_code varchar not null,
    group_code varchar not null,
    modified_at double not null,
    is_current boolean not null default true,
    primary key (sha256, group_code)
);

create table if not exists roster_rows (
    sha256 varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    source_row integer not null,
    period varchar not null,
    village_code varchar not null,
    group_code varchar not null,
    nik varchar not null,
    name varchar,
    sex varchar,
    birth_date date,
    role varchar,
    rt integer,
    rw integer,
    enrolled boolean not null,
    kpj varchar,
    start_date date,
    contribution_source varchar,
    contribution_idr bigint,
    occupation varchar,
    has_warning boolean not null,
    run_id varchar not null
);

create table if not exists validation_failures (
    run_id varchar not null,
    period varchar,
    source_file varchar not null,
    sha256 varchar not null,
    sheet varchar,
    source_row integer,
    group_code varchar,
    column_name varchar,
    check_name varchar not null,
    severity varchar not null,
    failure_value varchar,
    message varchar not null,
    is_current boolean not null default true
);

-- The original cells of every row that failed a check, for the corrections workbook sent
-- back to the village (`cakupan rejects`); the NIK is stored masked (roster_rows is the
-- only table with raw NIKs).
create table if not exists flagged_rows (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar,
    village_code varchar,
    sheet varchar not null,
    source_row integer not null,
    nik_raw varchar,
    name_raw varchar,
    sex_raw varchar,
    birth_date_raw varchar,
    birth_place_date_raw varchar,
    role_raw varchar,
    occupation_raw varchar,
    rt_raw varchar,
    rw_raw varchar,
    rt_rw_raw varchar,
    status_raw varchar,
    kpj_raw varchar,
    start_date_raw varchar,
    contribution_source_raw varchar,
    contribution_raw varchar,
    notes_raw varchar
);

-- Every sheet of every file read: a roster, or ignored with the reason.
create table if not exists ingested_sheets (
    sha256 varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    status varchar not null,
    reason varchar,
    rows_read integer not null
);

-- Each roster sheet's columns as the village wrote them: the header text and the column
-- letter, so a corrections workbook names a cell as the village sees it (`STATUS BPJS`, D).
-- Every row read that is not data, and why (issue 27: the auditor sees which rows were skipped,
-- not only how many): 'blank', 'total', 'signature', 'section' or 'no_data' (structure.with_row_kinds).
create table if not exists skipped_rows (
    sha256 varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    source_row integer not null,
    row_kind varchar not null
);

create table if not exists sheet_columns (
    sha256 varchar not null,
    sheet varchar not null,
    column_name varchar not null,  -- canonical: nik, name, status, ...
    header varchar,
    letter varchar not null
);

-- Reasons in Indonesian beside the English ones (flows/ingest/reasons.py: written with each
-- batch, and by state_current.fill_reasons where a statement changed a reason and cleared it), and
-- for each version of a group that no longer counts, the file that replaced it.
alter table ingested_files add column if not exists alasan varchar;
alter table ingested_sheets add column if not exists alasan varchar;
alter table file_groups add column if not exists superseded_by varchar;
alter table ingested_files add column if not exists rows_duplicate integer;  -- later exact copies, loaded once

-- What kind of file each is: a village's roster, or one of the BPJS branch's exports
-- (schemas/exports.py EXPORTS; 'bpjs' for a file in the branch's folder that is none). An
-- export's version has a slot per (period, kind) in file_groups, with village_code 'BPJS' and
-- the kind as group_code (refresh_exports.sql decides which count). The exports' accepted rows,
-- with raw NIKs and names like roster_rows, are in one table per kind, named as the kind
-- (create_export_table.sql, made from the registry).
alter table ingested_files add column if not exists kind varchar default 'roster';

-- The kinds had Indonesian names before they took the warehouse's (an older state database)
alter table if exists bpjs_peserta rename to bpjs_participants;

alter table if exists bpjs_iuran rename to bpjs_contributions;

alter table if exists bpjs_klaim rename to bpjs_claims;

update ingested_files
set kind = case kind when 'bpjs_peserta' then 'bpjs_participants' when 'bpjs_iuran' then 'bpjs_contributions'
    else 'bpjs_claims' end
where kind in ('bpjs_peserta', 'bpjs_iuran', 'bpjs_klaim');

update file_groups
set group_code = case group_code when 'bpjs_peserta' then 'bpjs_participants'
    when 'bpjs_iuran' then 'bpjs_contributions' else 'bpjs_claims' end
where village_code = 'BPJS' and group_code in ('bpjs_peserta', 'bpjs_iuran', 'bpjs_klaim');

-- The roster rows behind today's figures: those of the version of each (period, village,
-- group) that counts (refresh_current.sql decides which). Every statement and output that
-- reads the current rosters reads them here.
create or replace view current_roster_rows as
select r.*
from roster_rows as r
join file_groups as g on g.sha256 = r.sha256 and g.group_code = r.group_code and g.is_current;

-- Issue 26: a rejection for a reason of the moment (the file vanished or changed while it was
-- read, the time limit, a worker ended: `transient`) is not the file's final verdict. Each such
-- attempt is kept here; a later run reads the version again while its attempts are at most
-- the setting file_retries (state_batches.known_versions), replacing its record in ingested_files.
alter table ingested_files add column if not exists transient boolean default false;

create table if not exists file_attempts (
    source_file varchar not null,
    sha256 varchar not null,
    run_id varchar not null,
    reason varchar not null
);

-- Files a run left unread for now, with why: modified within the quiet period (still being
-- copied?), or under a folder that is not a period that can exist. Nothing about them is
-- remembered as read: a later run looks at them again.
create table if not exists skipped_files (
    run_id varchar not null,
    source_file varchar not null,
    sha256 varchar not null,
    reason varchar not null
);

-- Issue 30: every reason is an entry of one catalogue (flows/ingest/reasons.py): its code and
-- its parameters (JSON) are recorded beside its English and Indonesian texts. A statement that
-- decides a reason (refresh_current.sql, hold_pending.sql) sets only the code and parameters
-- and clears the texts, which state_current.fill_reasons renders from the catalogue.
alter table ingested_files add column if not exists reason_code varchar;
alter table ingested_files add column if not exists reason_params varchar;
alter table ingested_sheets add column if not exists reason_code varchar;
alter table ingested_sheets add column if not exists reason_params varchar;
alter table skipped_files add column if not exists reason_code varchar;
-- What each path of the landing zone held, run by run (state_batches.record_arrivals, before the run reads
-- anything): a row when a run finds a path holding other content than when last recorded, a path new to the
-- state, or a path gone (sha256 ''). `sent`: content sent there, an arrival by which "the newest sent counts"
-- (version_arrivals): a file put back as it was, the same bytes under a new name. Not sent: a file renamed (its
-- content left the path that held it in the same run, and the new path is new to the state), a file back
-- unchanged after it was gone, a path gone.
create table if not exists path_contents (
    source_file varchar not null,
    sha256 varchar not null,
    run_id varchar not null,
    sent boolean not null default true
);

-- One row per path_contents row, with the start of the run that found it.
create or replace view path_arrivals as
select p.source_file, p.sha256, p.run_id, p.sent, r.started_at as arrived_at
from path_contents as p
join runs as r using (run_id);

-- One row per path: the content it last held, and whether it was there when a run last looked.
create or replace view path_now as
select
    source_file,
    arg_max(sha256, arrived_at) filter (where sha256 <> '') as sha256,
    arg_max(sha256 <> '', arrived_at) as present
from path_arrivals
group by source_file;

-- One row per file version (a copy aside): its content's latest arrival (sent) at its own path or at a path where
-- a copy of it was recorded in its month, the run that found it and the path it came as (its own first). A copy
-- in another month's folder, or bytes rejected elsewhere (a village's file in the BPJS folder), are no arrival
-- of this version. refresh_current.sql ranks by `arrived_at`: the newest sent counts.
create or replace view version_arrivals as
select
    v.sha256, v.source_file, max(a.arrived_at) as arrived_at,
    arg_max(a.run_id, (a.arrived_at, a.source_file = v.source_file, a.source_file)) as run_id,
    arg_max(a.source_file, (a.arrived_at, a.source_file = v.source_file, a.source_file)) as came_as
from ingested_files as v
join ingested_files as at_path
    on at_path.sha256 = v.sha256 and at_path.period is not distinct from v.period
    and (at_path.source_file = v.source_file or at_path.reason_code = 'same_content')
join path_arrivals as a on a.sha256 = at_path.sha256 and a.source_file = at_path.source_file and a.sent
where v.reason_code is distinct from 'same_content'
group by v.sha256, v.source_file;

-- Each version of a BPJS export with its place in the order of arrival among the files of
-- its kind and period: its latest arrival (version_arrivals: the newest sent counts, as for a
-- village's file, so an earlier export the branch sends again is the newest), then its
-- modification time, then its path (refresh_exports.sql decides which count;
-- publish_verification.sql prefers the later part). A version with no arrival recorded ranks by
-- the run that read it.
create or replace view export_versions as
select
    g.sha256, g.source_file, g.period, g.group_code as kind, g.is_current, g.superseded_by,
    row_number() over (
        partition by g.period, g.group_code order by coalesce(a.arrived_at, r.started_at), g.modified_at, g.source_file
    ) as arrival
from file_groups as g
join ingested_files as f using (sha256, source_file)
join runs as r on r.run_id = f.run_id
left join version_arrivals as a using (sha256, source_file)
where g.village_code = 'BPJS';

alter table skipped_files add column if not exists reason_params varchar;
alter table skipped_files add column if not exists alasan varchar;
