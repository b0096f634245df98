-- roster_people: one row per period, village, group and person.
-- The base every per-person figure is counted from: each person (person_id) on a village's
-- group roster once, enrolled when any of their rows on it says so. The coverage views and
-- village_changes read it; a person on two rosters has a row on each.
-- Grain: period, village_code, group_code, person_id
-- Example: select group_code, count(*) as people from roster_people where period = '2024-04' group by group_code order by group_code
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- person_id: keyed hash of the NIK (never the NIK itself)
-- enrolled: true when any of the person's rows on this roster reports them enrolled
with source as (
    select * from roster
),

final as (
    select period, district_code, village_code, group_code, person_id, bool_or(enrolled) as enrolled
    from source
    group by period, district_code, village_code, group_code, person_id
)

select * from final
