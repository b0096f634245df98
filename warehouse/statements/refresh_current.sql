-- Decide which file version is current for each (period, village, group): the most
-- recently modified one (ties broken by path). Older versions become 'superseded' once
-- none of their groups is current; their failures stay, marked as history.
update file_groups as g
set is_current = (ranked.rank_in_slot = 1)
from (
    select sha256, group_code,
           row_number() over (
               partition by period, village_code, group_code
               order by modified_at desc, source_file desc
           ) as rank_in_slot
    from file_groups
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
