-- budget_base: one row per cut, period and the cut's keys, as in coverage_base.
-- The one place the cost of the gap is computed: each coverage_base row's people not
-- enrolled (members - enrolled, distinct people over the cut's keys) times the minimum
-- monthly BPU contribution valid in the period (monthly_contribution); and, for the periods a
-- BPJS participants export verifies, the gap as BPJS sees it: the people BPJS does not have
-- active and paid up (members - protected of verification_base, whatever the village
-- reports), at the same rate. Rows of one cut do not add up to a coarser cut. budget_gap and budget_gap_total select its cuts; query those.
-- Grain: cut, period, district_code, village_code, group_code
-- Example: select cut, sum(annual_cost_idr) as annual_cost_idr from internal.budget_base where period = '2024-04' group by cut order by cut
-- Columns:
-- cut: 'regency', 'group', 'district', 'district_group' or 'village_group' (see coverage_base)
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'regency' and 'group' cuts
-- district_name: kecamatan name; null where district_code is
-- village_code: Kemendagri village code ('33.02.17.2001'); null except in the 'village_group' cut
-- village_name: desa or kelurahan name; null where village_code is
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'regency' and 'district' cuts
-- group_label: the group's name in Indonesian; null where group_code is
-- members: distinct people in the cut
-- uncovered: those of them not enrolled in any of their rows
-- monthly_cost_idr: uncovered * the minimum monthly contribution, rupiah
-- annual_cost_idr: 12 * monthly_cost_idr, rupiah
-- unprotected: those of them BPJS does not have active and paid up (members - protected of verification_base); null for a period no export verifies
-- unprotected_monthly_cost_idr: unprotected * the minimum monthly contribution, rupiah; null where unprotected is
-- unprotected_annual_cost_idr: 12 * unprotected_monthly_cost_idr, rupiah; null where unprotected is
with source as (
    select * from internal.coverage_base
),

final as (
    select
        source.cut,
        source.period,
        source.district_code,
        source.district_name,
        source.village_code,
        source.village_name,
        source.group_code,
        source.group_label,
        source.members,
        source.members - source.enrolled as uncovered,
        ((source.members - source.enrolled) * rate.monthly_rate_idr)::bigint as monthly_cost_idr,
        (12 * (source.members - source.enrolled) * rate.monthly_rate_idr)::bigint as annual_cost_idr,
        verified.members - verified.protected as unprotected,
        ((verified.members - verified.protected) * rate.monthly_rate_idr)::bigint as unprotected_monthly_cost_idr,
        (12 * (verified.members - verified.protected) * rate.monthly_rate_idr)::bigint as unprotected_annual_cost_idr
    from source
    join main.monthly_contribution as rate using (period)
    left join internal.verification_base as verified
        on verified.cut = source.cut
        and verified.period = source.period
        and verified.district_code is not distinct from source.district_code
        and verified.village_code is not distinct from source.village_code
        and verified.group_code is not distinct from source.group_code
)

select * from final
