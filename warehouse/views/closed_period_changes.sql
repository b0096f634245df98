-- closed_period_changes: one row per coverage figure of a closed period: as closed, and today.
-- Do the figures of a closed period still read as they were closed? For every kecamatan whose
-- period is closed (period_status), each figure the close snapshotted (closed_figures) beside
-- the same figure today (coverage_base); the regency-wide 'group' cut while the whole regency
-- is closed by one close. `unchanged` is false only after an accepted correction
-- (period_actions, action 'terima'), which changes the figures on purpose and on the record.
-- Grain: period, cut, district_code, village_code, group_code
-- Example: select period, cut, count(*) as figures, count(*) filter (where not unchanged) as changed from closed_period_changes group by all order by all
-- Columns:
-- period: month, 'YYYY-MM'
-- cut: 'group', 'district', 'district_group' or 'village_group' (as in coverage_base)
-- district_code: Kemendagri district code; null in the 'group' cut
-- district_name: kecamatan name; null where district_code is
-- village_code: Kemendagri village code; null except in the 'village_group' cut
-- village_name: desa or kelurahan name; null where village_code is
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'district' cut
-- group_label: the group's name in Indonesian; null where group_code is
-- close_action_id: the close in force (period_actions.action_id)
-- members_closed: members when closed; null for a figure that did not exist then
-- enrolled_closed: enrolled when closed
-- members_now: members today; null for a figure that no longer exists
-- enrolled_now: enrolled today
-- unchanged: members and enrolled are what they were when closed
with in_force as (
    select period, district_code, action_id as close_action_id
    from period_status
    where status = 'ditutup'
),

-- the regency-wide figures stay closed while one close covers every kecamatan of the period
regency_in_force as (
    select period, any_value(action_id) as close_action_id
    from period_status
    group by period
    having bool_and(status = 'ditutup' and scope = 'kabupaten') and count(distinct action_id) = 1
),

closed as (
    select f.*
    from closed_figures as f
    join in_force as i
        on i.period = f.period and i.district_code = f.district_code and i.close_action_id = f.close_action_id
    union all
    select f.*
    from closed_figures as f
    join regency_in_force as r on r.period = f.period and r.close_action_id = f.close_action_id
    where f.district_code is null
),

today as (
    select c.*, i.close_action_id
    from internal.coverage_base as c
    join in_force as i on i.period = c.period and i.district_code = c.district_code
    union all
    select c.*, r.close_action_id
    from internal.coverage_base as c
    join regency_in_force as r on r.period = c.period
    where c.district_code is null
),

compared as (
    select
        coalesce(closed.period, today.period) as period,
        coalesce(closed.cut, today.cut) as cut,
        coalesce(closed.district_code, today.district_code) as district_code,
        coalesce(closed.village_code, today.village_code) as village_code,
        coalesce(closed.group_code, today.group_code) as group_code,
        coalesce(closed.close_action_id, today.close_action_id) as close_action_id,
        closed.members as members_closed,
        closed.enrolled as enrolled_closed,
        today.members as members_now,
        today.enrolled as enrolled_now,
        coalesce(closed.members = today.members and closed.enrolled = today.enrolled, false) as unchanged
    from closed
    full join today
        on today.period = closed.period and today.cut = closed.cut
        and today.district_code is not distinct from closed.district_code
        and today.village_code is not distinct from closed.village_code
        and today.group_code is not distinct from closed.group_code
),

final as (
    select
        compared.period,
        compared.cut,
        compared.district_code,
        districts.district_name,
        compared.village_code,
        villages.village_name,
        compared.group_code,
        groups.group_label,
        compared.* exclude (period, cut, district_code, village_code, group_code)
    from compared
    left join districts on districts.district_code = compared.district_code
    left join villages on villages.village_code = compared.village_code
    left join groups on groups.group_code = compared.group_code
)

select * from final
