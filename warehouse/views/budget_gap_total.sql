-- budget_gap_total: one row per period and area: the regency, and each district (kecamatan).
-- What would enrolling everyone not yet covered cost, counting each person once? Uncovered
-- distinct people (a person on two groups' rosters once, covered if enrolled in any row)
-- times the minimum monthly BPU contribution (budget_base). The 'kabupaten' row is
-- the regency total; pick it, or the 'kecamatan' rows, never add both. For the months a BPJS
-- export verifies, the gap as BPJS sees it too: the people BPJS does not have active and paid up.
-- Grain: period, district_code
-- Example: select area_level, district_name, uncovered, annual_cost_idr from budget_gap_total where period = '2024-04' order by area_level, annual_cost_idr desc
-- Columns:
-- period: month, 'YYYY-MM'
-- area_level: 'kabupaten' (the regency total; district_code null) or 'kecamatan'
-- district_code: Kemendagri district code, dotted ('33.02.17'); null on the kabupaten row
-- district_name: kecamatan name; null on the kabupaten row
-- members: distinct people on the area's rosters, all groups
-- uncovered: those of them not enrolled in any row
-- monthly_cost_idr: uncovered * the minimum monthly contribution, rupiah
-- annual_cost_idr: 12 * monthly_cost_idr, rupiah
-- unprotected: the area's distinct people BPJS does not have active and paid up, whatever the villages report; null for a month no export verifies
-- unprotected_monthly_cost_idr: unprotected * the minimum monthly contribution, rupiah; null where unprotected is
-- unprotected_annual_cost_idr: 12 * unprotected_monthly_cost_idr, rupiah; null where unprotected is
with source as (
    select * from internal.budget_base where cut in ('regency', 'district')
),

final as (
    select
        period,
        case when cut = 'regency' then 'kabupaten' else 'kecamatan' end as area_level,
        district_code,
        district_name,
        members,
        uncovered,
        monthly_cost_idr,
        annual_cost_idr,
        unprotected,
        unprotected_monthly_cost_idr,
        unprotected_annual_cost_idr
    from source
)

select * from final
