-- budget_gap: one row per period, district (kecamatan) and group.
-- What would enrolling the group's people not yet covered cost? Uncovered people times the
-- minimum non-wage-earner (BPU) contribution valid in that month (budget_base); beside it,
-- for the months a BPJS export verifies, the gap costed on the people BPJS does not protect.
-- Do not add these rows across groups: a person on two groups' rosters is uncovered in
-- each (demo April 2024: 30,517 by group against 30,301 distinct people). The district and
-- regency totals over distinct people are budget_gap_total.
-- Grain: period, district_code, group_code
-- Example: select district_name, group_label, uncovered, annual_cost_idr from budget_gap where period = '2024-04' and group_code = 'RT_RW' order by annual_cost_idr desc
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- uncovered: the group's members not enrolled (not additive across groups)
-- monthly_cost_idr: uncovered * the minimum monthly contribution, rupiah (not additive across groups)
-- annual_cost_idr: 12 * monthly_cost_idr, rupiah (not additive across groups)
-- unprotected: the group's members BPJS does not have active and paid up, whatever the village reports; null for a month no export verifies
-- unprotected_monthly_cost_idr: unprotected * the minimum monthly contribution, rupiah; null where unprotected is
-- unprotected_annual_cost_idr: 12 * unprotected_monthly_cost_idr, rupiah; null where unprotected is
with source as (
    select * from internal.budget_base where cut = 'district_group'
),

final as (
    select
        period, district_code, district_name, group_code, group_label, uncovered, monthly_cost_idr, annual_cost_idr,
        unprotected, unprotected_monthly_cost_idr, unprotected_annual_cost_idr
    from source
)

select * from final
