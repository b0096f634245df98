-- Build the analyst warehouse's period tables (issue 21: timeliness, closed periods, held
-- corrections, the audit trail) in the attached database `analyst`, after publish_tables.sql in
-- the same transaction (its temporary macro `masked` and analyst.villages are there). Reads the
-- state tables of create_period_tables.sql and the registered frame ref_due_dates; $timezone is
-- the regency's time zone (Settings.timezone), $outlier_* the outlier thresholds.

-- due_dates: one row per period received: when its rosters are due (reference, raw/reference/due_dates.csv).
-- When is a month's roster due? The rule valid for the period (for example the 10th of the
-- following month) gives the last day; a file is on time when a run first saw it before the end
-- of that day in the regency's time zone plus the rule's grace hours (the nightly run at 02:00
-- sees what was sent the day before).
-- Grain: period
-- Example: select period, due_date, due_at from due_dates order by period
-- Columns:
-- period: month, 'YYYY-MM'
-- due_date: the last day to send the month's roster
-- due_at: the moment a file first seen later is late (end of due_date, local time, plus grace_hours)
-- grace_hours: hours after the end of due_date still on time
-- source: the rule and where it comes from
create table analyst.due_dates as
with periods as (
    select distinct period from ingested_files where period is not null
),

rules as (
    select p.period, r.*
    from periods as p
    join ref_due_dates as r on p.period >= r.valid_from and (r.valid_to is null or p.period <= r.valid_to)
    qualify row_number() over (partition by p.period order by r.valid_from desc) = 1
),

dated as (
    select
        period,
        (strptime(period || '-01', '%Y-%m-%d')::date + to_months(months_after) + to_days(due_day - 1))::date
            as due_date,
        grace_hours,
        source
    from rules
)

select
    period,
    due_date,
    timezone($timezone, (due_date + 1)::timestamp) + to_hours(grace_hours) as due_at,
    grace_hours,
    source
from dated;

