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
-- batch, and by state.fill_alasan where a statement changed a reason and cleared it), and
-- for each version of a group that no longer counts, the file that replaced it.
alter table ingested_files add column if not exists alasan varchar;
alter table ingested_sheets add column if not exists alasan varchar;
alter table file_groups add column if not exists superseded_by varchar;
alter table ingested_files add column if not exists rows_duplicate integer;  -- later exact copies, loaded once

-- What kind of file each is: a village's roster, or one of the BPJS branch's exports
-- (bpjs_peserta, bpjs_iuran, bpjs_klaim; flows/ingest/exports.py). An export's version is
-- current per (period, kind): file_groups holds it with village_code 'BPJS' and the kind as
-- group_code, so a later export of the same kind and period supersedes it as for rosters.
alter table ingested_files add column if not exists kind varchar default 'roster';

-- The exports' accepted rows, with raw NIKs and names: like roster_rows, only here.
create table if not exists bpjs_peserta (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar not null,
    sheet varchar not null,
    source_row integer not null,
    kpj varchar,
    nik varchar,
    name varchar,
    birth_date date,
    segment varchar,
    program varchar,
    member_since date,
    status varchar not null,
    last_paid_month varchar,
    run_id varchar not null
);

create table if not exists bpjs_iuran (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar not null,
    sheet varchar not null,
    source_row integer not null,
    kpj varchar,
    nik varchar,
    month_covered varchar not null,
    paid_date date not null,
    amount_idr bigint not null,
    source varchar,
    run_id varchar not null
);

create table if not exists bpjs_klaim (
    sha256 varchar not null,
    source_file varchar not null,
    period varchar not null,
    sheet varchar not null,
    source_row integer not null,
    claim_no varchar not null,
    kpj varchar,
    nik varchar,
    program varchar not null,
    event_date date,
    paid_date date not null,
    amount_idr bigint not null,
    run_id varchar not null
);
