-- What close action $action_id keeps: for $period and kecamatan $district_code (null: the whole
-- regency), the file version that counts for each village and group now, and the figures the
-- published warehouse (attached as `published`) shows for them, every cut of coverage_base.
-- The caller checked that the published warehouse shows what the state holds.
insert into period_locked_versions by name
select $action_id as action_id, period, village_code, group_code, sha256
from file_groups
where is_current and period = $period and ($district_code is null or left(village_code, 8) = $district_code);

insert into period_snapshots by name
select $action_id as action_id, cut, period, district_code, village_code, group_code, members, enrolled,
       coverage_pct, is_provisional
from published.internal.coverage_base
where period = $period and ($district_code is null or district_code = $district_code);
