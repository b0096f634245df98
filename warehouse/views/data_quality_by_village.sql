-- data_quality_by_village: one row per period and village with a loaded file.
-- Which villages send bad data? Rows loaded and rejected in the current files, the error
-- rate, and the check that failed most often.
-- Grain: period, village_code
-- Example: select * from data_quality_by_village where period = '2024-04' order by error_rate desc limit 10
-- Columns:
-- period: month, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- rows_loaded: rows loaded from the village's current files
-- rows_rejected: rows rejected in those files
-- error_rate: 100 * rows_rejected / (rows_loaded + rows_rejected), one decimal
-- top_check: the error check that failed most often (ties: alphabetical), else the most frequent warning
with files as (
    select
        period,
        village_code,
        sum(rows_loaded)::bigint as rows_loaded,
        sum(rows_rejected)::bigint as rows_rejected
    from ingested_files
    where status = 'loaded'
    group by period, village_code
),

checks as (
    select
        f.period,
        i.village_code,
        f.check_name,
        row_number() over (
            partition by f.period, i.village_code
            order by (f.severity = 'error') desc, count(*) desc, f.check_name
        ) as rank_in_village
    from validation_failures as f
    join ingested_files as i using (source_file)
    where f.is_current and i.status = 'loaded'
    group by f.period, i.village_code, f.check_name, f.severity
),

final as (
    select
        files.period,
        files.village_code,
        files.rows_loaded,
        files.rows_rejected,
        round(100.0 * files.rows_rejected / nullif(files.rows_loaded + files.rows_rejected, 0), 1) as error_rate,
        checks.check_name as top_check
    from files
    left join checks
        on checks.period = files.period and checks.village_code = files.village_code and checks.rank_in_village = 1
)

select * from final
