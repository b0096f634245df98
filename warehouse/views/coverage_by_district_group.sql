-- coverage_by_district_group: one row per period, district (kecamatan) and group.
-- Which groups lag in which kecamatan?
-- Grain: period, district_code, group_code
-- Example: select district_name, members, enrolled from coverage_by_district_group where period = '2024-04' and group_code = 'LINMAS' order by enrolled
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- members: distinct people (by NIK) on the group's rosters in the district
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with source as (
    select * from coverage_base where cut = 'district_group'
),

final as (
    select
        source.period,
        source.district_code,
        districts.district_name,
        source.group_code,
        source.members,
        source.enrolled,
        source.coverage_pct,
        source.is_provisional
    from source
    join districts using (district_code)
)

select * from final
