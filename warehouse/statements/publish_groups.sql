-- The analyst warehouse's roster groups and per-group targets, from the registered frames
-- ref_groups and ref_group_targets (raw/reference/groups.csv and group_targets.csv).
-- Run after publish_tables.sql, in the same transaction.

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
create table analyst.group_targets as
select group_code, target_pct, due_period, valid_from, valid_to, source
from ref_group_targets;
