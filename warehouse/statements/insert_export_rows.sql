-- Record one batch's accepted rows of one kind of BPJS export ({table}, from the registered
-- frame batch_{table}); runs after insert_batch.sql in its transaction. $run_id names the run.
insert into {table} by name select columns(lambda c: c <> 'run_id'), $run_id as run_id from batch_{table};
