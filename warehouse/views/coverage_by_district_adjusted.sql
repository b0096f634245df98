-- coverage_by_district_adjusted: one row per period and district (kecamatan).
-- Which kecamatan lag once their mix of groups is taken out? A district of kelurahan has no
-- BPD (the group near 100%) and many RT/RW officials (the group near 7%), so its crude
-- coverage is low whatever it does. Indirect standardisation: expected_enrolled is what the
-- district would have enrolled if each of its groups were covered at the regency's rate for
-- that group; coverage_index = enrolled / expected_enrolled (1.0: as the regency, for its
-- mix; 0.8: a fifth behind); mix_adjusted_pct = coverage_index * the regency's rate over the
-- same memberships. Counts are memberships (a person in two groups counts in each), as the
-- per-group rates are; the distinct-person figure is coverage_by_district.
-- Grain: period, district_code
-- Example: select district_name, coverage_index, mix_adjusted_pct, crude_pct, rank_adjusted from coverage_by_district_adjusted where period = '2024-04' order by rank_adjusted limit 5
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- memberships: people per group, added over the district's groups
-- enrolled: enrolled people per group, added over the district's groups
-- crude_pct: 100 * enrolled / memberships, one decimal (the mix still in it)
-- expected_enrolled: enrolled if every group of the district were covered at the regency's rate for it, one decimal
-- coverage_index: enrolled / expected_enrolled, two decimals (below 1: behind the regency, group for group)
-- mix_adjusted_pct: coverage_index * the regency's enrolled / memberships, one decimal: comparable across districts
-- rank_adjusted: the district's place by coverage_index, lowest first (ties share a place)
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with district_groups as (
    select * from coverage_base where cut = 'district_group'
),

regency_groups as (
    select period, group_code, enrolled / members as regency_rate
    from coverage_base
    where cut = 'group'
),

regency as (
    select period, sum(enrolled) / sum(members) as regency_crude_rate
    from coverage_base
    where cut = 'group'
    group by period
),

expected as (
    select
        d.period,
        d.district_code,
        any_value(d.district_name) as district_name,
        sum(d.members)::bigint as memberships,
        sum(d.enrolled)::bigint as enrolled,
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
        expected.memberships,
        expected.enrolled,
        round(100.0 * expected.enrolled / expected.memberships, 1) as crude_pct,
        round(expected.expected_enrolled, 1) as expected_enrolled,
        round(expected.enrolled / nullif(expected.expected_enrolled, 0), 2) as coverage_index,
        round(100.0 * expected.enrolled / nullif(expected.expected_enrolled, 0) * regency.regency_crude_rate, 1)
            as mix_adjusted_pct,
        rank() over (
            partition by expected.period order by expected.enrolled / nullif(expected.expected_enrolled, 0)
        ) as rank_adjusted,
        expected.is_provisional
    from expected
    join regency using (period)
)

select * from final
