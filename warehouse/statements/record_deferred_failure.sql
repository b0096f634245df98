-- A run that failed while another process held the state database open (a reader's lock), recorded by the
-- first connection that can write it. A row the run itself wrote (it failed after starting) is completed.
insert into runs (run_id, started_at, finished_at, status, message)
values ($run_id, $started_at, $finished_at, 'failed', $message)
on conflict (run_id) do update set finished_at = excluded.finished_at, status = 'failed', message = excluded.message;
