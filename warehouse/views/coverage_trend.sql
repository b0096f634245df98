-- coverage_trend: one row per period and group.
-- Is coverage getting better? Coverage by group with the change since the previous period.
-- Grain: period, group_code
-- Example: select period, group_label, coverage_pct, change_pct_points from coverage_trend where group_code = 'RT_RW' order by period
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people (by NIK) on the group's rosters (not additive across groups)
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- change_pct_points: coverage_pct minus the group's coverage_pct in the previous period (null for the first)
with source as (
    select * from coverage_by_group
),

final as (
    select
        period,
        group_code,
        group_label,
        members,
        enrolled,
        coverage_pct,
        round(coverage_pct - lag(coverage_pct) over (partition by group_code order by period), 1) as change_pct_points
    from source
)

select * from final
