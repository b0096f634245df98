-- Set run $run_id's status. A run that published records the fingerprint of what it
-- published ($published) and the source and keyed check of its person_id key, which the
-- next run compares with its own (flows/regency_run.py check_key); other runs leave them as they are.
update runs
set status = $status,
    published = coalesce($published, published),
    pii_key_source = coalesce($pii_key_source, pii_key_source),
    pii_key_check = coalesce($pii_key_check, pii_key_check)
where run_id = $run_id;
