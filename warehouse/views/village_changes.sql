-- village_changes: one row per period and village that has an earlier submission.
-- What changed since the village's previous submission? People added and removed (any
-- group, each person once), and people who became enrolled or stopped being enrolled.
-- Grain: period, village_code
-- Example: select district_name, village_name, added, removed, enrolled_gained, enrolled_lost from village_changes where period = '2024-04' order by removed desc limit 10
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- added: people on this month's rosters who were not on the previous ones
-- removed: people on the previous rosters who are not on this month's
-- enrolled_gained: people enrolled now who were not enrolled (or not listed) before
-- enrolled_lost: people enrolled before who are not enrolled (or not listed) now
-- previous_period: the village's previous submitted month compared with
with changes as (
    select
        period,
        village_code,
        count(*) filter (where listed_now and not listed_before) as added,
        count(*) filter (where listed_before and not listed_now) as removed,
        count(*) filter (where enrolled_now and not enrolled_before) as enrolled_gained,
        count(*) filter (where enrolled_before and not enrolled_now) as enrolled_lost,
        earlier as previous_period
    from internal.person_turnover
    where all_groups and back = 1
    group by period, village_code, earlier
),

final as (
    select
        changes.period,
        villages.district_code,
        villages.district_name,
        changes.village_code,
        villages.village_name,
        changes.added,
        changes.removed,
        changes.enrolled_gained,
        changes.enrolled_lost,
        changes.previous_period
    from changes
    join villages using (village_code)
)

select * from final
