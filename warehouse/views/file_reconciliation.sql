-- file_reconciliation: one row per file version received (a file's path and content digest).
-- Does every row of every file add up? What became of each file, and why, in Indonesian
-- too. The rows read split into loaded, rejected and skipped; the rows loaded into counted
-- (in today's figures), duplicate (later exact copies, counted once with the first) and
-- superseded (in groups a newer file replaced). `closes` is true when both splits add up.
-- Grain: source_file, sha256
-- Example: select source_file, status, rows_read, rows_loaded, rows_counted, rows_duplicate, rows_superseded, closes from file_reconciliation where period = '2024-04' and village_name = 'Batuanten'
-- Columns:
-- period: month, 'YYYY-MM' (null for a file outside a month folder)
-- district_code: Kemendagri district code, dotted ('33.02.17'); null when the file was not placed
-- district_name: kecamatan name
-- village_code: Kemendagri village code the file was placed on; null when it could not be placed
-- village_name: desa or kelurahan name
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: content digest of this version of the file
-- kind: 'roster', or the BPJS export it is (bpjs_participants, bpjs_contributions, bpjs_claims)
-- status: 'dimuat' (loaded), 'diganti' (superseded: a newer file counts instead), 'ditahan' (held for a closed month), 'ditolak' (rejected) or 'diabaikan' (ignored); ingested_files.status in English
-- reason: what became of the file and why (English, with the technical detail; a file loaded whole says so)
-- alasan: the same reason in Bahasa Indonesia, with what to do
-- rows_read: rows under a roster header in the file
-- rows_loaded: rows that passed every error check
-- rows_rejected: rows with at least one error
-- rows_skipped: rows that are not data (blank, totals, signatures, section headings)
-- rows_counted: loaded rows in today's figures (the rows of `roster` from this file; an export's rows in its current version)
-- rows_duplicate: loaded rows that repeat an earlier row exactly, counted once with it
-- rows_superseded: loaded rows in groups a newer file for the same village and month replaced
-- closes: rows_read = loaded + rejected + skipped and rows_loaded = counted + duplicate + superseded
with final as (
    select
        files.period,
        villages.district_code,
        villages.district_name,
        files.village_code,
        villages.village_name,
        files.source_file,
        files.sha256,
        files.kind,
        case files.status
            when 'loaded' then 'dimuat' when 'superseded' then 'diganti' when 'pending' then 'ditahan'
            when 'rejected' then 'ditolak' when 'ignored' then 'diabaikan'
        end as status,
        files.reason,
        files.alasan,
        files.rows_read,
        files.rows_loaded,
        files.rows_rejected,
        files.rows_skipped,
        files.rows_counted,
        files.rows_duplicate,
        files.rows_superseded,
        files.rows_read = files.rows_loaded + files.rows_rejected + files.rows_skipped
        and files.rows_loaded = files.rows_counted + files.rows_duplicate + files.rows_superseded as closes
    from ingested_files as files
    left join villages using (village_code)
)

select * from final
