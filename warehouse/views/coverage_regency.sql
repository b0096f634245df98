-- coverage_regency: one row per period.
-- The regency in one line: distinct people on all rosters (a person holding posts in two
-- groups or two villages counts once, enrolled if enrolled in any row) and the villages
-- that reported. The total that coverage_by_group's rows must not be added up to.
-- Grain: period
-- Example: select period, members, enrolled, coverage_pct, villages_submitted, villages_missing from coverage_regency order by period
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- members: distinct people (by NIK) on the regency's rosters, all groups
-- enrolled: those of them enrolled in any of their rows
-- coverage_pct: 100 * enrolled / members, one decimal
-- villages_expected: villages of the region (official list)
-- villages_submitted: villages that sent a file taken for the period (submission_status_by_village 'terkirim')
-- villages_rejected: villages whose every file for the period was rejected, whole or every row ('ditolak')
-- villages_missing: villages from which nothing arrived ('belum_mengirim')
-- completeness_pct: 100 * villages_submitted / villages_expected, one decimal
with source as (
    select * from internal.coverage_base where cut = 'regency'
),

reporting as (
    select
        period,
        sum(villages_expected)::bigint as villages_expected,
        sum(villages_submitted)::bigint as villages_submitted,
        sum(villages_rejected)::bigint as villages_rejected,
        sum(villages_missing)::bigint as villages_missing
    from submission_status
    group by period
),

final as (
    select
        source.period,
        source.members,
        source.enrolled,
        source.coverage_pct,
        reporting.villages_expected,
        reporting.villages_submitted,
        reporting.villages_rejected,
        reporting.villages_missing,
        round(100.0 * reporting.villages_submitted / reporting.villages_expected, 1) as completeness_pct
    from source
    left join reporting using (period)
)

select * from final
