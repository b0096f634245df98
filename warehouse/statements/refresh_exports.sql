-- Decide which BPJS export files count, per kind and period. The files of one kind and month
-- are parts of one export: every part counts (publish_verification.sql unions them, a person
-- in two parts taken from the later). A later file replaces an earlier one only when it is
-- evidently the same export again:
--   - the same path sent again;
--   - its name says it is a revision of it: the names are equal once the words REVISI, REV,
--     PENGGANTI, PERBAIKAN, KOREKSI, RALAT or UPDATE (and a number after them) are taken off,
--     and the later name has one;
--   - it holds at least 95% of the earlier file's people (participants: KPJ; contributions: member,
--     month, date and amount; claims: claim number).
-- A version held by a closed period never counts and replaces nothing. Runs before
-- refresh_current.sql, which leaves the exports' slots (village_code 'BPJS') to this script, and
-- after export_subjects.sql has listed each kind's subjects.
create or replace temporary macro export_name(path) as trim(regexp_replace(
    lower(regexp_replace(regexp_extract(path, '[^/]*$'), '\.[^.]*$', '')), '[^a-z0-9]+', ' ', 'g'
));

create or replace temporary macro export_stem(path) as trim(regexp_replace(regexp_replace(
    export_name(path), '\b(revisi|rev|pengganti|perbaikan|koreksi|ralat|update)\b( ?\d+)?', ' ', 'g'
), '\s+', ' ', 'g'));

create or replace temporary table export_decisions as
with versions as (
    select e.*, h.sha256 is not null as held, count(s.subject) as subjects
    from export_versions as e
    left join held_versions as h on h.sha256 = e.sha256 and h.group_code = e.kind
    left join export_subjects as s on s.sha256 = e.sha256 and s.source_file = e.source_file
    group by all
),

shared as (
    select a.sha256, a.source_file, b.sha256 as later_sha256, b.source_file as later_file, count(*) as shared
    from export_subjects as a
    join export_subjects as b on b.subject = a.subject and (b.sha256, b.source_file) <> (a.sha256, a.source_file)
    group by all
),

replaced as (
    select
        a.sha256,
        a.source_file,
        arg_max(b.source_file, b.arrival) as superseded_by
    from versions as a
    join versions as b on b.period = a.period and b.kind = a.kind and b.arrival > a.arrival and not b.held
    left join shared as s
        on s.sha256 = a.sha256 and s.source_file = a.source_file
        and s.later_sha256 = b.sha256 and s.later_file = b.source_file
    where b.source_file = a.source_file
       or (export_stem(b.source_file) = export_stem(a.source_file)
           and export_name(b.source_file) <> export_stem(b.source_file))
       or (a.subjects > 0 and coalesce(s.shared, 0) >= 0.95 * a.subjects)
    group by all
)

select v.sha256, v.kind, r.superseded_by, not v.held and r.sha256 is null as is_current
from versions as v
left join replaced as r using (sha256, source_file);

update file_groups as g
set is_current = d.is_current, superseded_by = d.superseded_by
from export_decisions as d
where g.sha256 = d.sha256 and g.group_code = d.kind;

drop table export_decisions;
drop table export_subjects;
