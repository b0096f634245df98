-- Build the analyst warehouse's reference tables in the attached database `analyst`: the
-- region's regencies, districts and villages, the targets, the contribution rates and the
-- settings it was published with. Reads the registered frames ref_regencies, ref_districts,
-- ref_villages, ref_targets, ref_rates, ref_groups and ref_group_targets; $provisional_below_pct is the completeness threshold, $outlier_* the outlier thresholds.
-- The same for a regency's warehouse (publish_tables.sql follows) and the province's
-- (publish_staged_tables.sql follows).

-- regencies: one row per regency (kabupaten) or city (kota) of the region (reference: Kemendagri codes, raw/reference/).
-- Grain: regency_code
-- Example: select regency_code, regency_name from regencies
-- Columns:
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- regency_name: regency or city name ('Kabupaten Banyumas', 'Kota Semarang')
create table analyst.regencies as
select regency_code, regency_name
from ref_regencies;

-- districts: one row per kecamatan of the region (reference: Kemendagri codes, raw/reference/).
-- Grain: district_code
-- Example: select district_code, district_name from districts
-- Columns:
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- regency_code: Kemendagri regency code, dotted ('33.02')
-- district_name: kecamatan name
create table analyst.districts as
select district_code, regency_code, district_name
from ref_districts;

-- villages: one row per desa or kelurahan of the region, with its kecamatan (reference).
-- Grain: village_code
-- Example: select village_name, village_type, district_name from villages where district_name = 'Cilongok'
-- Columns:
-- village_code: Kemendagri village code, dotted ('33.02.17.2001')
-- village_name: desa or kelurahan name
-- village_type: 'desa' (has a BPD) or 'kelurahan' (urban ward, no BPD)
-- district_code: Kemendagri district code, dotted ('33.02.17')
-- district_name: kecamatan name
create table analyst.villages as
select v.village_code, v.village_name, v.village_type, v.district_code, d.district_name
from ref_villages as v
join ref_districts as d using (district_code);

-- targets: one row per coverage target (reference, raw/reference/targets.csv).
-- Grain: year, scope
-- Example: select * from targets
-- Columns:
-- year: the year the target is for
-- scope: what it covers
-- target_pct: the target, in percent
-- base_population: the number of workers the percentage is of
-- source: where the target comes from
create table analyst.targets as
select year, scope, target_pct::double as target_pct, base_population, source
from ref_targets;

-- contribution_rates: one row per programme and period of validity (reference, raw/reference/contribution_rates.csv).
-- Grain: program, valid_from
-- Example: select program, rate_pct, fixed_idr, valid_from from contribution_rates
-- Columns:
-- program: JKK (work accident) or JKM (death), the BPU programmes
-- rate_pct: percent of the declared income, else null
-- fixed_idr: fixed monthly rupiah, else null
-- declared_income_idr: the declared monthly income the rate applies to
-- valid_from: first day the rate applies
-- valid_to: last day it applies; null while in force
-- source: the regulation
create table analyst.contribution_rates as
select program, rate_pct, fixed_idr, declared_income_idr, valid_from, valid_to, source
from ref_rates;

-- settings: one row per setting the warehouse was published with.
-- Grain: name
-- Example: select * from settings
-- Columns:
-- name: the setting
-- value: its value
create table analyst.settings as
select 'provisional_below_pct' as name, $provisional_below_pct::double as value;

-- the outlier thresholds the view `outliers` reads, beside the other settings
insert into analyst.settings
values ('outlier_min_share', $outlier_min_share::double),
    ('outlier_min_change', $outlier_min_change::double),
    ('outlier_replaced_share', $outlier_replaced_share::double),
    ('outlier_min_drop', $outlier_min_drop::double);


-- groups: one row per roster group, with its labels (reference, raw/reference/groups.csv).
-- Grain: group_code
-- Example: select group_code, group_label from groups order by sort_order
-- Columns:
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- group_label: the group's name in Bahasa Indonesia, as the report shows it
-- group_label_en: the group's name in English
-- sort_order: the order groups are listed in
-- desa_only: true when only desa have the group (BPD), not kelurahan
create table analyst.groups as
select group_code, group_label, group_label_en, sort_order, desa_only
from ref_groups;

-- group_targets: one row per group and validity period of its coverage target (reference, raw/reference/group_targets.csv).
-- Grain: group_code, valid_from
-- Example: select group_code, target_pct, due_period from group_targets
-- Columns:
-- group_code: BPD, RT_RW, LKD, LINMAS or RENTAN
-- target_pct: share of the group's people to be enrolled, in percent
-- due_period: the month it is due by, 'YYYY-MM'
-- valid_from: first day the target applies
-- valid_to: last day it applies; null while in force
-- source: where the target comes from
-- set_by: 'regency' (the regency set it) or 'example' (shipped with cakupan until the regency sets its own: not policy)
create table analyst.group_targets as
select group_code, target_pct, due_period, valid_from, valid_to, source, set_by
from ref_group_targets;
