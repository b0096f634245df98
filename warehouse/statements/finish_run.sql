-- Close run $run_id with $status: the file versions recorded so far (every run's) by status,
-- the versions this run read first, and the rows it loaded, rejected and skipped.
update runs
set finished_at = now(),
    status = $status,
    message = $message,
    files_seen = (select count(*) from ingested_files),
    files_new = (select count(*) from ingested_files where run_id = $run_id),
    files_loaded = (select count(*) from ingested_files where status = 'loaded'),
    files_rejected = (select count(*) from ingested_files where status = 'rejected'),
    files_superseded = (select count(*) from ingested_files where status = 'superseded'),
    files_ignored = (select count(*) from ingested_files where status = 'ignored'),
    rows_loaded = (select coalesce(sum(rows_loaded), 0) from ingested_files where run_id = $run_id),
    rows_rejected = (select coalesce(sum(rows_rejected), 0) from ingested_files where run_id = $run_id),
    rows_skipped = (select coalesce(sum(rows_skipped), 0) from ingested_files where run_id = $run_id)
where run_id = $run_id;
