-- coverage_by_regency_group: one row per period, regency (kabupaten or kota) and group.
-- Which groups lag in which regency of the province?
-- Grain: period, regency_code, group_code
-- Example: select regency_name, members, enrolled, coverage_pct from coverage_by_regency_group where period = '2024-04' and group_code = 'RT_RW' order by coverage_pct
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- regency_name: regency or city name ('Kabupaten Banyumas')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people (by NIK) on the group's rosters in the regency
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the regency reported than the threshold (see submission_status_by_regency)
with final as (
    select period, regency_code, regency_name, group_code, group_label, members, enrolled, coverage_pct, is_provisional
    from internal.people_counts
    where source = 'roster' and cut = 'by_regency_group'
)

select * from final
