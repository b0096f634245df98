-- Verified coverage: the villages' rosters against the BPJS branch's own exports, person by
-- person, in the state database (raw NIKs meet here and nowhere else). Runs after
-- publish_tables.sql, in the same transaction, with its person_id and masked macros and the
-- registered frame ref_grace (raw/reference/grace_periods.csv). Writes analyst.verification,
-- analyst.bpjs_contributions and analyst.bpjs_claims; no NIK, name or birth date leaves.

-- titles and degrees that name_key (create_macros.sql) takes off names before comparing them
set variable name_titles_before = $name_titles_before;

set variable name_titles_after = $name_titles_after;

-- the parts of each export that count (refresh_exports.sql): a person in two parts of one
-- participants export is taken from the later part
create or replace temporary view current_peserta as
select p.*
from bpjs_participants as p
join export_versions as e using (sha256, source_file)
where e.is_current
qualify dense_rank() over (partition by p.period, p.kpj order by e.arrival desc) = 1;

-- payments and claims are facts: one per natural key (a payment: member, month covered, date and
-- amount, so JKK and JKM paid apart stay two), from the newest export that has it
create or replace temporary view current_iuran as
select i.*
from bpjs_contributions as i
join export_versions as e using (sha256, source_file)
where e.is_current
qualify row_number() over (
    partition by coalesce(i.kpj, i.nik), i.month_covered, i.paid_date, i.amount_idr order by i.period desc, i.source_row
) = 1;

create or replace temporary view current_klaim as
select k.*
from bpjs_claims as k
join export_versions as e using (sha256, source_file)
where e.is_current
qualify row_number() over (partition by k.claim_no order by k.period desc, e.arrival desc, k.source_row) = 1;

-- one row per person on a current roster, period, village and group
create or replace temporary view reported_people as
select
    r.period, r.village_code, r.group_code, r.nik,
    bool_or(r.enrolled) as enrolled,
    max(r.kpj) as kpj,
    max(r.name) as name,
    max(r.birth_date) as birth_date
from current_roster_rows as r
group by all;

-- one row per participant of each participants export: the worst status of their JKK and
-- JKM rows (the programmes that protect a BPU member; any row when they have neither)
create or replace temporary view participants as
with ranked as (
    select
        *,
        case status
            when 'MENINGGAL' then 5 when 'BERAKHIR' then 4 when 'NON AKTIF' then 3 when 'MENUNGGAK' then 2 else 1
        end as badness,
        coalesce(program, 'JKK') in ('JKK', 'JKM') as protecting
    from current_peserta
)

select
    period as export_period,
    kpj,
    max(nik) as nik,
    max(name) as name,
    max(birth_date) as birth_date,
    case when bool_or(segment = 'PU') then 'PU' else 'BPU' end as segment,
    arg_max(status, badness) filter (where protecting or not has_protecting) as status,
    max(last_paid_month) as last_paid_month
from (select *, bool_or(protecting) over (partition by period, kpj) as has_protecting from ranked)
group by period, kpj;

create or replace temporary macro month_number(period) as
    cast(left(period, 4) as integer) * 12 + cast(right(period, 2) as integer);

-- the matching, person by person, kept for this session: analyst.verification publishes it
-- without NIK, KPJ, name or birth date; keep_verified_kpj.sql keeps the KPJs in the state database
create or replace temporary table judged_people as
with export_for as (
    select p.period, max(e.export_period) as export_period
    from (select distinct period from reported_people) as p
    join (select distinct export_period from participants) as e on e.export_period <= p.period
    group by p.period
),

