-- coverage_by_district_group: one row per period, district (kecamatan) and group.
-- Which groups lag in which kecamatan, compared like with like: each district's coverage of
-- a group beside the regency's coverage of the same group, and its rank among the districts
-- for that group (1 = lowest). Do not add members across groups: a person on two groups'
-- rosters counts in each; the district's distinct total is coverage_by_district.
-- Grain: period, district_code, group_code
-- Example: select district_name, coverage_pct, regency_coverage_pct, rank_in_group from coverage_by_district_group where period = '2024-04' and group_code = 'LINMAS' order by rank_in_group
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people (by NIK) on the group's rosters in the district (not additive across groups)
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- regency_coverage_pct: the group's coverage in the whole regency (coverage_by_group)
-- pct_points_vs_regency: coverage_pct minus regency_coverage_pct (negative: behind the regency for this group)
-- rank_in_group: the district's place among the districts with this group, lowest coverage first (ties share a place)
-- districts_in_group: how many districts have members of this group in the period
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with source as (
    select * from internal.coverage_base where cut = 'district_group'
),

regency as (
    select period, group_code, coverage_pct as regency_coverage_pct
    from internal.coverage_base
    where cut = 'group'
),

final as (
    select
        source.period,
        source.district_code,
        source.district_name,
        source.group_code,
        source.group_label,
        source.members,
        source.enrolled,
        source.coverage_pct,
        regency.regency_coverage_pct,
        round(source.coverage_pct - regency.regency_coverage_pct, 1) as pct_points_vs_regency,
        rank() over (partition by source.period, source.group_code order by source.enrolled / source.members)
            as rank_in_group,
        count(*) over (partition by source.period, source.group_code) as districts_in_group,
        source.is_provisional
    from source
    join regency using (period, group_code)
)

select * from final
