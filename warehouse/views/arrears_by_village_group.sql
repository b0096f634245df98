-- arrears_by_village_group: one row per period, village and group with members in arrears.
-- Who is behind with contributions, and what would it cost to bring them current? People
-- BPJS knows as active or in arrears whose contributions stop before the period, with the
-- months unpaid and their cost at the minimum monthly contribution valid at the period
-- (arrears_people, person by person; a wage earner's is costed the same, a floor).
-- Grain: period, village_code, group_code
-- Example: select district_name, village_name, group_label, people_in_arrears, months_unpaid, cost_to_bring_current_idr from arrears_by_village_group where period = '2024-04' order by cost_to_bring_current_idr desc limit 10
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- people_in_arrears: distinct people with months unpaid (within the grace or beyond it)
-- beyond_grace: of them, those beyond their segment's grace (menunggak when reported enrolled)
-- months_unpaid: months unpaid, summed over those people
-- cost_to_bring_current_idr: the people's arrears_idr summed: months_unpaid * the minimum monthly contribution, rupiah
with final as (
    select
        owing.period,
        villages.district_code,
        villages.district_name,
        owing.village_code,
        villages.village_name,
        owing.group_code,
        groups.group_label,
        count(*) as people_in_arrears,
        count(*) filter (where owing.beyond_grace) as beyond_grace,
        sum(owing.months_unpaid)::bigint as months_unpaid,
        sum(owing.arrears_idr)::bigint as cost_to_bring_current_idr
    from arrears_people as owing
    join villages using (village_code)
    join groups using (group_code)
    group by all
)

select * from final
