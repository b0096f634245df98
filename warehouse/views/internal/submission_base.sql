-- submission_base: one row per cut, period and the cut's keys.
-- The one place reporting is counted: villages expected (official list), submitted, rejected
-- and missing (submission_status_by_village), the completeness (reporting rate) and whether it
-- is below the threshold that makes figures provisional, for each kecamatan and each regency.
-- submission_status and submission_status_by_regency each select a cut; query those rather than this view.
-- Grain: cut, period, regency_code, district_code
-- Example: select cut, count(*) as cut_rows from internal.submission_base where period = '2024-04' group by cut order by cut
-- Columns:
-- cut: 'district' or 'regency': which keys the row is counted over
-- period: month, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02'); null in the 'district' cut
-- regency_name: regency or city name; null where regency_code is
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'regency' cut
-- district_name: kecamatan name; null where district_code is
-- districts: kecamatan counted (official list)
-- villages_expected: villages counted (official list)
-- villages_submitted: villages that sent a file taken for the period (status 'terkirim')
-- villages_rejected: villages whose every file for the period was rejected as a whole (status 'ditolak')
-- villages_missing: villages from which nothing arrived for the period (status 'belum_mengirim')
-- completeness_pct: 100 * villages_submitted / villages_expected, one decimal
-- is_provisional: completeness_pct below the threshold in settings (provisional_below_pct, default 80)
with source as (
    select status.*, districts.regency_code
    from main.submission_status_by_village as status
    join main.districts using (district_code)
),

threshold as (
    select value as provisional_below_pct from main.settings where name = 'provisional_below_pct'
),

counted as (
    select
        -- grouping() sets a bit for each key a row is not grouped by (regency 2, district 1)
        case grouping(regency_code, district_code) when 2 then 'district' when 1 then 'regency' end as cut,
        period,
        regency_code,
        district_code,
        district_name,
        count(distinct district_code) as districts,
        count(*) as villages_expected,
        count(*) filter (where status = 'terkirim') as villages_submitted,
        count(*) filter (where status = 'ditolak') as villages_rejected,
        count(*) filter (where status = 'belum_mengirim') as villages_missing
    from source
    group by grouping sets ((period, district_code, district_name), (period, regency_code))
),

final as (
    select
        counted.cut,
        counted.period,
        counted.regency_code,
        regencies.regency_name,
        counted.district_code,
        counted.district_name,
        counted.districts,
        counted.villages_expected,
        counted.villages_submitted,
        counted.villages_rejected,
        counted.villages_missing,
        round(100.0 * counted.villages_submitted / counted.villages_expected, 1) as completeness_pct,
        round(100.0 * counted.villages_submitted / counted.villages_expected, 1)
            < threshold.provisional_below_pct as is_provisional
    from counted
    cross join threshold
    left join main.regencies on regencies.regency_code = counted.regency_code
)

select * from final
