-- coverage_by_group: one row per period and group.
-- How many distinct people does each group have, and how many of them are enrolled in
-- BPJS Ketenagakerjaan? A person enrolled in any of their rows counts as enrolled.
-- Example: select group_code, members, enrolled, coverage_pct from coverage_by_group where period = '2024-04'
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- members: distinct people (by NIK) on the group's rosters
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
with people as (
    select period, group_code, person_id, bool_or(enrolled) as enrolled
    from roster
    group by period, group_code, person_id
),

final as (
    select
        period,
        group_code,
        count(*) as members,
        count(*) filter (where enrolled) as enrolled,
        round(100.0 * count(*) filter (where enrolled) / count(*), 1) as coverage_pct
    from people
    group by period, group_code
)

select * from final
order by period, group_code
