-- The run summary's coverage by group (flows/outputs/summary.py), from the analyst warehouse being
-- published (attached as `analyst`, its views made): reported beside verified by BPJS, one row per
-- period and group. Made in the publish transaction as a temporary table, then kept in the state
-- database (`published_coverage`), so a run that finds nothing new prints it without opening the
-- warehouse and computing its views again (0.3-1.0 s of a nothing-new run).
create or replace temporary table summary_coverage as
select c.*, v.verified, v.verified_pct
from analyst.coverage_by_group as c
left join analyst.verified_coverage_by_group as v using (period, group_code);
