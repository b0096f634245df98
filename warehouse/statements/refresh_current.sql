-- Decide which file version is current for each (period, village, group): the one that
-- arrived in the latest run, and among files of one run the most recently modified (ties
-- broken by path). Older versions become 'superseded' once none of their groups is
-- current; their failures stay, marked as history.
update file_groups as g
set is_current = (ranked.rank_in_slot = 1)
from (
    select fg.sha256, fg.group_code,
           row_number() over (
               partition by fg.period, fg.village_code, fg.group_code
               order by r.started_at desc, fg.modified_at desc, fg.source_file desc
           ) as rank_in_slot
    from file_groups as fg
    join ingested_files as f on f.sha256 = fg.sha256 and f.source_file = fg.source_file
    join runs as r on r.run_id = f.run_id
) as ranked
where g.sha256 = ranked.sha256 and g.group_code = ranked.group_code;

update ingested_files as f
set status = case
    when exists (select 1 from file_groups g where g.sha256 = f.sha256 and g.is_current) then 'loaded'
    else 'superseded'
end
where f.status in ('loaded', 'superseded')
  and exists (select 1 from file_groups g where g.sha256 = f.sha256);

update validation_failures as v
set is_current = coalesce(
    (select g.is_current from file_groups g where g.sha256 = v.sha256 and g.group_code = v.group_code),
    (select f.status = 'loaded' from ingested_files f where f.sha256 = v.sha256 and f.source_file = v.source_file)
);

-- Cross-row warnings over the current rows, recomputed by every run: the same NIK in two
-- villages in one period, and one person enrolled in one row and not in another.
-- Reads the registered frame ref_checks (the check catalog); $run_id names the run.
delete from validation_failures where check_name in ('nik_in_two_villages', 'enrolment_inconsistent');

insert into validation_failures by name
with current_rows as (
    select r.*
    from roster_rows as r
    join file_groups as g on g.sha256 = r.sha256 and g.group_code = r.group_code and g.is_current
),

two_villages as (
    select period, nik from current_rows group by period, nik having count(distinct village_code) > 1
),

inconsistent as (
    select period, nik from current_rows group by period, nik having bool_or(enrolled) and not bool_and(enrolled)
),

flagged as (
    select c.*, 'nik_in_two_villages' as check_name, c.village_code as shown
    from current_rows as c semi join two_villages using (period, nik)
    union all
    select c.*, 'enrolment_inconsistent' as check_name, case when c.enrolled then 'sudah' else 'belum' end
    from current_rows as c semi join inconsistent using (period, nik)
)

select
    $run_id as run_id, f.period, f.source_file, f.sha256, f.sheet, f.source_row, f.group_code,
    k.column_name, f.check_name, k.severity,
    left(f.nik, 6) || repeat('*', length(f.nik) - 10) || right(f.nik, 4) || ' (' || f.shown || ')' as failure_value,
    k.message, true as is_current
from flagged as f
join ref_checks as k using (check_name);

update roster_rows as r
set has_warning = exists (
    select 1 from validation_failures as v
    where v.sha256 = r.sha256 and v.sheet = r.sheet and v.source_row = r.source_row
      and v.is_current and v.severity = 'warning'
);
