-- coverage_by_group: one row per period and group.
-- How many distinct people does each group have, and how many of them are enrolled in
-- BPJS Ketenagakerjaan? A person enrolled in any of their rows counts as enrolled.
-- Grain: period, group_code
-- Example: select group_code, members, enrolled, coverage_pct from coverage_by_group where period = '2024-04'
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- members: distinct people (by NIK) on the group's rosters
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
with source as (
    select * from coverage_base where cut = 'group'
),

final as (
    select period, group_code, members, enrolled, coverage_pct
    from source
)

select * from final
