-- data_quality_by_village: one row per period and village whose files count or were rejected.
-- Which villages send bad data? Rows loaded and rejected in the files that count, files
-- rejected as a whole (a village whose every file was rejected is here too, with no rows),
-- the error rate, and the check that failed most often. A rejected file counts until a
-- newer version of it arrives.
-- Grain: period, village_code
-- Example: select district_name, village_name, files_rejected, rows_rejected, error_rate, top_check from data_quality_by_village where period = '2024-04' order by files_rejected desc, error_rate desc limit 10
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- files_loaded: the village's files that count (wholly or for some groups)
-- files_rejected: its files rejected as a whole, not yet replaced by a newer version
-- rows_loaded: rows loaded from the files that count
-- rows_rejected: rows rejected in those files
-- error_rate: 100 * rows_rejected / (rows_loaded + rows_rejected), one decimal; null with no rows
-- top_check: the error check that failed most often (ties: alphabetical; 'file_rejected' for a whole file), else the most frequent warning
with open_rejections as (
    select distinct sha256, source_file
    from validation_failures
    where check_name = 'file_rejected' and is_current
),

files as (
    select
        f.period,
        f.village_code,
        count(*) filter (where f.status = 'loaded') as files_loaded,
        count(*) filter (where f.status = 'rejected') as files_rejected,
        coalesce(sum(f.rows_loaded) filter (where f.status = 'loaded'), 0)::bigint as rows_loaded,
        coalesce(sum(f.rows_rejected) filter (where f.status = 'loaded'), 0)::bigint as rows_rejected
    from ingested_files as f
    left join open_rejections as o using (sha256, source_file)
    where f.village_code is not null
      and (f.status = 'loaded' or (f.status = 'rejected' and o.sha256 is not null))
    group by f.period, f.village_code
),

checks as (
    select
        v.period,
        i.village_code,
        v.check_name,
        row_number() over (
            partition by v.period, i.village_code
            order by (v.severity = 'error') desc, count(*) desc, v.check_name
        ) as rank_in_village
    from validation_failures as v
    join ingested_files as i using (sha256, source_file)
    where v.is_current and i.status in ('loaded', 'rejected') and i.village_code is not null
    group by v.period, i.village_code, v.check_name, v.severity
),

final as (
    select
        files.period,
        villages.district_code,
        villages.district_name,
        files.village_code,
        villages.village_name,
        files.files_loaded,
        files.files_rejected,
        files.rows_loaded,
        files.rows_rejected,
        round(100.0 * files.rows_rejected / nullif(files.rows_loaded + files.rows_rejected, 0), 1) as error_rate,
        checks.check_name as top_check
    from files
    join villages using (village_code)
    left join checks
        on checks.period = files.period and checks.village_code = files.village_code and checks.rank_in_village = 1
)

select * from final
