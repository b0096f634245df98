-- Current failures with the original cells of their rows, for the corrections workbooks:
-- one row per failed check, filtered by $period and $village_code when given (null = all).
-- NIKs come masked (first 6 and last 4 digits) from flagged_rows.
select
    v.period,
    f.village_code,
    v.source_file,
    v.sheet,
    v.source_row,
    case v.severity when 'error' then 'DITOLAK' else 'PERINGATAN' end as severity,
    v.column_name,
    v.check_name,
    v.failure_value,
    v.message,
    f.nik_raw as nik,
    f.name_raw as name,
    f.sex_raw as sex,
    coalesce(f.birth_date_raw, f.birth_place_date_raw) as birth_date,
    coalesce(f.role_raw, f.occupation_raw) as role,
    coalesce(f.rt_rw_raw, f.rt_raw || '/' || f.rw_raw, f.rt_raw) as rt_rw,
    f.status_raw as status,
    f.kpj_raw as kpj,
    f.contribution_raw as contribution,
    f.notes_raw as notes
from validation_failures as v
join flagged_rows as f using (sha256, sheet, source_row)
where v.is_current
  and ($period is null or v.period = $period)
  and ($village_code is null or f.village_code = $village_code)
order by f.village_code, v.period, v.source_file, v.sheet, v.source_row, v.severity, v.check_name
