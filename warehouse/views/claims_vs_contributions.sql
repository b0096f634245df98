-- claims_vs_contributions: one row per year and group (and one with a null group for members on no roster).
-- What did members pay and what did BPJS pay out? Contributions paid and claims paid in the
-- year (by payment date), claims by programme, and claims per rupiah of contributions. The
-- contributions export does not split payments by programme, so contributions are one sum.
-- Grain: year, group_code
-- Example: select year, group_label, contributions_idr, claims_idr, claims_jkm_idr, claims_jkk_idr, claims_per_contribution from claims_vs_contributions order by year, group_label
-- Columns:
-- year: calendar year of the payment date
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null for members on no roster
-- group_label: the group's name in Indonesian; null where group_code is
-- contributions_idr: contributions paid in the year, rupiah
-- members_paying: distinct people who paid
-- claims_idr: claims paid in the year, rupiah
-- claims_count: claims paid
-- claims_jkk_idr: work-accident (JKK) claims paid, rupiah
-- claims_jkm_idr: death (JKM) claims paid, rupiah
-- claims_jht_idr: old-age savings (JHT) claims paid, rupiah
-- claims_other_idr: JP and JKP claims paid, rupiah
-- claims_per_contribution: claims_idr / contributions_idr, two decimals; null without contributions
with paid as (
    select year(paid_date) as year, coalesce(group_code, '-') as group_key, sum(amount_idr) as contributions_idr,
           count(distinct person_id) as members_paying
    from bpjs_contributions
    group by all
),

claimed as (
    select
        year(paid_date) as year,
        coalesce(group_code, '-') as group_key,  -- members on no roster are one group here, not one per row
        sum(amount_idr) as claims_idr,
        count(*) as claims_count,
        coalesce(sum(amount_idr) filter (where program = 'JKK'), 0) as claims_jkk_idr,
        coalesce(sum(amount_idr) filter (where program = 'JKM'), 0) as claims_jkm_idr,
        coalesce(sum(amount_idr) filter (where program = 'JHT'), 0) as claims_jht_idr,
        coalesce(sum(amount_idr) filter (where program not in ('JKK', 'JKM', 'JHT')), 0) as claims_other_idr
    from bpjs_claims
    group by all
),

final as (
    select
        year,
        nullif(group_key, '-') as group_code,
        groups.group_label,
        coalesce(paid.contributions_idr, 0)::hugeint as contributions_idr,
        coalesce(paid.members_paying, 0) as members_paying,
        coalesce(claimed.claims_idr, 0)::hugeint as claims_idr,
        coalesce(claimed.claims_count, 0) as claims_count,
        coalesce(claimed.claims_jkk_idr, 0)::hugeint as claims_jkk_idr,
        coalesce(claimed.claims_jkm_idr, 0)::hugeint as claims_jkm_idr,
        coalesce(claimed.claims_jht_idr, 0)::hugeint as claims_jht_idr,
        coalesce(claimed.claims_other_idr, 0)::hugeint as claims_other_idr,
        round(claimed.claims_idr / nullif(paid.contributions_idr, 0), 2) as claims_per_contribution
    from paid
    full join claimed using (year, group_key)
    left join groups on groups.group_code = group_key
)

select * from final
