-- village_reconciliation: one row per period and village that sent at least one file.
-- From a village's files to its figures: files received and what became of them, and the
-- rows of all its files split as in file_reconciliation, summed. rows_counted is the number
-- of roster rows behind the village's figures (a person holding two posts is two rows
-- there and one person in the coverage views).
-- Grain: period, village_code
-- Example: select village_name, files_received, files_rejected, rows_read, rows_counted, closes from village_reconciliation where period = '2024-04' and district_name = 'Cilongok'
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- files_received: file versions placed on the village for the month
-- files_loaded: of them, counted (wholly or for some groups)
-- files_superseded: of them, replaced by newer files for every group
-- files_rejected: of them, rejected as a whole
-- rows_read: rows under a roster header in all of them
-- rows_loaded: rows that passed every error check
-- rows_rejected: rows with at least one error
-- rows_skipped: rows that are not data
-- rows_counted: loaded rows in today's figures
-- rows_duplicate: loaded rows repeating an earlier row exactly, counted once
-- rows_superseded: loaded rows in groups a newer file replaced
-- closes: true when every file of the village closes (see file_reconciliation)
with final as (
    select
        period,
        any_value(district_code) as district_code,
        any_value(district_name) as district_name,
        village_code,
        any_value(village_name) as village_name,
        count(*) as files_received,
        count(*) filter (where status = 'loaded') as files_loaded,
        count(*) filter (where status = 'superseded') as files_superseded,
        count(*) filter (where status = 'rejected') as files_rejected,
        sum(rows_read)::bigint as rows_read,
        sum(rows_loaded)::bigint as rows_loaded,
        sum(rows_rejected)::bigint as rows_rejected,
        sum(rows_skipped)::bigint as rows_skipped,
        sum(rows_counted)::bigint as rows_counted,
        sum(rows_duplicate)::bigint as rows_duplicate,
        sum(rows_superseded)::bigint as rows_superseded,
        bool_and(closes) as closes
    from file_reconciliation
    where village_code is not null and period is not null
    group by period, village_code
)

select * from final
