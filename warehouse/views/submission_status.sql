-- submission_status: one row per period and district (kecamatan).
-- How complete is each district's reporting? Villages expected, submitted and rejected, and
-- the completeness (reporting rate) that decides whether district figures are provisional.
-- Grain: period, district_code
-- Example: select district_name, completeness_pct, is_provisional from submission_status where period = '2024-04' order by completeness_pct
-- Columns:
-- period: month, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- villages_expected: villages in the district (official list)
-- villages_submitted: villages that sent a file taken for the period (status 'terkirim')
-- villages_rejected: villages whose every file for the period was rejected, whole or every row (status 'ditolak')
-- villages_missing: villages from which nothing arrived for the period (status 'belum_mengirim')
-- completeness_pct: 100 * villages_submitted / villages_expected, one decimal
-- is_provisional: completeness_pct below the threshold in settings (provisional_below_pct, default 80)
with final as (
    select * exclude (cut, regency_code, regency_name, districts) from internal.submission_base where cut = 'district'
)

select * from final
