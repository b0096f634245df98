-- submission_timeliness_by_village: one row per period received and village (every village of the region).
-- Did each village send its roster on time? DHIS2's "reporting on time": the arrival of the first
-- file of the month that was taken (file_arrivals: its modification time in the landing zone when
-- trustworthy, else when a run first saw it) is compared with the period's due date (due_dates).
-- Sent, rejected and missing are submission_status_by_village's, never decided again here.
-- 'tepat_waktu' (on time): arrived by the due date. 'terlambat' (late): arrived after it, on
-- evidence: a trustworthy modification time older than the run that first saw the file, or a
-- run of cakupan already watching the landing zone when the due date passed.
-- 'tidak_diketahui' (arrival unknown): sent, but the only evidence is after the due date and
-- nobody was watching then, as for months loaded in a backfill. 'ditolak' and 'belum_mengirim'
-- as in submission_status_by_village, except that a village that sent nothing before its due
-- date has passed (as of the run that published this warehouse) is 'belum_jatuh_tempo'.
-- 'tanpa_batas_kirim': no rule of due_dates covers the period.
-- Grain: period, village_code
-- Example: select village_name, status, first_received_at, arrival_source, days_late from submission_timeliness_by_village where period = '2024-04' and district_name = 'Cilongok'
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- due_date: the last day to send the roster; null when no rule of due_dates covers the period
-- due_at: when a file arriving later is late
-- status: 'tepat_waktu', 'terlambat', 'tidak_diketahui', 'ditolak', 'belum_mengirim', 'belum_jatuh_tempo' or 'tanpa_batas_kirim'
-- submission_status: submission_status_by_village's status: 'terkirim', 'ditolak' or 'belum_mengirim'
-- first_received_at: when the first file taken arrived (file_arrivals.arrived_at); null when none
-- arrival_source: the evidence for first_received_at: 'waktu_berkas' (the file's time) or 'pertama_terlihat' (when a run first saw it; file_arrivals)
-- last_received_at: when the latest file taken arrived (a correction)
-- files_received: file versions taken (loaded, superseded or pending, and not every row rejected)
-- first_file_at: when the first file of any kind (rejected included) placed on the village arrived
-- days_late: days from due_at to first_received_at when 'terlambat', a part of a day counting as one
with villages_by_period as (
    select s.period, s.district_code, s.district_name, s.village_code, s.village_name, s.status as sent
    from submission_status_by_village as s
),

-- the files taken, as submission_status_by_village counts a village sent: not rejected whole, not every row rejected
taken as (
    select *, status in ('loaded', 'superseded', 'pending') and (rows_loaded > 0 or rows_rejected = 0) as is_taken
    from ingested_files
),

received as (
    select
        f.period,
        f.village_code,
        min(a.arrived_at) filter (where f.is_taken) as first_received_at,
        arg_min(a.arrival_source, a.arrived_at) filter (where f.is_taken)
            as arrival_source,
        arg_min(a.is_upper_bound, a.arrived_at) filter (where f.is_taken)
            as is_upper_bound,
        any_value(a.watched_since) as watched_since,
        max(a.arrived_at) filter (where f.is_taken) as last_received_at,
        count(*) filter (where f.is_taken) as files_received,
        min(a.arrived_at) as first_file_at
    from taken as f
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
            when v.sent = 'ditolak' then 'ditolak'
            when d.due_at is null then 'tanpa_batas_kirim'
            when v.sent = 'terkirim' and r.first_received_at <= d.due_at then 'tepat_waktu'
            when v.sent = 'terkirim' and (not r.is_upper_bound or r.watched_since <= d.due_at) then 'terlambat'
            when v.sent = 'terkirim' then 'tidak_diketahui'
            when as_of.published_at <= d.due_at then 'belum_jatuh_tempo'
            else 'belum_mengirim'
        end as status,
        v.sent as submission_status,
        r.first_received_at,
        r.arrival_source,
        r.last_received_at,
        coalesce(r.files_received, 0) as files_received,
        r.first_file_at,
        case
            when v.sent = 'terkirim' and r.first_received_at > d.due_at
                and (not r.is_upper_bound or r.watched_since <= d.due_at)
                then ceil((epoch(r.first_received_at) - epoch(d.due_at)) / 86400)::integer
        end as days_late
    from villages_by_period as v
    cross join as_of
    left join due_dates as d using (period)
    left join received as r on r.period = v.period and r.village_code = v.village_code
)

select * from final
