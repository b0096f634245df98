-- coverage_base: one row per cut, period and the cut's keys.
-- The one place coverage is counted: distinct people (members), those enrolled in any of
-- their rows, the percentage, and whether the figure is provisional (its kecamatan has not
-- reported enough villages yet). The coverage_by_* views each select one cut of it; query
-- those rather than this view.
-- Grain: cut, period, district_code, village_code, group_code
-- Example: select cut, count(*) as cut_rows from coverage_base where period = '2024-04' group by cut order by cut
-- Columns:
-- cut: 'group', 'district', 'district_group' or 'village_group': which keys the row is counted over
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'group' cut
-- village_code: Kemendagri village code ('33.02.17.2001'); null except in the 'village_group' cut
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'district' cut
-- members: distinct people (by NIK) in the cut
-- enrolled: those of them enrolled in any of their rows
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status); null in the 'group' cut
with people as (
    select * from roster_people
),

counted as (
    select
        -- grouping() sets a bit for each key a row is not grouped by (district 4, village 2, group 1)
        case grouping(district_code, village_code, group_code)
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
        (period, group_code),
        (period, district_code),
        (period, district_code, group_code),
        (period, district_code, village_code, group_code)
    )
),

final as (
    select
        counted.*,
        round(100.0 * counted.enrolled / counted.members, 1) as coverage_pct,
        case when counted.district_code is not null then coalesce(status.is_provisional, true) end as is_provisional
    from counted
    left join submission_status as status using (period, district_code)
)

select * from final
