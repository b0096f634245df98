-- period_status: one row per period received and district (kecamatan).
-- Is a month closed for a kecamatan, since when, by whom and why? A period is closed for the
-- whole regency or for one kecamatan (`cakupan close`) and reopened (`cakupan reopen`); the
-- latest of those actions that covers the kecamatan decides. While it is closed its figures
-- stay as closed (closed_figures, closed_period_changes) and files that arrive for it wait in
-- pending_corrections until accepted (`cakupan accept`) or the period is reopened.
-- Grain: period, district_code
-- Example: select period, district_name, status, acted_by, acted_at, files_pending from period_status where status = 'ditutup' order by period, district_name
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- status: 'ditutup' (closed) or 'terbuka' (open)
-- action_id: the close or reopen in force (period_actions); null when never closed
-- scope: 'kabupaten' (the whole regency) or 'kecamatan': what that action was taken for
-- acted_by: who took it
-- acted_at: when
-- reason: why
-- files_pending: file versions held for the kecamatan's villages (pending_corrections)
with periods as (
    select distinct period from ingested_files where period is not null
),

governing as (
    select p.period, d.district_code, a.action_id, a.action, a.district_code is null as regency_wide, a.acted_by,
           a.acted_at, a.reason
    from periods as p
    cross join districts as d
    join period_actions as a
        on a.period = p.period and a.action in ('tutup', 'buka_kembali')
        and (a.district_code is null or a.district_code = d.district_code)
    qualify row_number() over (partition by p.period, d.district_code order by a.action_id desc) = 1
),

pending as (
    select period, district_code, count(distinct sha256) as files_pending
    from pending_corrections
    group by period, district_code
),

final as (
    select
        p.period,
        d.district_code,
        d.district_name,
        case when g.action = 'tutup' then 'ditutup' else 'terbuka' end as status,
        g.action_id,
        case when g.regency_wide then 'kabupaten' when g.action_id is not null then 'kecamatan' end as scope,
        g.acted_by,
        g.acted_at,
        g.reason,
        coalesce(pending.files_pending, 0) as files_pending
    from periods as p
    cross join districts as d
    left join governing as g on g.period = p.period and g.district_code = d.district_code
    left join pending on pending.period = p.period and pending.district_code = d.district_code
)

select * from final
