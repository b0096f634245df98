-- coverage_by_district: one row per period and district (kecamatan).
-- Which kecamatan lag? Distinct people across all groups; a person holding posts in two
-- groups counts once, enrolled if enrolled in any row.
-- Example: select district_name, coverage_pct, is_provisional from coverage_by_district where period = '2024-04' order by coverage_pct limit 5
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- members: distinct people (by NIK) on the district's rosters
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with people as (
    select period, district_code, person_id, bool_or(enrolled) as enrolled
    from roster
    group by period, district_code, person_id
),

final as (
    select
        people.period,
        people.district_code,
        districts.district_name,
        count(*) as members,
        count(*) filter (where people.enrolled) as enrolled,
        round(100.0 * count(*) filter (where people.enrolled) / count(*), 1) as coverage_pct
    from people
    join districts using (district_code)
    group by people.period, people.district_code, districts.district_name
)

select final.*, coalesce(status.is_provisional, true) as is_provisional
from final
left join submission_status as status using (period, district_code)
order by period, district_code
