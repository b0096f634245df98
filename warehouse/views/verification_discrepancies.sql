-- verification_discrepancies: one row per period, village, group and person whose reported status disagrees with BPJS, whose details differ, or whom BPJS knows but does not protect.
-- Who must a village secretary or an auditor follow up, and how? Every person not
-- confirmed as reported (tidak_ditemukan, non_aktif, menunggak, belum_dilaporkan), every
-- person reported not enrolled whom BPJS knows as lapsed, dead or in arrears
-- (tidak_terdaftar with a bpjs_status), and every confirmed one whose name, birth date, NIK
-- or KPJ differs. `tindakan` follows BPJS's status as well as the match: MENINGGAL, report
-- the death (JKM claim for the heirs) and remove from the roster; NON AKTIF or BERAKHIR,
-- re-activate; in arrears, pay arrears_idr; unknown to BPJS, register; active but reported
-- Belum, write Sudah and the KPJ; then what each warning asks. The villages' workbooks add
-- the KPJ, from the state database.
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
-- enrolled: the village reports the person enrolled
-- status: tidak_ditemukan, non_aktif, menunggak, belum_dilaporkan, tidak_terdaftar (known to BPJS), or terverifikasi with warnings
-- bpjs_status: the participant's status in the export; null when not found
-- paid_through: the last month covered by a contribution, 'YYYY-MM'
-- months_unpaid: months from paid_through to the period
-- arrears_idr: what bringing the person's contributions current costs (arrears_people), rupiah; null when nothing is owed
-- warnings: details that differ between roster and export, comma-separated
-- bpjs_nik_masked: BPJS's NIK, masked, when it differs from the roster's
-- tindakan: what to do, in Bahasa Indonesia
with listed as (
    select v.*, coalesce(string_split(v.warnings, ', '), []) as warning_list, a.arrears_idr
    from verification as v
    left join arrears_people as a using (period, village_code, group_code, person_id)
    where not (v.status = 'terverifikasi' and v.warnings is null) and not (v.status = 'tidak_terdaftar' and v.bpjs_status is null)
),

acted as (
    select
        *,
        case
            when bpjs_status = 'MENINGGAL' then
                'Meninggal dunia menurut BPJS: laporkan kematiannya ke kantor BPJS Ketenagakerjaan agar ahli '
                || 'waris dapat mengajukan klaim JKM, lalu hapus dari daftar desa.'
            when bpjs_status in ('NON AKTIF', 'BERAKHIR') then
                'Kepesertaan di BPJS berstatus ' || bpjs_status || ': aktifkan kembali di kantor BPJS '
                || 'Ketenagakerjaan dengan nomor KPJ yang lama (bukan pendaftaran baru)'
                || case when enrolled then ', dan sampai aktif tulis statusnya Belum.' else '.' end
            when status in ('menunggak', 'tidak_terdaftar') then
                'Iuran menunggak'
                || case when months_unpaid > 0 then ' ' || months_unpaid || ' bulan (terakhir dibayar ' || paid_through || ')' else '' end
                || ': bayar tunggakan'
                || case when arrears_idr > 0 then ' sebesar Rp ' || replace(format('{:,}', arrears_idr), ',', '.') else '' end
                || ' agar kembali terlindungi'
                || case when enrolled then '.' else ', lalu tulis statusnya Sudah.' end
            when status = 'tidak_ditemukan' then
                'Dilaporkan sudah terdaftar tetapi NIK dan KPJ-nya tidak ada di data BPJS: periksa kartu peserta; '
                || 'jika belum terdaftar, daftarkan ke BPJS Ketenagakerjaan dan sampai terdaftar tulis statusnya Belum.'
            when status = 'belum_dilaporkan' then
                'Sudah aktif di BPJS tetapi dilaporkan Belum: tulis statusnya Sudah dan isi nomor KPJ-nya.'
        end as for_status,
        -- each warning's own action, in the order of warnings
        array_to_string([case warning
            when 'nik_berbeda' then
                'NIK di BPJS (' || bpjs_nik_masked || ') berbeda dengan di daftar desa: cocokkan dengan KTP, '
                || 'lalu perbaiki daftar desa atau minta BPJS memperbaiki datanya.'
            when 'nik_kosong_di_bpjs' then 'NIK kosong di data BPJS: minta kantor BPJS mencatat NIK sesuai KTP.'
            when 'kpj_berbeda' then 'Nomor KPJ di daftar desa berbeda dengan di BPJS: perbaiki nomor KPJ di daftar desa.'
            when 'nama_berbeda' then
                'Nama di BPJS berbeda: cocokkan dengan KTP, lalu perbaiki daftar desa atau minta BPJS memperbaikinya.'
            when 'tanggal_lahir_berbeda' then
                'Tanggal lahir di BPJS berbeda: cocokkan dengan KTP, lalu perbaiki daftar desa atau minta BPJS '
                || 'memperbaikinya.'
        end for warning in warning_list], ' ') as for_warnings
    from listed
),

final as (
    select
        a.period,
        a.district_code,
        villages.district_name,
        a.village_code,
        villages.village_name,
        a.group_code,
        groups.group_label,
        a.person_id,
        a.nik_masked,
        a.enrolled,
        a.status,
        a.bpjs_status,
        a.paid_through,
        a.months_unpaid,
        a.arrears_idr,
        a.warnings,
        a.bpjs_nik_masked,
        concat_ws(' ', a.for_status, nullif(a.for_warnings, '')) as tindakan
    from acted as a
    join villages using (village_code)
    join groups using (group_code)
)

select * from final
