-- submission_status_by_village: one row per period and village (every village of the region, every period seen).
-- Which villages reported this month? The one definition of sent, rejected and missing that
-- every other view and the report read: 'terkirim' (sent: a file was taken, that is loaded,
-- later superseded, or held for a closed period, with at least one row that passed its checks or
-- no row to check), 'ditolak' (rejected: files arrived, but every one was rejected as a whole or
-- had every row rejected, so none of the village's people can count), 'belum_mengirim' (missing:
-- nothing placed on the village arrived). submission_timeliness_by_village times the same files.
-- Whether a sent file was on time is submission_timeliness_by_village.
-- Grain: period, village_code
-- Example: select village_name, district_name, status from submission_status_by_village where period = '2024-04' and status <> 'terkirim'
-- Columns:
-- period: month, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- status: 'terkirim' (sent), 'ditolak' (rejected) or 'belum_mengirim' (missing)
with periods as (
    select distinct period from ingested_files where period is not null
),

files as (
    select
        period,
        village_code,
        bool_or(status in ('loaded', 'superseded', 'pending') and (rows_loaded > 0 or rows_rejected = 0)) as any_taken,
        bool_or(status = 'rejected' or rows_rejected > 0) as any_rejected
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
            when files.any_taken then 'terkirim'
            when files.any_rejected then 'ditolak'
            else 'belum_mengirim'
        end as status
    from periods
    cross join villages
    join districts using (district_code)
    left join files on files.period = periods.period and files.village_code = villages.village_code
)

select * from final