matched as (
    select
        r.*,
        f.export_period,
        coalesce(by_nik.kpj, by_kpj.kpj) as bpjs_kpj,
        coalesce(by_nik.nik, by_kpj.nik) as bpjs_nik,
        coalesce(by_nik.name, by_kpj.name) as bpjs_name,
        coalesce(by_nik.birth_date, by_kpj.birth_date) as bpjs_birth_date,
        coalesce(by_nik.segment, by_kpj.segment) as segment,
        coalesce(by_nik.status, by_kpj.status) as bpjs_status,
        coalesce(by_nik.last_paid_month, by_kpj.last_paid_month) as last_paid_month,
        case when by_nik.kpj is not null then 'nik' when by_kpj.kpj is not null then 'kpj' end as matched_on
    from reported_people as r
    join export_for as f using (period)
    left join participants as by_nik on by_nik.export_period = f.export_period and by_nik.nik = r.nik
    left join participants as by_kpj
        on by_nik.kpj is null and by_kpj.export_period = f.export_period and by_kpj.kpj = r.kpj
    -- one NIK under two KPJs (an ended membership and a new one): the participant who protects best
    qualify row_number() over (
        partition by r.period, r.village_code, r.group_code, r.nik
        order by case coalesce(by_nik.status, by_kpj.status) when 'AKTIF' then 0 when 'MENUNGGAK' then 1 else 2 end,
            coalesce(by_nik.last_paid_month, by_kpj.last_paid_month) desc nulls last
    ) = 1
),

-- the last month each matched person's contributions cover, up to the period: by KPJ or by NIK
-- (two equality joins; one join on "KPJ or NIK" would compare every pair)
paid as (
    select period, village_code, group_code, nik, max(month_covered) as paid_month
    from (
        select m.period, m.village_code, m.group_code, m.nik, i.month_covered
        from matched as m
        join current_iuran as i on i.kpj = m.bpjs_kpj
        union all
        select m.period, m.village_code, m.group_code, m.nik, i.month_covered
        from matched as m
        join current_iuran as i on i.nik = m.nik
        where m.matched_on is not null
    )
    where month_covered <= period
    group by all
),

measured as (
    select
        m.*,
        greatest(m.last_paid_month, paid.paid_month) as paid_through,
        case when m.matched_on is not null then
            greatest(month_number(m.period) - month_number(greatest(m.last_paid_month, paid.paid_month)), 0)
        end as months_unpaid,
        coalesce(grace.grace_months, 3) as grace_months
    from matched as m
    left join paid using (period, village_code, group_code, nik)
    left join ref_grace as grace
        on grace.segment = coalesce(m.segment, 'BPU')
        and strptime(m.period || '-01', '%Y-%m-%d')::date >= grace.valid_from
        and (grace.valid_to is null or strptime(m.period || '-01', '%Y-%m-%d')::date <= grace.valid_to)
),

judged as (
    select
        *,
        case
            when matched_on is null then case when enrolled then 'tidak_ditemukan' else 'tidak_terdaftar' end
            when bpjs_status in ('NON AKTIF', 'BERAKHIR', 'MENINGGAL')
                then case when enrolled then 'non_aktif' else 'tidak_terdaftar' end
            when bpjs_status = 'MENUNGGAK' or coalesce(months_unpaid, 0) > grace_months
                then case when enrolled then 'menunggak' else 'tidak_terdaftar' end
            when enrolled then 'terverifikasi'
            else 'belum_dilaporkan'
        end as status,
        concat_ws(
            ', ',
            case when matched_on = 'kpj' and bpjs_nik is not null and bpjs_nik <> nik then 'nik_berbeda' end,
            case when matched_on = 'kpj' and bpjs_nik is null then 'nik_kosong_di_bpjs' end,
            case when matched_on = 'nik' and kpj is not null and kpj <> bpjs_kpj then 'kpj_berbeda' end,
            case
                when matched_on is not null and name is not null and bpjs_name is not null
                    and name_key(name) <> name_key(bpjs_name)
                    then 'nama_berbeda'
            end,
            case
                when matched_on is not null and birth_date is not null and bpjs_birth_date is not null
                    and birth_date <> bpjs_birth_date then 'tanggal_lahir_berbeda'
            end
        ) as warnings
    from measured
)

select * from judged;

