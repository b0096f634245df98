-- coverage_by_district: one row per period and district (kecamatan).
-- Which kecamatan lag? Distinct people across all groups; a person holding posts in two
-- groups counts once, enrolled if enrolled in any row. The crude figure depends on the
-- district's mix of groups (kelurahan have no BPD, the best-covered group): compare
-- districts like with like in coverage_by_district_adjusted or coverage_by_district_group.
-- Grain: period, district_code
-- Example: select district_name, coverage_pct, is_provisional from coverage_by_district where period = '2024-04' order by coverage_pct limit 5
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- members: distinct people (by NIK) on the district's rosters, all groups
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with source as (
    select * from internal.coverage_base where cut = 'district'
),

final as (
    select period, district_code, district_name, members, enrolled, coverage_pct, is_provisional
    from source
)

select * from final
