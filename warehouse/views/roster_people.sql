-- roster_people: one row per period, village, group and person.
-- The base every per-person figure is counted from: each person (person_id) on a village's
-- group roster once, enrolled when any of their rows on it says so. The coverage views and
-- village_changes read it; a person on two rosters has a row on each, so count distinct
-- person_id, never rows, when a cut spans several groups or villages.
-- Grain: period, village_code, group_code, person_id
-- Example: select group_label, count(distinct person_id) as people from roster_people where period = '2024-04' group by group_label order by group_label
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian (from the groups table)
-- person_id: keyed hash of the NIK (never the NIK itself)
-- enrolled: true when any of the person's rows on this roster reports them enrolled
with source as (
    select * from roster
),

people as (
    select period, district_code, village_code, group_code, person_id, bool_or(enrolled) as enrolled
    from source
    group by period, district_code, village_code, group_code, person_id
),

final as (
    select
        people.period,
        people.district_code,
        villages.district_name,
        people.village_code,
        villages.village_name,
        people.group_code,
        groups.group_label,
        people.person_id,
        people.enrolled
    from people
    left join villages using (village_code)
    left join groups using (group_code)
)

select * from final
