-- monthly_contribution: one row per period with rosters.
-- What does one person's minimum non-wage-earner (BPU) membership cost a month in that
-- period? The sum over programmes of the contribution_rates rows valid on the period's
-- first day (JKK 1% of Rp 1,000,000 + JKM Rp 6,800 = Rp 16,800 since July 2015). The
-- budget views read it, so no rate is written in SQL.
-- Grain: period
-- Example: select period, monthly_rate_idr from monthly_contribution order by period
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- monthly_rate_idr: minimum monthly contribution per person, rupiah
-- programs: the programmes counted, comma-separated
with periods as (
    select distinct period from roster
),

final as (
    select
        periods.period,
        sum(rates.rate_pct / 100 * rates.declared_income_idr + rates.fixed_idr) as monthly_rate_idr,
        string_agg(rates.program, ', ' order by rates.program) as programs
    from periods
    join contribution_rates as rates
        on strptime(periods.period || '-01', '%Y-%m-%d')::date >= rates.valid_from
        and (rates.valid_to is null or strptime(periods.period || '-01', '%Y-%m-%d')::date <= rates.valid_to)
    group by periods.period
)

select * from final
