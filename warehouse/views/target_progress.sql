-- target_progress: one row per target (year and scope) in the targets reference table.
-- How far are we from the target (2024: 40% of 700,000 workers in Banyumas)? Counts the
-- distinct people enrolled on the rosters in the latest period of the year.
-- Grain: year, scope
-- Example: select * from target_progress
-- Columns:
-- year: target year
-- scope: area the target covers ('Kabupaten Banyumas')
-- target_pct: target coverage, percent of base_population
-- base_population: workers the target is a share of
-- enrolled: distinct people enrolled in the latest period of the year, all groups
-- achieved_pct: 100 * enrolled / base_population, two decimals
-- gap_people: people still to enrol to reach the target (0 when reached)
with latest as (
    select left(period, 4)::integer as year, max(period) as period
    from roster
    group by 1
),

enrolled as (
    select latest.year, count(distinct roster.person_id) as enrolled
    from roster
    join latest on latest.period = roster.period
    where roster.enrolled
    group by latest.year
),

final as (
    select
        targets.year,
        targets.scope,
        targets.target_pct,
        targets.base_population,
        coalesce(enrolled.enrolled, 0) as enrolled,
        round(100.0 * coalesce(enrolled.enrolled, 0) / targets.base_population, 2) as achieved_pct,
        greatest(ceil(targets.target_pct / 100 * targets.base_population) - coalesce(enrolled.enrolled, 0), 0)::bigint
            as gap_people
    from targets
    left join enrolled using (year)
)

select * from final
