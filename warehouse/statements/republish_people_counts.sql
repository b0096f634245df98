-- Replace, in internal.people_counts (a MATERIALIZED view: catalog.py) of the attached database
-- `analyst`, the rows the changed regencies' people count in, after republish_regencies.sql,
-- republish_rows.sql and republish_keyed.sql. Each cut counts distinct people, so its counts add
-- up over disjoint sets of people: the people of republish_touched.sql (counted over their rows in
-- every regency, before the republish as people_counts_before and now as people_counts_after,
-- with catalog.counting_over) and everyone else, whose rows did not change. A row's counts now are
-- the published ones, less the counted people's before, plus theirs after; only the rows where
-- these differ are rewritten. The rows of a changed regency's cuts hold only counted people, so
-- they are the view's own rows of people_counts_after (provisional flag included); the province's
-- cuts ('regency', 'group') add up every regency's people. Figures equal the view counted whole.

-- the cut rows the counted people count differently in (a struct of the Grain: nulls compare equal)
create or replace temporary table recounted_keys as
select distinct row(source, cut, period, regency_code, district_code, village_code, group_code) as counts_key
from (
    (from people_counts_before except all from people_counts_after)
    union all
    (from people_counts_after except all from people_counts_before)
);

create or replace temporary table recounted as
with parts as (
    select 'published' as part, 1 as sign, * from analyst.internal.people_counts
    union all by name
    select 'before' as part, -1 as sign, * from people_counts_before
    union all by name
    select 'after' as part, 1 as sign, * from people_counts_after
),

keyed as (
    select * from parts
    where row(source, cut, period, regency_code, district_code, village_code, group_code) in (from recounted_keys)
),

counted as (
    select
        source, cut, period, regency_code, district_code, village_code, group_code,
        any_value(regency_name) as regency_name,
        any_value(district_name) as district_name,
        any_value(village_name) as village_name,
        any_value(group_label) as group_label,
        sum(sign * members)::bigint as members,
        sum(sign * enrolled)::bigint as enrolled,
        sum(sign * verified)::bigint as verified,
        sum(sign * protected)::bigint as protected,
        sum(sign * not_found)::bigint as not_found,
        sum(sign * inactive)::bigint as inactive,
        sum(sign * in_arrears)::bigint as in_arrears,
        sum(sign * not_reported)::bigint as not_reported,
        -- as counted now where the row is counted now (a changed regency's cut); else as published
        coalesce(
            any_value(is_provisional) filter (where part = 'after'),
            any_value(is_provisional) filter (where part = 'published')
        ) as is_provisional
    from keyed
    group by source, cut, period, regency_code, district_code, village_code, group_code
)

select
    * exclude (is_provisional),
    round(100.0 * enrolled / members, 1) as coverage_pct,
    round(100.0 * verified / members, 1) as verified_pct,
    round(100.0 * protected / members, 1) as protected_pct,
    is_provisional
from counted
where members > 0;

delete from analyst.internal.people_counts
where row(source, cut, period, regency_code, district_code, village_code, group_code) in (from recounted_keys);

insert into analyst.internal.people_counts by name
from recounted;
