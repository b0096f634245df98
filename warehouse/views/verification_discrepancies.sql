-- verification_discrepancies: one row per period, village, group and person whose reported status disagrees with BPJS, or whose details differ.
-- Who must a village secretary or an auditor follow up, and how? Every person not
-- confirmed as reported (tidak_ditemukan, non_aktif, menunggak, belum_dilaporkan), and every
-- confirmed one whose name, birth date, NIK or KPJ differs between roster and export.
-- Grain: period, village_code, group_code, person_id
-- Example: select district_name, village_name, group_label, nik_masked, status, tindakan from verification_discrepancies where period = '2024-04' and village_name = 'Batuanten'
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Indonesian
-- person_id: keyed hash of the NIK, as in roster
-- nik_masked: the NIK's first 6 and last 4 digits
-- reported_enrolled: the village reports the person enrolled
-- status: tidak_ditemukan, non_aktif, menunggak, belum_dilaporkan, or terverifikasi with warnings
-- bpjs_status: the participant's status in the export; null when not found
-- paid_through: the last month covered by a contribution, 'YYYY-MM'
-- months_unpaid: months from paid_through to the period
-- warnings: details that differ between roster and export, comma-separated
-- tindakan: what to do, in Bahasa Indonesia
with final as (
    select
        v.period,
        v.district_code,
        villages.district_name,
        v.village_code,
        villages.village_name,
        v.group_code,
        groups.group_label,
        v.person_id,
        v.nik_masked,
        v.reported_enrolled,
        v.status,
        v.bpjs_status,
        v.paid_through,
        v.months_unpaid,
        v.warnings,
        v.tindakan
    from verification as v
    join villages using (village_code)
    join groups using (group_code)
    where v.status not in ('terverifikasi', 'tidak_terdaftar') or v.warnings is not null
)

select * from final
