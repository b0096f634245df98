-- Record one action of the period audit trail (flows/store/periods.py) as the next action_id:
-- $action on $period, for kecamatan $district_code (null: the whole regency), with what it
-- names ($village_code, $group_code, $check_name, $follow_up_status, $source_file, $sha256;
-- null where it names none), by $acted_by, now, because $reason.
insert into period_actions by name
select
    coalesce((select max(action_id) from period_actions), 0) + 1 as action_id,
    $action as action,
    $period as period,
    $district_code as district_code,
    $village_code as village_code,
    $group_code as group_code,
    $check_name as check_name,
    $follow_up_status as follow_up_status,
    $source_file as source_file,
    $sha256 as sha256,
    $acted_by as acted_by,
    now() as acted_at,
    $reason as reason;
