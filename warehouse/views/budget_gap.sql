-- budget_gap: one row per period, district (kecamatan) and group.
-- What would enrolling everyone not yet covered cost the village budgets? Uncovered people
-- times the minimum non-wage-earner (BPU) contribution valid in that month, from the
-- contribution_rates reference table (JKK 1% of Rp 1,000,000 + JKM Rp 6,800 = Rp 16,800).
-- Grain: period, district_code, group_code
-- Example: select district_code, sum(annual_cost_idr) from budget_gap where period = '2024-04' group by all order by 2 desc
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- uncovered: members not enrolled
-- monthly_cost_idr: uncovered * the minimum monthly contribution, rupiah
-- annual_cost_idr: 12 * monthly_cost_idr, rupiah
with coverage as (
    select period, district_code, group_code, members - enrolled as uncovered
    from coverage_by_district_group
),

monthly_rate as (
    select
        coverage.period,
        sum(contribution_rates.rate_pct / 100 * contribution_rates.declared_income_idr + contribution_rates.fixed_idr)
            as rate_idr
    from (select distinct period from coverage) as coverage
    join contribution_rates
        on strptime(coverage.period || '-01', '%Y-%m-%d')::date >= contribution_rates.valid_from
        and (
            contribution_rates.valid_to is null
            or strptime(coverage.period || '-01', '%Y-%m-%d')::date <= contribution_rates.valid_to
        )
    group by coverage.period
),

final as (
    select
        coverage.period,
        coverage.district_code,
        coverage.group_code,
        coverage.uncovered,
        (coverage.uncovered * monthly_rate.rate_idr)::bigint as monthly_cost_idr,
        (12 * coverage.uncovered * monthly_rate.rate_idr)::bigint as annual_cost_idr
    from coverage
    join monthly_rate using (period)
)

select * from final
