-- verification_base: one row per cut, period and the cut's keys, for the periods a BPJS participants export covers.
-- The one place verified coverage is counted, beside the reported figure: distinct people,
-- those the village reports enrolled, those BPJS confirms (terverifikasi) and each kind of
-- disagreement, and those BPJS has active and paid up whatever the village reports
-- (protected: terverifikasi or belum_dilaporkan), coverage as BPJS sees it. Like coverage_base, each cut counts distinct people over its keys (a person
-- in two groups counts in each group, once in the regency). The verified_coverage_* views
-- each select a cut; query those rather than this view.
-- Grain: cut, period, district_code, village_code, group_code
-- Example: select cut, count(*) as cut_rows from internal.verification_base group by cut order by cut
-- Columns:
-- cut: 'regency', 'group', 'district', 'district_group' or 'village_group': which keys the row is counted over
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17'); null in the 'regency' and 'group' cuts
-- district_name: kecamatan name; null where district_code is
-- village_code: Kemendagri village code ('33.02.17.2001'); null except in the 'village_group' cut
-- village_name: desa or kelurahan name; null where village_code is
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN; null in the 'regency' and 'district' cuts
-- group_label: the group's name in Indonesian; null where group_code is
-- members: distinct people on the rosters
-- enrolled: those the village reports enrolled
-- verified: those BPJS confirms active and paid up (status terverifikasi)
-- coverage_pct: 100 * enrolled / members, one decimal
-- verified_pct: 100 * verified / members, one decimal
-- protected: those BPJS has active and paid up within the grace, whatever the village reports (terverifikasi or belum_dilaporkan)
-- protected_pct: 100 * protected / members, one decimal: coverage as BPJS sees it
-- not_found: reported enrolled, unknown to BPJS (tidak_ditemukan)
-- inactive: reported enrolled, no longer active at BPJS (non_aktif)
-- in_arrears: reported enrolled, behind with contributions beyond the grace (menunggak)
-- not_reported: active at BPJS, reported not enrolled (belum_dilaporkan)
-- is_provisional: as in coverage_base: true while fewer of the kecamatan's villages reported than the threshold; null where district_code is
with people as (
    select
        period,
        district_code,
        village_code,
        group_code,
        person_id,
        enrolled,
        status
    from main.verification
),

counted as (
    select
        -- grouping() sets a bit for each key a row is not grouped by (district 4, village 2, group 1)
        case grouping(district_code, village_code, group_code)
            when 7 then 'regency'
            when 6 then 'group'
            when 3 then 'district'
            when 2 then 'district_group'
            when 0 then 'village_group'
        end as cut,
        period,
        district_code,
        village_code,
        group_code,
        count(distinct person_id) as members,
        count(distinct person_id) filter (where enrolled) as enrolled,
        count(distinct person_id) filter (where status = 'terverifikasi') as verified,
        count(distinct person_id) filter (where status in ('terverifikasi', 'belum_dilaporkan')) as protected,
        count(distinct person_id) filter (where status = 'tidak_ditemukan') as not_found,
        count(distinct person_id) filter (where status = 'non_aktif') as inactive,
        count(distinct person_id) filter (where status = 'menunggak') as in_arrears,
        count(distinct person_id) filter (where status = 'belum_dilaporkan') as not_reported
    from people
    group by grouping sets (
        (period),
        (period, group_code),
        (period, district_code),
        (period, district_code, group_code),
        (period, district_code, village_code, group_code)
    )
),

final as (
    select
        counted.cut,
        counted.period,
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
        coverage.is_provisional
    from counted
    left join internal.coverage_base as coverage
        on coverage.cut = counted.cut
        and coverage.period = counted.period
        and coverage.district_code is not distinct from counted.district_code
        and coverage.village_code is not distinct from counted.village_code
        and coverage.group_code is not distinct from counted.group_code
    left join main.districts on districts.district_code = counted.district_code
    left join main.villages on villages.village_code = counted.village_code
    left join main.groups on groups.group_code = counted.group_code
)

select * from final
