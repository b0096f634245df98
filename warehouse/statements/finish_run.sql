-- Close run $run_id with $status: the file versions recorded so far (every run's) by status,
-- the versions this run read first, and the rows it loaded, rejected and skipped.
-- One scan of ingested_files, not a subquery a figure (each was bound and planned on its own:
-- 50 ms of a regency's run, issue 29).
update runs
set finished_at = now(),
    status = $status,
    message = $message,
    files_seen = c.files_seen,
    files_new = c.files_new,
    files_loaded = c.files_loaded,
    files_rejected = c.files_rejected,
    files_superseded = c.files_superseded,
    files_ignored = c.files_ignored,
    files_pending = c.files_pending,
    rows_loaded = c.rows_loaded,
    rows_rejected = c.rows_rejected,
    rows_skipped = c.rows_skipped
from (
    select
        count(*) as files_seen,
        count(*) filter (where run_id = $run_id) as files_new,
        count(*) filter (where status = 'loaded') as files_loaded,
        count(*) filter (where status = 'rejected') as files_rejected,
        count(*) filter (where status = 'superseded') as files_superseded,
        count(*) filter (where status = 'ignored') as files_ignored,
        count(*) filter (where status = 'pending') as files_pending,
        coalesce(sum(rows_loaded) filter (where run_id = $run_id), 0) as rows_loaded,
        coalesce(sum(rows_rejected) filter (where run_id = $run_id), 0) as rows_rejected,
        coalesce(sum(rows_skipped) filter (where run_id = $run_id), 0) as rows_skipped
    from ingested_files
) as c
where runs.run_id = $run_id;
