-- The analyst warehouse's roster groups and per-group targets, from the registered frames
-- ref_groups and ref_group_targets (raw/reference/groups.csv and group_targets.csv).
-- Run after publish_tables.sql, in the same transaction.

create table analyst.groups as
select group_code, group_label, group_label_en, sort_order, desa_only
from ref_groups;

create table analyst.group_targets as
select group_code, target_pct, due_period, valid_from, valid_to, source
from ref_group_targets;
