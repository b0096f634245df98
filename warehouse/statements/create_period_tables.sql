-- Periods that close (flows/store/periods.py, `cakupan close / reopen / accept / follow-up`):
-- the audit trail of every action, the file versions a close locked, the figures it
-- snapshotted, and when each file version first arrived. Run with create_state_tables on
-- every connection; nothing here is ever deleted (a full refresh keeps it).

-- The audit trail: one row per action, in the order taken (action_id). A close or reopen
-- names a period and a kecamatan (district_code) or, when null, the whole regency; an accept
-- names one pending file version; a follow-up names an outlier flag and its new status.
create table if not exists period_actions (
    action_id integer primary key,
    action varchar not null,  -- 'close', 'reopen', 'accept' or 'follow_up'
    period varchar not null,
    district_code varchar,  -- null: the whole regency (close, reopen)
    village_code varchar,  -- accept, follow_up
    group_code varchar,  -- follow_up
    check_name varchar,  -- follow_up: the outlier check
    follow_up_status varchar,  -- follow_up: 'open', 'investigating', 'explained' or 'corrected'
    source_file varchar,  -- accept: the file accepted
    sha256 varchar,  -- accept: its version
    acted_by varchar not null,
    acted_at timestamptz not null,
    reason varchar not null
);

-- What a close locked: the version that counted for each (period, village, group) of its
-- scope when it was taken. While the close is in force only these versions, and versions
-- accepted after it, may count (held_versions).
create table if not exists period_locked_versions (
    action_id integer not null,
    period varchar not null,
    village_code varchar not null,
    group_code varchar not null,
    sha256 varchar not null
);

-- The figures a close snapshotted: the published coverage_base rows of its period and scope
-- (every cut), as the warehouse showed them when the period was closed.
create table if not exists period_snapshots (
    action_id integer not null,
    cut varchar not null,
    period varchar not null,
    district_code varchar,
    village_code varchar,
    group_code varchar,
    members bigint not null,
    enrolled bigint not null,
    coverage_pct double,
    is_provisional boolean
);

-- When a run first saw each file version: the started_at of the run that ingested it, kept
-- through a full refresh (which reads the file again in a later run).
create table if not exists file_arrivals (
    sha256 varchar not null,
    source_file varchar not null,
    run_id varchar not null,
    arrived_at timestamptz not null,
    primary key (sha256, source_file)
);

-- The close or reopen in force for each version of a group: the latest such action for its
-- period and kecamatan (a village's kecamatan is the first 8 characters of its code,
-- '33.02.17.2001' -> '33.02.17'), whether regency-wide or for that kecamatan.
create or replace view governing_actions as
select g.sha256, g.group_code, g.source_file, g.period, g.village_code, g.superseded_by, a.action_id, a.action
from file_groups as g
join period_actions as a
    on a.period = g.period and a.action in ('close', 'reopen')
    and (a.district_code is null or a.district_code = left(g.village_code, 8))
qualify row_number() over (partition by g.sha256, g.group_code order by a.action_id desc) = 1;

-- Versions of a group that may not count: their period is closed for their kecamatan and they
-- are neither a version the close locked nor one accepted after it. refresh_current.sql ranks
-- them last and never makes them current. `pending` (hold_pending.sql: a correction to accept or
-- leave) are:
--   - those that arrived after the close: after the first of the closes in force since the last
--     reopen, so a correction held by a kecamatan's close stays held when the regency closes;
--   - those the closed figures lack though nothing replaced them (read only after the close:
--     rejected for a reason of the moment before it): a village's file of a village and group the
--     close locked nothing for, or a part of a BPJS export no other export of its kind replaced
--     (all parts of a kind count: refresh_exports.sql).
-- Others are plain history: superseded before the close by a version it locked.
create or replace view held_versions as
select
    g.sha256, g.group_code, g.source_file, g.period, g.village_code, g.action_id as close_action_id,
    coalesce(arrival.arrived_at > (  -- the first close of the closes in force: a kecamatan's, then the regency's
        select min(c.acted_at) from period_actions as c
        where c.period = g.period and c.action = 'close'
          and (c.district_code is null or c.district_code = left(g.village_code, 8))
          and c.action_id > coalesce((
              select max(r.action_id) from period_actions as r
              where r.period = g.period and r.action = 'reopen'
                and (r.district_code is null or r.district_code = left(g.village_code, 8))
          ), 0)
    ), true) or case
        when g.village_code = 'BPJS' then g.superseded_by is null
        else not exists (
            select 1 from period_locked_versions as slot
            where slot.action_id = g.action_id and slot.village_code = g.village_code
              and slot.group_code = g.group_code
        )
    end as pending
from governing_actions as g
left join file_arrivals as arrival using (sha256, source_file)
where g.action = 'close'
  and not exists (
      select 1 from period_locked_versions as l
      where l.action_id = g.action_id and l.sha256 = g.sha256 and l.group_code = g.group_code
  )
  and not exists (
      select 1 from period_actions as accepted
      where accepted.action = 'accept' and accepted.sha256 = g.sha256 and accepted.action_id > g.action_id
  );

-- path_contents (create_state_tables.sql) for a state from before 2026-12-08: each version and copy arrived at
-- its path when a run first saw it (file_arrivals: a full refresh reads every file again in one run), and content
-- sent again arrived where 2026-12-07's marks say (returned_by, returned_as, dropped once carried over).
alter table ingested_files add column if not exists returned_by varchar;
alter table ingested_files add column if not exists returned_as varchar;
insert into path_contents by name
select source_file, sha256, run_id
from (
    select f.source_file, f.sha256, coalesce(a.run_id, f.run_id) as run_id
    from ingested_files as f
    left join file_arrivals as a using (sha256, source_file)
    union all
    select returned_as, sha256, returned_by from ingested_files where returned_by is not null
)
where not exists (select 1 from path_contents);
alter table ingested_files drop column returned_by;
alter table ingested_files drop column returned_as;
