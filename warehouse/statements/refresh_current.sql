-- Decide which roster version is current for each (period, village, group): the newest sent, the
-- one whose content arrived in the latest run (read then, or its bytes sent again then: put back,
-- copied; version_arrivals), and among files of one run the most recently
-- modified (ties broken by path; two files of one run in one slot are also reported as a conflict).
-- Older versions become 'superseded' once none of their groups is current, naming the file
-- that replaced them; their failures stay, marked as history.
-- Issue 21: a version held by a closed period (the state view held_versions,
-- create_period_tables.sql) ranks last and is never current; hold_pending.sql runs next.
-- The BPJS exports' slots (village_code 'BPJS') were decided by refresh_exports.sql.
update file_groups as g
set is_current = (ranked.rank_in_slot = 1 and not ranked.held)
from (
    select fg.sha256, fg.group_code, h.sha256 is not null as held,
           row_number() over (
               partition by fg.period, fg.village_code, fg.group_code
               order by
                   h.sha256 is not null, coalesce(a.arrived_at, r.started_at) desc, fg.modified_at desc,
                   fg.source_file desc
           ) as rank_in_slot
    from file_groups as fg
    join ingested_files as f on f.sha256 = fg.sha256 and f.source_file = fg.source_file
    join runs as r on r.run_id = f.run_id
    left join version_arrivals as a on a.sha256 = fg.sha256 and a.source_file = fg.source_file
    left join held_versions as h on h.sha256 = fg.sha256 and h.group_code = fg.group_code
    where fg.village_code <> 'BPJS'
) as ranked
where g.sha256 = ranked.sha256 and g.group_code = ranked.group_code;

-- a version of a group that no longer counts names the file that counts instead
update file_groups as g
set superseded_by = case when g.is_current then null else winner.source_file end
from (select period, village_code, group_code, source_file from file_groups where is_current) as winner
where g.village_code <> 'BPJS' and winner.period = g.period and winner.village_code = g.village_code and winner.group_code = g.group_code;

-- the file that replaced a version, as a reason's parameter: itself sent again is its newer version
create or replace temporary macro replaced_by(winner, own) as case
    when winner = own then json_object('code', 'newer_version', 'params', json_object('file', winner))
    else to_json(winner)
end;

-- A file is superseded once none of its groups counts, and says by what (by which file for each
-- group, when several replaced it); one superseded for some groups only says which. The reason is an entry of the catalogue (flows/ingest/reasons.py:
-- superseded, superseded_for of superseded_group): its code and parameters are recorded here, and
-- a changed reason's texts are cleared for state_current.fill_reasons to say again in both languages.
update ingested_files as f
set status = case when lost.kept then 'loaded' else 'superseded' end,
    reason_code = lost.said ->> '$.code',
    reason_params = (lost.said -> '$.params')::varchar,
    reason = case
        when lost.said is null then ''
        when f.reason_code = lost.said ->> '$.code' and f.reason_params = (lost.said -> '$.params')::varchar then f.reason
    end,
    alasan = case
        when f.reason_code = lost.said ->> '$.code' and f.reason_params = (lost.said -> '$.params')::varchar then f.alasan
    end
from (
    select
        sha256,
        source_file,
        bool_or(is_current) as kept,
        case
            when bool_and(is_current) then null
            when not bool_or(is_current) and count(distinct superseded_by) = 1 then json_object(
                'code', 'superseded', 'params', json_object('by', replaced_by(any_value(superseded_by), source_file))
            )
            else json_object('code', if(bool_or(is_current), 'superseded_for', 'superseded_each'), 'params', json_object('groups', to_json(list(
                json_object('code', 'superseded_group', 'params', json_object(
                    'group', group_code,
                    'label', replace(group_code, '_', '/'),
                    'by', replaced_by(superseded_by, source_file)
                )) order by group_code
            ) filter (where not is_current))))
        end as said
    from file_groups
    group by sha256, source_file
) as lost
where f.status in ('loaded', 'superseded', 'pending') and lost.sha256 = f.sha256 and lost.source_file = f.source_file;

-- a row's failure counts while its group's version does; a rejected file's, until other content
-- arrives at its path after it last did (the rejected file put back is rejected again)
update validation_failures as v
set is_current = case
    when v.check_name = 'file_rejected' then not exists (
        select 1
        from path_arrivals as later
        where later.source_file = v.source_file and later.sha256 not in (v.sha256, '') and later.arrived_at > (
            select max(mine.arrived_at) from path_arrivals as mine
            where mine.source_file = v.source_file and mine.sha256 = v.sha256
        )
    )
    else coalesce(
        (select g.is_current from file_groups g where g.sha256 = v.sha256 and g.group_code = v.group_code),
        (select f.status = 'loaded' from ingested_files f where f.sha256 = v.sha256 and f.source_file = v.source_file)
    )
end
where v.check_name <> 'file_conflict';

-- Two files of one run placed on the same (period, village, group): a conflict, reported on
-- both, naming the other; it stays current while one of them is the version that counts.
-- Not the branch's exports (village_code 'BPJS'): files of one kind and month are parts that all
-- count, or a later one replaces an earlier one (refresh_exports.sql), never a conflict.
delete from validation_failures where check_name = 'file_conflict';

insert into validation_failures by name
with slots as (  -- the run in which each version's content last arrived (not the run that read it: a full
    -- refresh reads old files again, in one run), and the path it came as
    select g.sha256, g.source_file, g.period, g.village_code, g.group_code, g.is_current,
           coalesce(c.run_id, a.run_id, f.run_id) as run_id, coalesce(c.came_as, g.source_file) as came_as
    from file_groups as g
    join ingested_files as f using (sha256, source_file)
    left join file_arrivals as a using (sha256, source_file)
    left join version_arrivals as c using (sha256, source_file)
    where g.village_code <> 'BPJS'
)

select
    a.run_id, a.period, a.source_file, a.sha256, a.group_code, k.column_name, k.check_name, k.severity,
    b.came_as as failure_value, k.message, a.is_current or b.is_current as is_current
from slots as a
join slots as b
    on b.period = a.period and b.village_code = a.village_code and b.group_code = a.group_code
    and b.run_id = a.run_id and (b.sha256, b.source_file) <> (a.sha256, a.source_file)
join ref_checks as k on k.check_name = 'file_conflict';

-- Cross-row warnings over the current rows, recomputed by every run (create_macros.sql,
-- cross_row_flags): the same NIK in two villages in one period, and one person enrolled in one
-- row and not in another.
-- Reads the registered frame ref_checks (the check catalog); $run_id names the run.
delete from validation_failures where is_cross_row_check(check_name);

create or replace temporary view cross_row_people as
select *, nik as person from current_roster_rows;

insert into validation_failures by name
select
    $run_id as run_id, f.period, f.source_file, f.sha256, f.sheet, f.source_row, f.group_code,
    k.column_name, f.check_name, k.severity,
    masked_nik(f.nik) || ' (' || f.shown || ')' as failure_value,
    k.message, true as is_current
from cross_row_flags('cross_row_people') as f
join ref_checks as k using (check_name);

update roster_rows as r
set has_warning = exists (
    select 1 from validation_failures as v
    where v.sha256 = r.sha256 and v.sheet = r.sheet and v.source_row = r.source_row
      and v.is_current and v.severity = 'warning'
);
