-- people_counts: one row per source, cut, period and the cut's keys.
-- The one place people are counted: for the rosters (source 'roster', from roster_people) and
-- for the rosters beside BPJS (source 'verification', from verification), distinct people
-- (members) over each cut, those the village reports enrolled, each BPJS status, the
-- percentages, and whether the figure is provisional (too few villages of its kecamatan, or
-- of its regency, reported). Each cut counts distinct people over its keys, so rows of one
-- cut do not add up to a coarser cut. coverage_base and verification_base each take one
-- source's cuts; coverage_by_regency and coverage_by_regency_group the regency cuts.
-- Grain: source, cut, period, regency_code, district_code, village_code, group_code
-- Example: select source, cut, count(*) as cut_rows from internal.people_counts where period = '2024-04' group by source, cut order by source, cut
-- Columns:
-- source: 'roster' (every person on the rosters) or 'verification' (the periods a BPJS participants export covers)
-- cut: 'regency' (everyone), 'group', 'district', 'district_group', 'village_group', 'by_regency' or 'by_regency_group' (each regency of a province): which keys the row is counted over
-- period: month the rosters report, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02'); null except in the 'by_regency' and 'by_regency_group' cuts
-- regency_name: regency or city name; null where regency_code is
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'regency', 'group' and regency cuts
-- district_name: kecamatan name; null where district_code is
-- village_code: Kemendagri village code ('33.02.17.2001'); null except in the 'village_group' cut
-- village_name: desa or kelurahan name; null where village_code is
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'regency', 'district' and 'by_regency' cuts
-- group_label: the group's name in Indonesian; null where group_code is
-- members: distinct people (by NIK) in the cut
-- enrolled: those of them the village reports enrolled in any of their rows
-- verified: those BPJS confirms active and paid up (status terverifikasi); 0 for the source 'roster'
-- coverage_pct: 100 * enrolled / members, one decimal
-- verified_pct: 100 * verified / members, one decimal
-- protected: those BPJS has active and paid up within the grace, whatever the village reports (terverifikasi or belum_dilaporkan)
-- protected_pct: 100 * protected / members, one decimal: coverage as BPJS sees it
-- not_found: reported enrolled, unknown to BPJS (tidak_ditemukan)
-- inactive: reported enrolled, no longer active at BPJS (non_aktif)
-- in_arrears: reported enrolled, behind with contributions beyond the grace (menunggak)
-- not_reported: active at BPJS, reported not enrolled (belum_dilaporkan)
-- is_provisional: true when fewer villages of the district (regency cuts: of the regency) reported than the threshold (see submission_status); null in the 'regency' and 'group' cuts
with people as (
    select 'roster' as source, period, district_code, village_code, group_code, person_id, enrolled, null as status
    from main.roster_people
    union all
    select 'verification' as source, period, district_code, village_code, group_code, person_id, enrolled, status
    from main.verification
),

placed as (
    select people.*, districts.regency_code
    from people
    left join main.districts using (district_code)
),

flagged as (
    -- each person once per cut: whether any of their rows in it is enrolled, or has each status
    select
        -- grouping() sets a bit for each key a row is not grouped by (regency 8, district 4, village 2, group 1)
        case grouping(regency_code, district_code, village_code, group_code)
            when 15 then 'regency'
            when 14 then 'group'
            when 11 then 'district'
            when 10 then 'district_group'
            when 8 then 'village_group'
            when 7 then 'by_regency'
            when 6 then 'by_regency_group'
        end as cut,
        source, period, regency_code, district_code, village_code, group_code, person_id,
        bool_or(enrolled) as enrolled,
        bool_or(status = 'terverifikasi') as verified,
        bool_or(status in ('terverifikasi', 'belum_dilaporkan')) as protected,
        bool_or(status = 'tidak_ditemukan') as not_found,
        bool_or(status = 'non_aktif') as inactive,
        bool_or(status = 'menunggak') as in_arrears,
        bool_or(status = 'belum_dilaporkan') as not_reported
    from placed
    group by grouping sets (
        (source, period, person_id),
        (source, period, group_code, person_id),
        (source, period, district_code, person_id),
        (source, period, district_code, group_code, person_id),
        (source, period, district_code, village_code, group_code, person_id),
        (source, period, regency_code, person_id),
        (source, period, regency_code, group_code, person_id)
    )
),

counted as (
    -- count(person_id): people, as count(distinct person_id) over the rows would
    select
        cut, source, period, regency_code, district_code, village_code, group_code,
        count(person_id) as members,
        count(person_id) filter (where enrolled) as enrolled,
        count(person_id) filter (where verified) as verified,
        count(person_id) filter (where protected) as protected,
        count(person_id) filter (where not_found) as not_found,
        count(person_id) filter (where inactive) as inactive,
        count(person_id) filter (where in_arrears) as in_arrears,
        count(person_id) filter (where not_reported) as not_reported
    from flagged
    group by cut, source, period, regency_code, district_code, village_code, group_code
),

final as (
    select
        counted.source,
        counted.cut,
        counted.period,
        counted.regency_code,
        regencies.regency_name,
        counted.district_code,
        districts.district_name,
        counted.village_code,
        villages.village_name,
        counted.group_code,
        groups.group_label,
        counted.members,
        counted.enrolled,
        counted.verified,
        round(100.0 * counted.enrolled / counted.members, 1) as coverage_pct,
        round(100.0 * counted.verified / counted.members, 1) as verified_pct,
        counted.protected,
        round(100.0 * counted.protected / counted.members, 1) as protected_pct,
        counted.not_found,
        counted.inactive,
        counted.in_arrears,
        counted.not_reported,
        case
            when counted.regency_code is not null then coalesce(regency_status.is_provisional, true)
            when counted.district_code is not null then coalesce(district_status.is_provisional, true)
        end as is_provisional
    from counted
    left join main.submission_status as district_status
        on district_status.period = counted.period and district_status.district_code = counted.district_code
    left join main.submission_status_by_regency as regency_status
        on regency_status.period = counted.period and regency_status.regency_code = counted.regency_code
    left join main.regencies on regencies.regency_code = counted.regency_code
    left join main.districts on districts.district_code = counted.district_code
    left join main.villages on villages.village_code = counted.village_code
    left join main.groups on groups.group_code = counted.group_code
)

select * from final
