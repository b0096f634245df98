-- coverage_base: one row per cut, period and the cut's keys.
-- Coverage as the rosters report it, counted in people_counts (source 'roster'): distinct people (members), those enrolled in any of
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
with final as (
    select * exclude (source, regency_code, regency_name, verified, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported)
    from internal.people_counts
    where source = 'roster' and cut in ('regency', 'group', 'district', 'district_group', 'village_group')
)

select * from final
