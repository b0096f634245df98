-- coverage_by_district_adjusted: one row per period and district (kecamatan).
-- Which kecamatan lag once their mix of groups is taken out? A district of kelurahan has no
-- BPD (the group near 100%) and many RT/RW officials (the group near 7%), so its crude
-- coverage is low whatever it does. Indirect standardisation: expected_enrolled is what the
-- district would have enrolled if each of its groups were covered at the regency's rate for
-- that group; coverage_index = enrolled_memberships / expected_enrolled (1.0: as the regency,
-- for its mix; 0.8: a fifth behind); mix_adjusted_pct = coverage_index * the regency's coverage
-- (coverage_regency.coverage_pct). The index counts memberships (a person in two groups counts in
-- each), as the per-group rates do; coverage_pct is the one crude figure, coverage_by_district's
-- coverage_pct (distinct people), read from coverage_base like every other coverage figure.
-- Grain: period, district_code
-- Example: select district_name, coverage_pct, coverage_index, mix_adjusted_pct, rank_adjusted from coverage_by_district_adjusted where period = '2024-04' order by rank_adjusted limit 5
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- coverage_pct: the district's crude coverage, coverage_by_district.coverage_pct under the same name (distinct people, the mix still in it)
-- memberships: people per group, added over the district's groups (a person in two groups counts twice)
-- enrolled_memberships: enrolled people per group, added over the district's groups
-- expected_enrolled: enrolled_memberships if every group of the district were covered at the regency's rate for it, one decimal
-- coverage_index: enrolled_memberships / expected_enrolled, two decimals (below 1: behind the regency, group for group)
-- mix_adjusted_pct: coverage_index * the regency's coverage_pct (coverage_regency), one decimal: comparable across districts
-- rank_adjusted: the district's place by coverage_index, lowest first (ties share a place)
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with district_groups as (
    select * from internal.coverage_base where cut = 'district_group'
),

regency_groups as (
    select period, group_code, enrolled / members as regency_rate
    from internal.coverage_base
    where cut = 'group'
),

regency as (
    select period, enrolled / members as regency_coverage_rate
    from internal.coverage_base
    where cut = 'regency'
),

crude as (
    select period, district_code, coverage_pct
    from internal.coverage_base
    where cut = 'district'
),

expected as (
    select
        d.period,
        d.district_code,
        any_value(d.district_name) as district_name,
        sum(d.members)::bigint as memberships,
        sum(d.enrolled)::bigint as enrolled_memberships,
        sum(d.members * r.regency_rate) as expected_enrolled,
        any_value(d.is_provisional) as is_provisional
    from district_groups as d
    join regency_groups as r using (period, group_code)
    group by d.period, d.district_code
),

final as (
    select
        expected.period,
        expected.district_code,
        expected.district_name,
        crude.coverage_pct,
        expected.memberships,
        expected.enrolled_memberships,
        round(expected.expected_enrolled, 1) as expected_enrolled,
        round(expected.enrolled_memberships / nullif(expected.expected_enrolled, 0), 2) as coverage_index,
        round(100.0 * expected.enrolled_memberships / nullif(expected.expected_enrolled, 0) * regency.regency_coverage_rate, 1)
            as mix_adjusted_pct,
        rank() over (
            partition by expected.period order by expected.enrolled_memberships / nullif(expected.expected_enrolled, 0)
        ) as rank_adjusted,
        expected.is_provisional
    from expected
    join regency using (period)
    join crude using (period, district_code)
)

select * from final
