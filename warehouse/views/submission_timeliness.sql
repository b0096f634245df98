-- submission_timeliness: one row per period received and district (kecamatan).
-- How many villages reported on time? DHIS2's "reporting rate on time" beside the reporting
-- rate: villages expected, on time, late, arrival unknown, rejected, missing and not yet due,
-- counted from submission_timeliness_by_village (every village in exactly one status).
-- villages_submitted, villages_rejected and villages_missing + not_yet_due are submission_status's.
-- Grain: period, district_code
-- Example: select district_name, villages_expected, on_time, late, arrival_unknown, on_time_pct, reporting_pct from submission_timeliness where period = '2024-04' order by on_time_pct
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- due_date: the last day to send the month's roster
-- villages_expected: villages in the district (official list)
-- villages_submitted: villages that sent a file taken (submission_status 'terkirim'; on_time + late + arrival_unknown when the period has a due date)
-- on_time: villages whose first roster taken arrived by the due date ('tepat_waktu')
-- late: villages whose first roster taken arrived after it ('terlambat')
-- arrival_unknown: villages that sent a roster whose arrival cannot tell on time from late ('tidak_diketahui', a backfill)
-- villages_rejected: villages whose every file was rejected, whole or every row (submission_status 'ditolak')
-- missing: villages that sent nothing by the due date ('belum_mengirim', once it has passed)
-- not_yet_due: villages that sent nothing while the due date has not passed ('belum_jatuh_tempo')
-- on_time_pct: 100 * on_time / (villages_expected - arrival_unknown), one decimal: the reporting rate on time among villages whose arrival is known; null when none is
-- reporting_pct: 100 * villages_submitted / villages_expected, one decimal (the reporting rate, submission_status.completeness_pct)
with source as (
    select * from submission_timeliness_by_village
),

final as (
    select
        period,
        district_code,
        any_value(district_name) as district_name,
        any_value(due_date) as due_date,
        count(*) as villages_expected,
        count(*) filter (where submission_status = 'terkirim') as villages_submitted,
        count(*) filter (where status = 'tepat_waktu') as on_time,
        count(*) filter (where status = 'terlambat') as late,
        count(*) filter (where status = 'tidak_diketahui') as arrival_unknown,
        count(*) filter (where submission_status = 'ditolak') as villages_rejected,
        count(*) filter (where status = 'belum_mengirim') as missing,
        count(*) filter (where status = 'belum_jatuh_tempo') as not_yet_due,
        round(
            100.0 * count(*) filter (where status = 'tepat_waktu')
            / nullif(count(*) filter (where status <> 'tidak_diketahui'), 0),
            1
        ) as on_time_pct,
        round(100.0 * count(*) filter (where submission_status = 'terkirim') / count(*), 1) as reporting_pct
    from source
    group by period, district_code
)

select * from final
