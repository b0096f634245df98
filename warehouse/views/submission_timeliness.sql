-- submission_timeliness: one row per period received and district (kecamatan).
-- How many villages reported on time? DHIS2's "reporting rate on time" beside the reporting
-- rate: villages expected, on time, late, missing and not yet due (submission_timeliness_by_village).
-- Grain: period, district_code
-- Example: select district_name, villages_expected, on_time, late, missing, on_time_pct, reporting_pct from submission_timeliness where period = '2024-04' order by on_time_pct
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- due_date: the last day to send the month's roster
-- villages_expected: villages in the district (official list)
-- on_time: villages whose first roster taken arrived by the due date
-- late: villages whose first roster taken arrived after it
-- missing: villages with no roster taken after the due date passed
-- not_yet_due: villages with no roster taken while the due date has not passed
-- on_time_pct: 100 * on_time / villages_expected, one decimal (reporting rate on time)
-- reporting_pct: 100 * (on_time + late) / villages_expected, one decimal (reporting rate)
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
        count(*) filter (where status = 'on_time') as on_time,
        count(*) filter (where status = 'late') as late,
        count(*) filter (where status = 'missing') as missing,
        count(*) filter (where status = 'not_yet_due') as not_yet_due,
        round(100.0 * count(*) filter (where status = 'on_time') / count(*), 1) as on_time_pct,
        round(100.0 * count(*) filter (where status in ('on_time', 'late')) / count(*), 1) as reporting_pct
    from source
    group by period, district_code
)

select * from final
