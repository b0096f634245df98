-- budget_gap_by_village: one row per period, village (desa/kelurahan) and group.
-- What would enrolling a village's people not yet covered in a group cost? The village's
-- uncovered members of the group times the minimum non-wage-earner (BPU) contribution valid
-- in that month (budget_base, the 'village_group' cut); beside it, for the months a BPJS export
-- verifies, the gap costed on the people BPJS does not protect. Do not add these rows across
-- groups or villages: a person on two rosters is uncovered in each. The kecamatan's rows are
-- budget_gap, its distinct total budget_gap_total.
-- Grain: period, village_code, group_code
-- Example: select village_name, group_label, uncovered, annual_cost_idr from budget_gap_by_village where period = '2024-04' and district_name = 'Cilongok' order by village_name, group_label
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- uncovered: the group's members in the village not enrolled
-- monthly_cost_idr: uncovered * the minimum monthly contribution, rupiah
-- annual_cost_idr: 12 * monthly_cost_idr, rupiah
-- unprotected: the group's members in the village BPJS does not have active and paid up, whatever the village reports; null for a month no export verifies
-- unprotected_monthly_cost_idr: unprotected * the minimum monthly contribution, rupiah; null where unprotected is
-- unprotected_annual_cost_idr: 12 * unprotected_monthly_cost_idr, rupiah; null where unprotected is
with source as (
    select * from internal.budget_base where cut = 'village_group'
),

final as (
    select
        period, district_code, district_name, village_code, village_name, group_code, group_label, uncovered,
        monthly_cost_idr, annual_cost_idr, unprotected, unprotected_monthly_cost_idr, unprotected_annual_cost_idr
    from source
)

select * from final
