-- Open run $run_id, started at $started_at (now, or the clock a test fixes). The caller holds the run lock, so any other run still marked
-- 'running' or 'publishing' was killed before it could finish: mark it 'abandoned'.
update runs
set status = 'abandoned', finished_at = now(), message = 'the process ended before the run finished'
where status in ('running', 'publishing');

insert into runs (run_id, started_at, status) values ($run_id, $started_at, 'running');
