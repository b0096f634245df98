-- coverage_by_village: one row per period, village (desa/kelurahan) and group.
-- How far along is each village, group by group? Do not add members across groups: a
-- person on two groups' rosters counts in each.
-- Grain: period, village_code, group_code
-- Example: select village_name, group_label, members, enrolled from coverage_by_village where period = '2024-04' and district_name = 'Cilongok'
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- village_type: 'desa' (has a BPD) or 'kelurahan' (urban ward, no BPD)
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people (by NIK) on the village's group roster
-- enrolled: those of them enrolled
-- coverage_pct: 100 * enrolled / members, one decimal
with source as (
    select * from internal.coverage_base where cut = 'village_group'
),

final as (
    select
        source.period,
        villages.district_code,
        villages.district_name,
        source.village_code,
        villages.village_name,
        villages.village_type,
        source.group_code,
        source.group_label,
        source.members,
        source.enrolled,
        source.coverage_pct
    from source
    join villages using (village_code)
)

select * from final
