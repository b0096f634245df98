-- submission_status_by_regency: one row per period and regency (kabupaten or kota).
-- How complete is each regency's reporting? Villages expected, submitted and rejected across
-- its kecamatan, and the completeness (reporting rate) that decides whether its figures are provisional.
-- Grain: period, regency_code
-- Example: select regency_name, villages_expected, villages_submitted, completeness_pct from submission_status_by_regency where period = '2024-04' order by completeness_pct
-- Columns:
-- period: month, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- regency_name: regency or city name ('Kabupaten Banyumas')
-- districts: kecamatan in the regency (official list)
-- villages_expected: villages in the regency (official list)
-- villages_submitted: villages that sent a file taken for the period (status 'terkirim')
-- villages_rejected: villages whose every file for the period was rejected, whole or every row (status 'ditolak')
-- completeness_pct: 100 * villages_submitted / villages_expected, one decimal
-- is_provisional: completeness_pct below the threshold in settings (provisional_below_pct, default 80)
with source as (
    select status.*, districts.regency_code
    from submission_status_by_village as status
    join districts using (district_code)
),

threshold as (
    select value as provisional_below_pct from settings where name = 'provisional_below_pct'
),

counted as (
    select
        period,
        regency_code,
        count(distinct district_code) as districts,
        count(*) as villages_expected,
        count(*) filter (where status = 'terkirim') as villages_submitted,
        count(*) filter (where status = 'ditolak') as villages_rejected
    from source
    group by period, regency_code
),

final as (
    select
        counted.period,
        counted.regency_code,
        regencies.regency_name,
        counted.districts,
        counted.villages_expected,
        counted.villages_submitted,
        counted.villages_rejected,
        round(100.0 * counted.villages_submitted / counted.villages_expected, 1) as completeness_pct,
        round(100.0 * counted.villages_submitted / counted.villages_expected, 1)
            < threshold.provisional_below_pct as is_provisional
    from counted
    join regencies using (regency_code)
    cross join threshold
)

select * from final
