-- What a village must fix, for the corrections workbooks: one row per current failed check
-- (a row's check, a conflict between files, or a whole file rejected; of a roster or of a BPJS
-- export, by `kind`), filtered by $period
-- and $village_code when given (null = all). A rejected row shows its errors only: a warning
-- on it adds nothing until the errors are fixed. Files that could not be placed have a null
-- village_code. With each row: the cells as written (NIKs masked in flagged_rows), and the
-- header and letter of the checked column as the village wrote them. A rejected file whose earlier
-- version still counts says so ($earlier_counts).
with row_errors as (
    select distinct sha256, sheet, source_row
    from validation_failures
    where is_current and severity = 'error' and source_row is not null
),

-- the checked column as written: a role may be under PEKERJAAN, a birth date under TTL
candidates as (
    select sha256, sheet, column_name as checked, header, letter, 1 as preference from sheet_columns
    union all
    select sha256, sheet, 'role', header, letter, 2 from sheet_columns where column_name = 'occupation'
    union all
    select sha256, sheet, 'birth_date', header, letter, 2 from sheet_columns where column_name = 'birth_place_date'
),

written as (
    select * from candidates
    qualify row_number() over (partition by sha256, sheet, checked order by preference) = 1
),

failures as (
    select v.*, i.village_code, coalesce(i.kind, 'roster') as kind
    from validation_failures as v
    join ingested_files as i using (sha256, source_file)
    where v.is_current
      and ($period is null or v.period = $period)
      and ($village_code is null or i.village_code = $village_code)
)

select
    f.period,
    f.village_code,
    f.kind,
    f.source_file,
    f.sheet,
    f.source_row,
    case f.severity when 'error' then 'DITOLAK' else 'PERINGATAN' end as severity,
    f.column_name,
    f.check_name,
    f.failure_value,
    -- a rejected file whose earlier version still counts: the village is told which data stand meanwhile
    f.message || case when f.check_name = 'file_rejected' and exists (
        select 1 from ingested_files as earlier
        where earlier.source_file = f.source_file and earlier.sha256 <> f.sha256 and earlier.status = 'loaded'
    ) then ' ' || $earlier_counts else '' end as message,
    w.header,
    w.letter,
    r.nik_raw as nik,
    r.name_raw as name,
    r.sex_raw as sex,
    coalesce(r.birth_date_raw, r.birth_place_date_raw) as birth_date,
    coalesce(r.role_raw, r.occupation_raw) as role,
    coalesce(r.rt_rw_raw, r.rt_raw || '/' || r.rw_raw, r.rt_raw) as rt_rw,
    r.status_raw as status,
    r.kpj_raw as kpj,
    r.contribution_raw as contribution,
    r.notes_raw as notes
from failures as f
left join flagged_rows as r using (sha256, sheet, source_row)
left join written as w on w.sha256 = f.sha256 and w.sheet = f.sheet and w.checked = f.column_name
where not (f.severity = 'warning' and (f.sha256, f.sheet, f.source_row) in (select * from row_errors))
order by f.village_code, f.period, f.source_file, f.sheet nulls first, f.source_row nulls first, f.severity, f.check_name
