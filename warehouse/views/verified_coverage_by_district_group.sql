-- verified_coverage_by_district_group: one row per period, kecamatan and group, for the periods a BPJS participants export covers.
-- Which kecamatan report enrolment that BPJS does not confirm? Reported and verified
-- coverage side by side per group.
-- Grain: period, district_code, group_code
-- Example: select district_name, group_label, coverage_pct, verified_pct from verified_coverage_by_district_group where period = '2024-04' order by coverage_pct - verified_pct desc limit 10
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- members: distinct people on the rosters
-- enrolled: those the village reports enrolled
-- verified: those BPJS confirms active and paid up (terverifikasi)
-- coverage_pct: 100 * enrolled / members, one decimal
-- verified_pct: 100 * verified / members, one decimal
-- protected: those BPJS has active and paid up within the grace, whatever the village reports (terverifikasi or belum_dilaporkan)
-- protected_pct: 100 * protected / members, one decimal: coverage as BPJS sees it
-- not_found: reported enrolled, unknown to BPJS (tidak_ditemukan)
-- inactive: reported enrolled, no longer active at BPJS (non_aktif)
-- in_arrears: reported enrolled, behind with contributions beyond the grace (menunggak)
-- not_reported: active at BPJS, reported not enrolled (belum_dilaporkan)
-- rank_in_group: the district's place among the districts with this group, lowest verified coverage first (ties share a place)
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with source as (
    select * from internal.verification_base where cut = 'district_group'
),

final as (
    select
        period, district_code, district_name, group_code, group_label, members, enrolled, verified,
        coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported,
        rank() over (partition by period, group_code order by verified_pct) as rank_in_group,
        is_provisional
    from source
)

select * from final
