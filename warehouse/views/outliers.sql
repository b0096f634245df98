-- outliers: one row per period, village, group and check that flags a month-to-month jump.
-- Which villages' figures moved suspiciously since their previous roster? Warnings to follow
-- up, not rejections. 'members_change' and 'enrolled_change': the figure changed by at least
-- outlier_min_share of its earlier value and at least outlier_min_change people (settings).
-- 'enrolment_drop': at least outlier_min_drop people enrolled on the previous roster are on this
-- one not enrolled. 'roster_replaced': at least outlier_replaced_share of the previous roster's
-- people left and as many new ones came (by person_id). Robust, as a running median of three
-- months: a change must show, in the same direction, against both of the village's two previous
-- rosters of the group (the previous one only, when it is the second), so one wrong month is
-- flagged once and not again when the next month returns to normal, and a lasting change is
-- flagged in the month it happens only. An auditor sets each flag's follow-up status with
-- `cakupan follow-up` (period_actions).
-- Grain: period, village_code, group_code, check_name
-- Example: select district_name, village_name, group_code, check_name, value_before, value_now, follow_up_status from outliers order by period, district_name, village_name
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- check_name: 'members_change', 'enrolled_change', 'enrolment_drop' or 'roster_replaced'
-- previous_period: the village's previous month with a roster for the group, compared with
-- value_before: members in previous_period (enrolled for 'enrolled_change' and 'enrolment_drop')
-- value_now: the same this month
-- change: value_now - value_before
-- change_pct: 100 * change / value_before, one decimal; null when value_before is 0
-- people_left: people on the previous roster who are not on this one
-- people_came: people on this roster who were not on the previous one
-- enrolment_lost: people enrolled on the previous roster who are on this one not enrolled
-- follow_up_status: 'terbuka' (open) until an auditor sets 'diperiksa' (investigating), 'dijelaskan' (explained) or 'dikoreksi' (corrected)
-- followed_up_by: who set it
-- followed_up_at: when
-- follow_up_note: why, as written
with thresholds as (
    select
        max(value) filter (where name = 'outlier_min_share') as min_share,
        max(value) filter (where name = 'outlier_min_change') as min_change,
        max(value) filter (where name = 'outlier_replaced_share') as replaced_share,
        max(value) filter (where name = 'outlier_min_drop') as min_drop
    from settings
),

history as (
    select
        period,
        district_code,
        district_name,
        village_code,
        village_name,
        group_code,
        members,
        enrolled,
        lag(period) over months as period_1,
        lag(period, 2) over months as period_2,
        lag(members) over months as members_1,
        lag(members, 2) over months as members_2,
        lag(enrolled) over months as enrolled_1,
        lag(enrolled, 2) over months as enrolled_2
    from coverage_by_village
    window months as (partition by village_code, group_code order by period)
),

-- each month against each of its two previous rosters: who left and who came, by person_id
turnover as (
    select
        period,
        village_code,
        group_code,
        count(*) filter (where back = 1 and listed_before and not listed_now) as left_1,
        count(*) filter (where back = 1 and listed_now and not listed_before) as came_1,
        count(*) filter (where back = 2 and listed_before and not listed_now) as left_2,
        count(*) filter (where back = 2 and listed_now and not listed_before) as came_2,
        count(*) filter (where back = 1 and listed_now and enrolled_before and not enrolled_now) as lost_1
    from internal.person_turnover
    where not all_groups
    group by period, village_code, group_code
),

measures as (
    select h.*, 'members' as measure, h.members as now, h.members_1 as before_1, h.members_2 as before_2
    from history as h
    union all
    select h.*, 'enrolled', h.enrolled, h.enrolled_1, h.enrolled_2
    from history as h
),

changes as (
    select
        m.period, m.village_code, m.group_code,
        m.measure || '_change' as check_name
    from measures as m
    cross join thresholds as th
    where m.period_1 is not null
      and abs(m.now - m.before_1) >= greatest(th.min_change, th.min_share * m.before_1, 1)
      and (
          m.period_2 is null
          or abs(m.now - m.before_2) >= greatest(th.min_change, th.min_share * m.before_2, 1)
          and sign(m.now - m.before_2) = sign(m.now - m.before_1)
      )
),

-- people replaced: as many left as came, as a share of the earlier roster, against both earlier rosters
turnovers as (
    select t.period, t.village_code, t.group_code, 'roster_replaced' as check_name
    from turnover as t
    join history as h using (period, village_code, group_code)
    cross join thresholds as th
    where least(t.left_1, t.came_1) >= greatest(th.replaced_share * h.members_1, 1)
      and (h.period_2 is null or least(t.left_2, t.came_2) >= greatest(th.replaced_share * h.members_2, 1))
    union all
    select t.period, t.village_code, t.group_code, 'enrolment_drop'
    from turnover as t
    cross join thresholds as th
    where t.lost_1 >= greatest(th.min_drop, 1)
),

flags as (
    select
        h.period, h.district_code, h.district_name, h.village_code, h.village_name, h.group_code, c.check_name,
        h.period_1 as previous_period,
        case when c.check_name in ('enrolled_change', 'enrolment_drop') then h.enrolled_1 else h.members_1 end
            as value_before,
        case when c.check_name in ('enrolled_change', 'enrolment_drop') then h.enrolled else h.members end
            as value_now
    from (select * from changes union all select * from turnovers) as c
    join history as h using (period, village_code, group_code)
),

follow_ups as (
    select period, village_code, group_code, check_name, follow_up_status, acted_by, acted_at, reason
    from period_actions
    where action = 'tindak_lanjut'
    qualify row_number() over (partition by period, village_code, group_code, check_name order by action_id desc) = 1
),

final as (
    select
        f.period,
        f.district_code,
        f.district_name,
        f.village_code,
        f.village_name,
        f.group_code,
        groups.group_label,
        f.check_name,
        f.previous_period,
        f.value_before,
        f.value_now,
        f.value_now - f.value_before as change,
        round(100.0 * (f.value_now - f.value_before) / nullif(f.value_before, 0), 1) as change_pct,
        t.left_1 as people_left,
        t.came_1 as people_came,
        t.lost_1 as enrolment_lost,
        coalesce(u.follow_up_status, 'terbuka') as follow_up_status,
        u.acted_by as followed_up_by,
        u.acted_at as followed_up_at,
        u.reason as follow_up_note
    from flags as f
    join turnover as t using (period, village_code, group_code)
    left join follow_ups as u using (period, village_code, group_code, check_name)
    left join groups using (group_code)
)

select * from final
