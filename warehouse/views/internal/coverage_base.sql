-- coverage_base: one row per cut, period and the cut's keys.
-- The one place coverage is counted: distinct people (members), those enrolled in any of
-- their rows, the percentage, and whether the figure is provisional (its kecamatan has not
-- reported enough villages yet). Each cut counts distinct people over its keys, so rows of
-- one cut do not add up to a coarser cut (a person on two groups' rosters counts in each
-- group, once in the district and once in the regency). The coverage_* and budget_* views
-- each select a cut; query those rather than this view.
-- Grain: cut, period, district_code, village_code, group_code
-- Example: select cut, count(*) as cut_rows from internal.coverage_base where period = '2024-04' group by cut order by cut
-- Columns:
-- cut: 'regency', 'group', 'district', 'district_group' or 'village_group': which keys the row is counted over
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'regency' and 'group' cuts
-- district_name: kecamatan name; null where district_code is
-- village_code: Kemendagri village code ('33.02.17.2001'); null except in the 'village_group' cut
-- village_name: desa or kelurahan name; null where village_code is
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'regency' and 'district' cuts
-- group_label: the group's name in Indonesian; null where group_code is
-- members: distinct people (by NIK) in the cut
-- enrolled: those of them enrolled in any of their rows
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status); null where district_code is
with people as (
    select * from main.roster_people
),

counted as (
    select
        -- grouping() sets a bit for each key a row is not grouped by (district 4, village 2, group 1)
        case grouping(district_code, village_code, group_code)
            when 7 then 'regency'
            when 6 then 'group'
            when 3 then 'district'
            when 2 then 'district_group'
            when 0 then 'village_group'
        end as cut,
        period,
        district_code,
        village_code,
        group_code,
        count(distinct person_id) as members,
        count(distinct person_id) filter (where enrolled) as enrolled
    from people
    group by grouping sets (
        (period),
        (period, group_code),
        (period, district_code),
        (period, district_code, group_code),
        (period, district_code, village_code, group_code)
    )
),

final as (
    select
        counted.cut,
        counted.period,
        counted.district_code,
        districts.district_name,
        counted.village_code,
        villages.village_name,
        counted.group_code,
        groups.group_label,
        counted.members,
        counted.enrolled,
        round(100.0 * counted.enrolled / counted.members, 1) as coverage_pct,
        case when counted.district_code is not null then coalesce(status.is_provisional, true) end as is_provisional
    from counted
    left join main.submission_status as status using (period, district_code)
    left join main.districts on districts.district_code = counted.district_code
    left join main.villages on villages.village_code = counted.village_code
    left join main.groups on groups.group_code = counted.group_code
)

select * from final
