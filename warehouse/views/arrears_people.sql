-- arrears_people: one row per period, village, group and person BPJS knows as active or in arrears whose contributions stop before the period.
-- What does each person owe to be protected again? The months unpaid and their cost at the
-- minimum monthly contribution valid at the period (monthly_contribution, from the dated
-- rates; a wage earner's is costed the same, a floor). The one place arrears are costed:
-- arrears_by_village_group adds these rows up, verification_discrepancies tells the village.
-- Grain: period, village_code, group_code, person_id
-- Example: select period, count(*) as people, sum(arrears_idr) as arrears_idr from arrears_people group by period order by period
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- person_id: keyed hash of the NIK, as in roster
-- months_unpaid: months from the last month paid to the period
-- beyond_grace: more months unpaid than the segment's grace allows (menunggak when reported enrolled)
-- arrears_idr: months_unpaid * the minimum monthly contribution, rupiah
with owing as (
    select period, village_code, group_code, person_id, months_unpaid, months_unpaid > grace_months as beyond_grace
    from verification
    where months_unpaid > 0 and bpjs_status in ('AKTIF', 'MENUNGGAK')
),

final as (
    select
        owing.period,
        owing.village_code,
        villages.village_name,
        owing.group_code,
        groups.group_label,
        owing.person_id,
        owing.months_unpaid,
        owing.beyond_grace,
        (owing.months_unpaid * rate.monthly_rate_idr)::bigint as arrears_idr
    from owing
    left join monthly_contribution as rate using (period)
    left join villages using (village_code)
    left join groups using (group_code)
)

select * from final
