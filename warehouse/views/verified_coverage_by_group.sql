-- verified_coverage_by_group: one row per period and group, for the periods a BPJS participants export covers.
-- How many of the people the villages report enrolled does BPJS confirm? Reported and
-- verified coverage side by side, and how many disagree in each way. Do not add rows across
-- groups: a person in two groups counts in each (the distinct total over groups is verified_coverage_regency).
-- Grain: period, group_code
-- Example: select group_label, members, enrolled, verified, coverage_pct, verified_pct from verified_coverage_by_group where period = '2024-04' order by group_label
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
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
    select * from internal.verification_base where cut = 'group'
),

final as (
    select period, group_code, group_label, members, enrolled, verified, coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported
    from source
)

select * from final
