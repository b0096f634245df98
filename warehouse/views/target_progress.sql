-- target_progress: one row per period and group that has a target valid in that period.
-- How far is each group from its target (group_targets: for example 100% of BPD members by
-- December 2025)? A target with target_set_by = 'contoh' was shipped with cakupan, not set by the regency. The people still to enrol, the months left
-- before the due month, and the pace that would meet it. Groups without a target row have
-- no row here. The regency-wide 40% of all workers is not a roster target: see
-- regency_target_context.
-- Grain: period, group_code
-- Example: select period, group_label, coverage_pct, target_pct, due_period, gap_people, people_per_month from target_progress where period = '2024-04' order by group_label
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- target_pct: share of the group's members to enrol, percent (group_targets)
-- due_period: the month by which the target is to be met, 'YYYY-MM'
-- members: distinct people (by NIK) on the group's rosters
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- gap_people: people still to enrol to reach target_pct of members (0 when reached)
-- months_left: months from period to due_period (0 in the due month or after it)
-- people_per_month: gap_people spread over months_left, rounded up (gap_people when no month is left)
-- target_source: where the target comes from (group_targets.source)
-- target_set_by: 'kabupaten' (the regency set it), or 'contoh' for an example shipped with cakupan that the regency has not set (not policy); group_targets.set_by 'regency' or 'example'
with coverage as (
    select * from coverage_by_group
),

targets as (
    select
        coverage.*,
        group_targets.target_pct,
        group_targets.due_period,
        group_targets.source as target_source,
        case group_targets.set_by when 'regency' then 'kabupaten' when 'example' then 'contoh' end as target_set_by,
        greatest(
            ceil(group_targets.target_pct * coverage.members / 100) - coverage.enrolled, 0
        )::bigint as gap_people,
        greatest(
            12 * (left(group_targets.due_period, 4)::integer - left(coverage.period, 4)::integer)
            + right(group_targets.due_period, 2)::integer - right(coverage.period, 2)::integer,
            0
        ) as months_left
    from coverage
    join group_targets
        on group_targets.group_code = coverage.group_code
        and strptime(coverage.period || '-01', '%Y-%m-%d')::date >= group_targets.valid_from
        and (
            group_targets.valid_to is null
            or strptime(coverage.period || '-01', '%Y-%m-%d')::date <= group_targets.valid_to
        )
),

final as (
    select
        period,
        group_code,
        group_label,
        target_pct,
        due_period,
        members,
        enrolled,
        coverage_pct,
        gap_people,
        months_left,
        ceil(gap_people / greatest(months_left, 1))::bigint as people_per_month,
        target_source,
        target_set_by
    from targets
)

select * from final
