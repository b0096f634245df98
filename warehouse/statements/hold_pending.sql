-- Run right after refresh_current.sql, in its transaction (state_current.refresh_current). Records
-- when each new file version first arrived, then holds the versions a closed period's figures
-- lack (held_versions.pending: arrived after the close, or replaced by nothing the close locked):
-- refresh_current.sql has already kept them out of the figures; here they become 'pending',
-- saying why (a reason of the catalogue), and their row failures stay current so the village is told about them as usual
-- (`cakupan rejects`). A held version is counted once accepted (`cakupan accept`) or once its
-- period is reopened: the next refresh ranks it like any other.

-- the run that first saw a version is its arrival (a full refresh reads it again later)
insert into file_arrivals by name
select f.sha256, f.source_file, f.run_id, r.started_at as arrived_at
from ingested_files as f
join runs as r using (run_id)
where not exists (
    select 1 from file_arrivals as a where a.sha256 = f.sha256 and a.source_file = f.source_file
);

-- the reason is the catalogue's held_regency or held_district (flows/ingest/reasons.py), said in
-- both languages by state_current.fill_reasons
update ingested_files as f
set status = 'pending',
    reason_code = case when p.district is null then 'held_regency' else 'held_district' end,
    reason_params = case
        when p.district is null then json_object('period', p.period, 'action', p.close_action_id)
        else json_object('period', p.period, 'action', p.close_action_id, 'district', p.district)
    end::varchar,
    reason = null,
    alasan = null
from (
    select
        h.sha256,
        h.source_file,
        any_value(h.period) as period,
        max(h.close_action_id) as close_action_id,
        any_value(c.district_code) as district
    from held_versions as h
    join period_actions as c on c.action_id = h.close_action_id
    where h.pending
    group by h.sha256, h.source_file
) as p
where f.sha256 = p.sha256 and f.source_file = p.source_file and f.status = 'superseded';

-- a pending version's row failures are current: the village still fixes its file
update validation_failures as v
set is_current = true
from held_versions as h
where h.pending and v.sha256 = h.sha256 and v.group_code = h.group_code
  and v.check_name <> 'file_conflict' and not is_cross_row_check(v.check_name);
