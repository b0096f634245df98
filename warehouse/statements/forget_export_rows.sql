-- Forget one kind of BPJS export's rows ({table}) for period $period (all when null), but for
-- the versions a closed period keeps; runs after forget_ingested.sql, which made kept_versions.
delete from {table} where ($period is null or period = $period) and sha256 not in (select sha256 from kept_versions);
