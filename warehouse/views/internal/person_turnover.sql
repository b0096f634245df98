-- person_turnover: one row per period, village, group (or all groups), months back and person on the rosters of either month.
-- The one place a person is compared with an earlier roster: listed and enrolled this month and
-- in the village's roster 1 or 2 submissions back, for each group (group_code) and over all its
-- groups (all_groups, each person once). outliers takes the groups, 1 and 2 back; village_changes
-- all groups, 1 back. Query those rather than this view.
-- Grain: period, village_code, all_groups, group_code, back, person_id
-- Example: select all_groups, back, count(*) as people from internal.person_turnover where period = '2024-04' group by all order by all
-- Columns:
-- period: month, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- all_groups: true when the row is over all the village's groups (group_code null)
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null where all_groups
-- back: 1 for the previous roster (of the group, or of the village), 2 for the one before
-- earlier: the month of that earlier roster
-- person_id: keyed hash of the NIK, as in roster
-- listed_now: on this month's roster
-- listed_before: on the earlier roster
-- enrolled_now: enrolled in any of this month's rows
-- enrolled_before: enrolled in any of the earlier roster's rows
with people as (
    select
        period,
        village_code,
        grouping(group_code) = 1 as all_groups,
        group_code,
        person_id,
        bool_or(enrolled) as enrolled
    from main.roster_people
    group by grouping sets ((period, village_code, group_code, person_id), (period, village_code, person_id))
),

months as (
    select distinct period, village_code, all_groups, group_code from people
),

history as (
    select
        period,
        village_code,
        all_groups,
        group_code,
        lag(period) over months as earlier_1,
        lag(period, 2) over months as earlier_2
    from months
    window months as (partition by village_code, all_groups, group_code order by period)
),

pairs as (
    select period, village_code, all_groups, group_code, 1 as back, earlier_1 as earlier from history
    union all
    select period, village_code, all_groups, group_code, 2, earlier_2 from history
),

final as (
    select
        pairs.period,
        pairs.village_code,
        pairs.all_groups,
        pairs.group_code,
        pairs.back,
        pairs.earlier,
        people.person_id,
        bool_or(people.period = pairs.period) as listed_now,
        bool_or(people.period = pairs.earlier) as listed_before,
        bool_or(people.period = pairs.period and people.enrolled) as enrolled_now,
        bool_or(people.period = pairs.earlier and people.enrolled) as enrolled_before
    from pairs
    join people
        on people.village_code = pairs.village_code
        and people.all_groups = pairs.all_groups
        and people.group_code is not distinct from pairs.group_code
        and people.period in (pairs.period, pairs.earlier)
    where pairs.earlier is not null
    group by all
)

select * from final
