-- coverage_by_district_group: one row per period, district (kecamatan) and group.
-- Which groups lag in which kecamatan?
-- Example: select district_name, members, enrolled from coverage_by_district_group where period = '2024-04' and group_code = 'LINMAS' order by enrolled
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- members: distinct people (by NIK) on the group's rosters in the district
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with people as (
    select period, district_code, group_code, person_id, bool_or(enrolled) as enrolled
    from roster
    group by period, district_code, group_code, person_id
),

final as (
    select
        people.period,
        people.district_code,
        districts.district_name,
        people.group_code,
        count(*) as members,
        count(*) filter (where people.enrolled) as enrolled,
        round(100.0 * count(*) filter (where people.enrolled) / count(*), 1) as coverage_pct
    from people
    join districts using (district_code)
    group by people.period, people.district_code, districts.district_name, people.group_code
)

select final.*, coalesce(status.is_provisional, true) as is_provisional
from final
left join submission_status as status using (period, district_code)
order by period, district_code, group_code
