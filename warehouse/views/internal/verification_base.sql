-- verification_base: one row per cut, period and the cut's keys, for the periods a BPJS participants export covers.
-- Verified coverage, counted in people_counts (source 'verification'), beside the reported figure: distinct people,
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
with final as (
    select * exclude (source, regency_code, regency_name)
    from internal.people_counts
    where source = 'verification' and cut in ('regency', 'group', 'district', 'district_group', 'village_group')
)

select * from final
