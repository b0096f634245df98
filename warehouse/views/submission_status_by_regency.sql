-- submission_status_by_regency: one row per period and regency (kabupaten or kota).
-- How complete is each regency's reporting? Villages expected, submitted and rejected across
-- its kecamatan, and the completeness (reporting rate) that decides whether its figures are provisional.
-- Grain: period, regency_code
-- Example: select regency_name, villages_expected, villages_submitted, completeness_pct from submission_status_by_regency where period = '2024-04' order by completeness_pct
-- Columns:
-- period: month, 'YYYY-MM'
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- regency_name: regency or city name ('Kabupaten Banyumas')
-- districts: kecamatan in the regency (official list)
-- villages_expected: villages in the regency (official list)
-- villages_submitted: villages that sent a file taken for the period (status 'terkirim')
-- villages_rejected: villages whose every file for the period was rejected, whole or every row (status 'ditolak')
-- completeness_pct: 100 * villages_submitted / villages_expected, one decimal
-- is_provisional: completeness_pct below the threshold in settings (provisional_below_pct, default 80)
with final as (
    select * exclude (cut, district_code, district_name, villages_missing) from internal.submission_base where cut = 'regency'
)

select * from final
