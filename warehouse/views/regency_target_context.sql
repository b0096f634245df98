-- regency_target_context: one row per regency-wide target (year and scope) in the targets table.
-- Context only, not progress: the regency's membership target (2024: 40% of 700,000
-- workers) counts every worker in Banyumas, most of whom no village roster lists. The
-- rosters' enrolled people are shown as their contribution to that target, never as the
-- share achieved. Per-group progress is target_progress.
-- Grain: year, scope
-- Example: select year, scope, target_people, roster_enrolled, roster_contribution_pct, reading from regency_target_context
-- Columns:
-- year: target year
-- scope: area the target covers ('Kabupaten Banyumas')
-- target_pct: target coverage, percent of base_population
-- base_population: all workers the target is a share of (not the rosters' members)
-- target_people: target_pct of base_population, rounded up
-- roster_period: the latest month of the year with rosters, 'YYYY-MM'
-- roster_enrolled: distinct people enrolled on the rosters in roster_period, all groups
-- roster_contribution_pct: 100 * roster_enrolled / target_people, two decimals: the rosters' part of the regency target
-- reading: how to read this row (context only)
with latest as (
    select left(period, 4)::integer as year, max(period) as roster_period
    from coverage_regency
    group by 1
),

final as (
    select
        targets.year,
        targets.scope,
        targets.target_pct,
        targets.base_population,
        ceil(targets.target_pct * targets.base_population / 100)::bigint as target_people,
        latest.roster_period,
        coalesce(regency.enrolled, 0) as roster_enrolled,
        round(100.0 * coalesce(regency.enrolled, 0) / ceil(targets.target_pct * targets.base_population / 100), 2)
            as roster_contribution_pct,
        'context only: the target counts all workers in the regency; the rosters list village officials '
        || 'and some vulnerable workers, so this is their contribution to it, not progress toward it' as reading
    from targets
    left join latest using (year)
    left join coverage_regency as regency on regency.period = latest.roster_period
)

select * from final
