-- submission_status_by_village: one row per period and village (every village of the region, every period seen).
-- Which villages reported this month? DHIS2-style reporting status: 'submitted' (a file was
-- loaded), 'rejected' (only files that could not be taken), 'missing' (nothing arrived).
-- Grain: period, village_code
-- Example: select village_name, district_name from submission_status_by_village where period = '2024-04' and status <> 'submitted'
-- Columns:
-- period: month, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- status: 'submitted', 'rejected' or 'missing'
with periods as (
    select distinct period from ingested_files where period is not null
),

files as (
    select
        period,
        village_code,
        bool_or(status in ('loaded', 'superseded')) as any_loaded,
        bool_or(status = 'rejected') as any_rejected
    from ingested_files
    where village_code is not null
    group by period, village_code
),

final as (
    select
        periods.period,
        villages.village_code,
        villages.village_name,
        villages.district_code,
        districts.district_name,
        case
            when files.any_loaded then 'submitted'
            when files.any_rejected then 'rejected'
            else 'missing'
        end as status
    from periods
    cross join villages
    join districts using (district_code)
    left join files on files.period = periods.period and files.village_code = villages.village_code
)

select * from final
