-- coverage_by_regency: one row per period and regency (kabupaten or kota).
-- Which regencies of the province lag? Distinct people across all groups; a person holding
-- posts in two groups counts once, enrolled if enrolled in any row.
-- Grain: period, regency_code
-- Example: select regency_name, members, enrolled, coverage_pct, is_provisional from coverage_by_regency where period = '2024-04' order by coverage_pct
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- regency_name: regency or city name ('Kabupaten Banyumas')
-- members: distinct people (by NIK) on the regency's rosters
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the regency reported than the threshold (see submission_status_by_regency)
with final as (
    select period, regency_code, regency_name, members, enrolled, coverage_pct, is_provisional
    from internal.people_counts
    where source = 'roster' and cut = 'by_regency'
)

select * from final