-- file_arrivals: one row per file version received: when it arrived, and on what evidence.
-- A file's arrival is the earliest trustworthy evidence that it was sent: its modification time
-- in the landing zone (arrival_source 'waktu_berkas') when that time is set, not before its month began
-- and not after the run that first saw the file; otherwise the start of that run ('pertama_terlihat'),
-- which only bounds the arrival from above. A modification time within a day of the run that
-- first saw the file may be the moment a copy was made rather than when the village sent it
-- (a backfill copied into the landing zone): such an arrival, like a first-seen one, is an upper
-- bound (is_upper_bound). submission_timeliness_by_village calls an upper bound after the due
-- date 'terlambat' only if cakupan was already watching the landing zone then (watched_since),
-- and 'tidak_diketahui' otherwise.
-- Grain: source_file, sha256
-- Example: select source_file, arrived_at, arrival_source, is_upper_bound from file_arrivals order by arrived_at desc limit 5
-- Columns:
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of the file version
-- run_id: the run that first read it
-- first_seen_at: when that run started (kept through a full refresh)
-- modified_at: the file's modification time in the landing zone when last read; null when not set
-- arrived_at: the arrival: modified_at when trustworthy, else first_seen_at
-- arrival_source: 'waktu_berkas' (modified_at, the file's time) or 'pertama_terlihat' (first_seen_at)
-- is_upper_bound: the file arrived at arrived_at or earlier, exactly when is not known (pertama_terlihat, or a file time within a day of first_seen_at)
-- watched_since: when the first run of this installation started: files due before it were not being watched
create table analyst.file_arrivals as
with evidence as (
    select
        a.sha256,
        a.source_file,
        a.run_id,
        a.arrived_at as first_seen_at,
        case when f.modified_at > 0 then to_timestamp(f.modified_at) end as modified_at,
        timezone($timezone, strptime(f.period || '-01', '%Y-%m-%d')) as period_starts_at
    from file_arrivals as a
    left join ingested_files as f using (sha256, source_file)
),

trusted as (
    select
        *,
        coalesce(modified_at >= period_starts_at and modified_at <= first_seen_at, false) as mtime_trusted
    from evidence
)

select
    masked(source_file) as source_file,
    sha256,
    run_id,
    first_seen_at,
    modified_at,
    case when mtime_trusted then modified_at else first_seen_at end as arrived_at,
    case when mtime_trusted then 'waktu_berkas' else 'pertama_terlihat' end as arrival_source,
    not mtime_trusted or modified_at > first_seen_at - interval 1 day as is_upper_bound,
    (select min(started_at) from runs) as watched_since
from trusted;

-- period_actions: one row per action of the period audit trail, in the order taken.
-- Who closed, reopened or accepted what, when and why; and who set an outlier flag's follow-up
-- status. Closing a period keeps its figures (closed_figures); files arriving for it after the
-- close are held (pending_corrections) until accepted here or the period is reopened.
-- Grain: action_id
-- Example: select action_id, action, period, district_code, source_file, acted_by, acted_at, reason from period_actions where action = 'tutup' order by action_id
-- Columns:
-- action_id: the action's number; later actions have higher numbers
-- action: 'tutup' (closed, `cakupan close`), 'buka_kembali' (reopened), 'terima' (a held file accepted: it counts from the next run) or 'tindak_lanjut' (an outlier flag's follow-up status set)
-- period: month, 'YYYY-MM'
-- district_code: the kecamatan acted on ('33.02.17'); null for the whole regency
-- village_code: the village of an accepted file or of an outlier flag
-- group_code: the group of an outlier flag
-- check_name: the outlier check of a follow-up (see the view outliers)
-- follow_up_status: 'terbuka', 'diperiksa', 'dijelaskan' or 'dikoreksi' (follow-ups; see outliers)
-- source_file: the file accepted (NIK-like digits masked)
-- sha256: content digest of the version accepted
-- acted_by: who acted (the operating system user, or the name given with --by)
-- acted_at: when
-- reason: why, as the operator wrote it (NIK-like digits masked)
create table analyst.period_actions as
-- the state database stores the English codes it always has (flows/store/periods.py); analysts read Indonesian
select
    action_id,
    case action
        when 'close' then 'tutup' when 'reopen' then 'buka_kembali' when 'accept' then 'terima'
        when 'follow_up' then 'tindak_lanjut'
    end as action,
    period, district_code, village_code, group_code, check_name,
    case follow_up_status
        when 'open' then 'terbuka' when 'investigating' then 'diperiksa' when 'explained' then 'dijelaskan'
        when 'corrected' then 'dikoreksi'
    end as follow_up_status,
    masked(source_file) as source_file, sha256, masked(acted_by) as acted_by, acted_at, masked(reason) as reason
from period_actions;

-- closed_versions: one row per file version a close locked, for each village and group of its period and scope.
-- Which version of each village's roster was behind the figures when the period was closed? One
-- per village and group; the BPJS branch's exports (village_code 'BPJS', the kind as group_code)
-- may have several, the parts of one export.
-- Grain: close_action_id, village_code, group_code, sha256
-- Example: select close_action_id, period, village_code, group_code, sha256 from closed_versions limit 5
-- Columns:
-- close_action_id: the close (period_actions.action_id)
-- period: month, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001'); 'BPJS' for the branch's exports
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; for an export, its kind (bpjs_participants, bpjs_contributions, bpjs_claims)
-- sha256: content digest of the version that counted
create table analyst.closed_versions as
select action_id as close_action_id, period, village_code, group_code, sha256
from period_locked_versions;

-- closed_figures: one row per close and coverage figure of its period and scope, as published when it was closed.
-- The snapshot a close takes of coverage_base (every cut: group, district, district and group,
-- village and group), so the figures reported stay reproducible: closed_period_changes compares
-- the figures in force with today's.
-- Grain: close_action_id, cut, district_code, village_code, group_code
-- Example: select cut, district_code, group_code, members, enrolled, coverage_pct from closed_figures where cut = 'group' order by close_action_id, group_code
-- Columns:
-- close_action_id: the close (period_actions.action_id)
-- period: month, 'YYYY-MM'
-- cut: 'group', 'district', 'district_group' or 'village_group' (as in coverage_base)
-- district_code: Kemendagri district code; null in the 'group' cut
-- village_code: Kemendagri village code; null except in the 'village_group' cut
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'district' cut
-- members: distinct people in the cut when closed
-- enrolled: those of them enrolled when closed
-- coverage_pct: 100 * enrolled / members, one decimal, when closed
-- is_provisional: whether the figure was provisional when closed; null in the 'group' cut
create table analyst.closed_figures as
select action_id as close_action_id, period, cut, district_code, village_code, group_code, members, enrolled,
       coverage_pct, is_provisional
from period_snapshots;

-- pending_corrections: one row per file version held for a closed period and group it reports.
-- What would a late correction change? A file that arrived after its period was closed (or that
-- the closed figures lack: read only after the close) is read, validated and reported to its
-- village, but counts only once accepted (cakupan accept) or the period reopened. Before: the village's figures for the group now (the version that counts);
-- after: its figures if this file counted instead.
-- Grain: sha256, group_code
-- Example: select village_name, group_code, source_file, members_before, members_after, enrolled_before, enrolled_after from pending_corrections order by village_name, group_code
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- source_file: the held file (NIK-like digits masked)
-- sha256: content digest of the held version
-- arrived_at: when a run first saw it
-- close_action_id: the close that holds it (period_actions.action_id)
-- counted_file: the file that counts for the village and group now; null when none does (NIK-like digits masked)
-- members_before: distinct people on the group's roster now (0 when none counts)
-- enrolled_before: those of them enrolled
-- members_after: distinct people on the held file's roster for the group
-- enrolled_after: those of them enrolled
-- members_change: members_after - members_before
-- enrolled_change: enrolled_after - enrolled_before
create table analyst.pending_corrections as
with pending as (
    select sha256, group_code, source_file, period, village_code, close_action_id
    from held_versions
    where pending
),

counted as (
    select p.sha256, p.group_code, g.sha256 as counted_sha256, g.source_file as counted_file
    from pending as p
    join file_groups as g
        on g.period = p.period and g.village_code = p.village_code and g.group_code = p.group_code and g.is_current
),

-- a roster's figures as coverage_by_village counts them: distinct people (NIK), enrolled in any row
figures as (
    select r.sha256, r.group_code, count(distinct r.nik) as members, count(distinct r.nik) filter (where r.enrolled)
        as enrolled
    from roster_rows as r
    semi join (
        select sha256, group_code from pending union select counted_sha256, group_code from counted
    ) as wanted using (sha256, group_code)
    group by r.sha256, r.group_code
)

select
    p.period,
    v.district_code,
    v.district_name,
    p.village_code,
    v.village_name,
    p.group_code,
    masked(p.source_file) as source_file,
    p.sha256,
    arrival.arrived_at,
    p.close_action_id,
    masked(c.counted_file) as counted_file,
    coalesce(before.members, 0) as members_before,
    coalesce(before.enrolled, 0) as enrolled_before,
    coalesce(after.members, 0) as members_after,
    coalesce(after.enrolled, 0) as enrolled_after,
    coalesce(after.members, 0) - coalesce(before.members, 0) as members_change,
    coalesce(after.enrolled, 0) - coalesce(before.enrolled, 0) as enrolled_change
from pending as p
join analyst.villages as v using (village_code)
left join file_arrivals as arrival using (sha256, source_file)
left join counted as c on c.sha256 = p.sha256 and c.group_code = p.group_code
left join figures as before on before.sha256 = c.counted_sha256 and before.group_code = p.group_code
left join figures as after on after.sha256 = p.sha256 and after.group_code = p.group_code;
