-- Record on run $run_id what should worry an operator: the newest period of the landing
-- zone, the files ingested earlier that are gone from it, and how many of the region's
-- $villages_expected villages sent no file at all (placed, loaded or rejected) for that period.
update runs
set latest_period = $latest_period,
    files_vanished = $files_vanished,
    villages_missing = case
        when $latest_period is null then 0
        else $villages_expected - (
            select count(distinct village_code)
            from ingested_files
            where period = $latest_period and village_code is not null
        )
    end
where run_id = $run_id;
