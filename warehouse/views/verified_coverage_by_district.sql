-- verified_coverage_by_district: one row per period and kecamatan (all groups), for the periods a BPJS participants export covers.
-- Which kecamatan report enrolment that BPJS does not confirm? Reported and verified
-- coverage side by side over all groups, each person counted once.
-- Grain: period, district_code
-- Example: select district_name, coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears from verified_coverage_by_district where period = '2024-04' order by coverage_pct - verified_pct desc limit 10
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
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
-- is_provisional: true when fewer villages of the district reported than the threshold (see submission_status)
with source as (
    select * from internal.verification_base where cut = 'district'
),

final as (
    select period, district_code, district_name, members, enrolled, verified, coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported,
        is_provisional
    from source
)

select * from final
