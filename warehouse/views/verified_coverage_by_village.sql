-- verified_coverage_by_village: one row per period, village and group, for the periods a BPJS participants export covers.
-- Which villages report people enrolled whom BPJS does not confirm? Reported and verified
-- coverage side by side per group; verification_discrepancies lists the people.
-- Grain: period, village_code, group_code
-- Example: select village_name, group_label, enrolled, verified, not_found, inactive, in_arrears from verified_coverage_by_village where period = '2024-04' and district_name = 'Cilongok'
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
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
with source as (
    select * from internal.verification_base where cut = 'village_group'
),

final as (
    select period, district_code, district_name, village_code, village_name, group_code, group_label, members, enrolled, verified, coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported
    from source
)

select * from final
