-- coverage_by_group: one row per period and group.
-- How many distinct people does each group have, and how many of them are enrolled in
-- BPJS Ketenagakerjaan? A person enrolled in any of their rows counts as enrolled. Do not
-- add members or enrolled across groups: a person on two groups' rosters counts in each.
-- The regency's distinct total over all groups is coverage_regency.
-- Grain: period, group_code
-- Example: select group_label, members, enrolled, coverage_pct from coverage_by_group where period = '2024-04' order by group_label
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people (by NIK) on the group's rosters (not additive across groups)
-- enrolled: those of them enrolled (not additive across groups)
-- coverage_pct: 100 * enrolled / members, one decimal
with source as (
    select * from internal.coverage_base where cut = 'group'
),

final as (
    select period, group_code, group_label, members, enrolled, coverage_pct
    from source
)

select * from final