-- verification: one row per period, village, group and person on a current roster, for the periods a participants export covers.
-- Is each person the village reports really protected? The roster side beside BPJS's side,
-- matched on NIK, else on KPJ (`matched_on`), with the newest participants export of the
-- period or before it. `status`: terverifikasi (reported enrolled, BPJS active and paid up
-- within the segment's grace), tidak_ditemukan (reported enrolled, unknown to BPJS), non_aktif
-- (known but NON AKTIF, BERAKHIR or MENINGGAL), menunggak (known, in arrears beyond the
-- grace), belum_dilaporkan (BPJS active and paid up, the village reports not enrolled),
-- tidak_terdaftar (neither). Disagreements in name, birth date, NIK or KPJ are warnings.
-- What to do about each person is verification_discrepancies.tindakan.
-- Grain: period, village_code, group_code, person_id
-- Example: select status, count(*) as people from verification where period = '2024-04' group by status order by people desc
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- person_id: keyed hash of the NIK, as in roster
-- nik_masked: the NIK's first 6 and last 4 digits, to find the person on the roster
-- enrolled: the village reports the person enrolled ('Sudah')
-- status: terverifikasi, tidak_ditemukan, non_aktif, menunggak, belum_dilaporkan or tidak_terdaftar
-- matched_on: 'nik' or 'kpj' (the NIK did not match; see warnings), null when not found
-- bpjs_status: the participant's status in the export (AKTIF, NON AKTIF, MENUNGGAK, BERAKHIR, MENINGGAL)
-- segment: BPU (non-wage earner) or PU (wage earner), as BPJS records it
-- paid_through: the last month covered by a contribution, from the export and the contributions paid, 'YYYY-MM'
-- months_unpaid: months from paid_through to the period (0 when paid up, or when BPJS records no month paid: an AKTIF status alone counts); null when BPJS does not know the person
-- grace_months: months of arrears the segment's rule allows (grace_periods.csv) at the period
-- warnings: disagreements between roster and export, comma-separated (nik_berbeda, nik_kosong_di_bpjs, kpj_berbeda, nama_berbeda, tanggal_lahir_berbeda)
-- export_period: the participants export used, 'YYYY-MM'
-- bpjs_nik_masked: BPJS's NIK for the person, masked like nik_masked, when it differs from the roster's (nik_berbeda)
create table analyst.verification as
select
    j.period,
    v.district_code,
    j.village_code,
    j.group_code,
    person_id(j.nik) as person_id,
    masked(j.nik) as nik_masked,
    j.enrolled,
    j.status,
    j.matched_on,
    j.bpjs_status,
    j.segment,
    j.paid_through,
    j.months_unpaid,
    j.grace_months,
    nullif(j.warnings, '') as warnings,
    j.export_period,
    case when j.bpjs_nik <> j.nik then masked(j.bpjs_nik) end as bpjs_nik_masked
from judged_people as j
join analyst.villages as v using (village_code);

-- the group a person is counted in for payments and claims: their group on a current roster
-- (the first of BPD, RT_RW, LKD, LINMAS, RENTAN when they have several), by NIK and by KPJ.
-- Only for the people a payment or claim may name: every NIK on a current roster whose NIK or KPJ
-- a current payment or claim holds, over all of their current roster rows (their KPJ is the
-- greatest one they have, as in reported_people). A table counted once for both statements below:
-- as views over every roster person, they were counted four times, even in a regency with no
-- export (issue 29).
create or replace temporary table person_groups as
with named as (
    select nik, kpj from current_iuran
    union
    select nik, kpj from current_klaim
)

select nik, max(kpj) as kpj,
       arg_min(group_code, list_position(['BPD', 'RT_RW', 'LKD', 'LINMAS', 'RENTAN'], group_code)) as group_code
from current_roster_rows
where nik in (select nik from named)
    or nik in (select r.nik from current_roster_rows as r semi join named as n on n.kpj = r.kpj)
group by nik;

-- by KPJ, only a KPJ one roster NIK holds (a KPJ typed for two people names neither): every roster
-- NIK with a named KPJ is in person_groups, so the count is the whole roster's
create or replace temporary table kpj_groups as
select kpj, any_value(nik) as nik, any_value(group_code) as group_code
from person_groups
where kpj is not null
group by kpj
having count(*) = 1;

-- bpjs_contributions: one row per contribution paid (per member, month covered and payment date), from the current contributions exports.
-- What was paid, for whom and when? Payments the branch recorded, deduplicated across
-- exports, with the member's roster group (null when no roster lists them).
-- Grain: payment_id
-- Example: select year(paid_date) as year, group_code, sum(amount_idr) as paid_idr from bpjs_contributions group by all order by all
-- Columns:
-- payment_id: keyed hash of the member, month covered, payment date and amount
-- person_id: keyed hash of the member's NIK (the export's, else the roster's of the same KPJ); null when neither is known
-- group_code: the member's group on the rosters (BPD first, then RT_RW, LKD, LINMAS, RENTAN); null when on no roster
-- month_covered: the month the contribution is for, 'YYYY-MM'
-- paid_date: when it was paid
-- amount_idr: rupiah paid
-- contribution_source: who paid, as the export says (APBDes, APBD, Mandiri, ...)
create table analyst.bpjs_contributions as
select
    person_id(coalesce(i.kpj, i.nik) || '|' || i.month_covered || '|' || i.paid_date || '|' || i.amount_idr) as payment_id,
    person_id(coalesce(i.nik, by_kpj.nik)) as person_id,
    coalesce(by_nik.group_code, by_kpj.group_code) as group_code,
    i.month_covered,
    i.paid_date,
    i.amount_idr,
    masked(i.source) as contribution_source
from current_iuran as i
left join person_groups as by_nik on by_nik.nik = i.nik
left join kpj_groups as by_kpj on by_kpj.kpj = i.kpj and by_nik.nik is null;

-- bpjs_claims: one row per claim paid (NO_KLAIM), from the current claims exports.
-- What did BPJS pay out, for which programme and group?
-- Grain: claim_id
-- Example: select year(paid_date) as year, program, sum(amount_idr) as paid_idr from bpjs_claims group by all order by all
-- Columns:
-- claim_id: keyed hash of the branch's claim number (unique, where the masked number may not be)
-- claim_no: the branch's claim number (NIK-like digits masked)
-- person_id: keyed hash of the member's NIK (the export's, else the roster's of the same KPJ); null when neither is known
-- group_code: the member's group on the rosters (BPD first, then RT_RW, LKD, LINMAS, RENTAN); null when on no roster
-- program: JKK (work accident), JKM (death), JHT (old-age savings), JP or JKP
-- event_date: when the accident or death happened
-- paid_date: when the claim was paid
-- amount_idr: rupiah paid
create table analyst.bpjs_claims as
select
    person_id(k.claim_no) as claim_id,
    masked(k.claim_no) as claim_no,
    person_id(coalesce(k.nik, by_kpj.nik)) as person_id,
    coalesce(by_nik.group_code, by_kpj.group_code) as group_code,
    k.program,
    k.event_date,
    k.paid_date,
    k.amount_idr
from current_klaim as k
left join person_groups as by_nik on by_nik.nik = k.nik
left join kpj_groups as by_kpj on by_kpj.kpj = k.kpj and by_nik.nik is null;

-- verification_sources: one row per verified month and BPJS export file the verification read for it.
-- Which of the branch's files is each month's verification based on? The parts of the
-- participants export it matched against (all the files of that export's month that count),
-- and every contributions file that counts (payments of any export, up to the month, extend
-- paid_through). A file replaced by a later one (refresh_exports.sql) is not listed.
-- Grain: period, source_file, sha256
-- Example: select period, kind, export_period, source_file, rows_counted from verification_sources order by all
-- Columns:
-- period: month the rosters report, 'YYYY-MM'
-- kind: bpjs_participants (participants, matched against) or bpjs_contributions (contributions paid)
-- export_period: the month folder the export file came from, 'YYYY-MM'
-- source_file: path under the landing zone (NIK-like digits masked)
-- sha256: SHA-256 of the file's bytes: the version read
-- rows_counted: the file's accepted rows
create table analyst.verification_sources as
with used as (
    select distinct v.period, e.kind, e.period as export_period, e.source_file, e.sha256
    from (select distinct period, export_period from analyst.verification) as v
    join export_versions as e
        on e.is_current
        and ((e.kind = 'bpjs_participants' and e.period = v.export_period) or e.kind = 'bpjs_contributions')
)

select u.period, u.kind, u.export_period, masked(u.source_file) as source_file, u.sha256, f.rows_loaded as rows_counted
from used as u
join ingested_files as f using (source_file, sha256);
