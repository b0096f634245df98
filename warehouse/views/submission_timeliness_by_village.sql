-- submission_timeliness_by_village: one row per period received and village (every village of the region).
-- Did each village send its roster on time? DHIS2's "reporting on time": the first file of the
-- month that was taken (loaded, later superseded, or held for a closed period) is compared with
-- the period's due date (due_dates); its arrival is when a run first saw it (file_arrivals). A
-- village that sent nothing, or only files rejected as a whole, is 'missing' once the due date has
-- passed (as of the run that published this warehouse), 'not_yet_due' before.
-- Grain: period, village_code
-- Example: select village_name, status, first_received_at, days_late from submission_timeliness_by_village where period = '2024-04' and district_name = 'Cilongok'
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- due_date: the last day to send the roster; null when no rule of due_dates covers the period
-- due_at: when a file first seen later is late
-- status: 'on_time', 'late', 'missing', 'not_yet_due', or 'no_due_date' (no rule covers the period)
-- first_received_at: when the first file taken arrived; null when none
-- last_received_at: when the latest file taken arrived (a correction)
-- files_received: file versions taken (loaded, superseded or pending)
-- first_file_at: when the first file of any kind (rejected included) placed on the village arrived
-- days_late: days from due_at to first_received_at when late, a part of a day counting as one
with villages_by_period as (
    select p.period, v.district_code, v.district_name, v.village_code, v.village_name
    from (select distinct period from ingested_files where period is not null) as p
    cross join villages as v
),

received as (
    select
        f.period,
        f.village_code,
        min(a.arrived_at) filter (where f.status in ('loaded', 'superseded', 'pending')) as first_received_at,
        max(a.arrived_at) filter (where f.status in ('loaded', 'superseded', 'pending')) as last_received_at,
        count(*) filter (where f.status in ('loaded', 'superseded', 'pending')) as files_received,
        min(a.arrived_at) as first_file_at
    from ingested_files as f
    join file_arrivals as a using (source_file, sha256)
    where f.village_code is not null and f.period is not null
    group by f.period, f.village_code
),

as_of as (
    select max(started_at) as published_at from runs
),

final as (
    select
        v.period,
        v.district_code,
        v.district_name,
        v.village_code,
        v.village_name,
        d.due_date,
        d.due_at,
        case
            when d.due_at is null then 'no_due_date'
            when r.first_received_at <= d.due_at then 'on_time'
            when r.first_received_at > d.due_at then 'late'
            when as_of.published_at > d.due_at then 'missing'
            else 'not_yet_due'
        end as status,
        r.first_received_at,
        r.last_received_at,
        coalesce(r.files_received, 0) as files_received,
        r.first_file_at,
        case when r.first_received_at > d.due_at then ceil((epoch(r.first_received_at) - epoch(d.due_at)) / 86400)::integer end
            as days_late
    from villages_by_period as v
    cross join as_of
    left join due_dates as d using (period)
    left join received as r on r.period = v.period and r.village_code = v.village_code
)

select * from final
