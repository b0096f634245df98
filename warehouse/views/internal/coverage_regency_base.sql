-- coverage_regency_base: one row per cut, period and the cut's keys, at the regency level.
-- The one place regency coverage is counted: distinct people (members) of a regency (kabupaten
-- or kota), those enrolled in any of their rows, the percentage, and whether the figure is
-- provisional (the regency has not reported enough villages yet). coverage_by_regency and
-- coverage_by_regency_group each select one cut of it; query those rather than this view. It
-- counts as coverage_base does, over the regency keys coverage_base does not carry.
-- Grain: cut, period, regency_code, group_code
-- Example: select cut, count(*) as cut_rows from internal.coverage_regency_base where period = '2024-04' group by cut order by cut
-- Columns:
-- cut: 'regency' or 'regency_group': which keys the row is counted over
-- period: month the rosters report, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'regency' cut
-- members: distinct people (by NIK) in the cut
-- enrolled: those of them enrolled in any of their rows
-- coverage_pct: 100 * enrolled / members, one decimal
-- is_provisional: true when fewer villages of the regency reported than the threshold (see submission_status_by_regency)
with people as (
    select people.*, districts.regency_code
    from main.roster_people as people
    join main.districts using (district_code)
),

counted as (
    select
        -- grouping() sets a bit for each key a row is not grouped by (group 1)
        case grouping(regency_code, group_code) when 1 then 'regency' when 0 then 'regency_group' end as cut,
        period,
        regency_code,
        group_code,
        count(distinct person_id) as members,
        count(distinct person_id) filter (where enrolled) as enrolled
    from people
    group by grouping sets ((period, regency_code), (period, regency_code, group_code))
),

final as (
    select
        counted.*,
        round(100.0 * counted.enrolled / counted.members, 1) as coverage_pct,
        coalesce(status.is_provisional, true) as is_provisional
    from counted
    left join main.submission_status_by_regency as status using (period, regency_code)
)

select * from final
