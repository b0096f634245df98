-- verified_coverage_regency: one row per period a BPJS participants export covers.
-- The regency in one line: reported and verified coverage over all groups, each person
-- counted once, and how many disagree in each way.
-- Grain: period
-- Example: select period, members, coverage_pct, verified_pct from verified_coverage_regency order by period
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
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
    select * from internal.verification_base where cut = 'regency'
),

final as (
    select period, members, enrolled, verified, coverage_pct, verified_pct, protected, protected_pct, not_found, inactive, in_arrears, not_reported
    from source
)

select * from final
