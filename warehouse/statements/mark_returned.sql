-- Content sent again: a roster version that no longer counts (for one of its groups at least) whose bytes arrive
-- again: at a path that held another version since those bytes were last there and since the version last
-- counted (its own path, or one where a copy of it was recorded: a file put back as it was, after it was
-- renamed and overwritten too), or under a path never seen with them (a new copy: the same bytes under a new
-- name, recorded as ignored). It is the newest sent for its slots, so it counts again from this run on:
-- refresh_current.sql ranks a version by the later of the run that read it and the run that saw it sent again
-- ($run_id, set here with the path it came as: version_arrivals). A path held another version since when that
-- version was read there, or put back there, later (arrived_here_at); a copy that sits unchanged beside a
-- corrected file never counts again.
-- Reads the registered frame `sent` (source_file, sha256, copy): the landing zone's readable files as
-- this run found them, with the copies it found new. A version held by a closed period (held_versions) is
-- not marked: the close stands until `cakupan reopen`, after which the next run finds it sent again.
update ingested_files as f
set returned_by = $run_id, returned_as = again.sent_as
from (
    select
        v.sha256,
        v.source_file,  -- put back at its own path rather than elsewhere, when both came in this run
        coalesce(max(s.source_file) filter (where s.source_file = v.source_file), min(s.source_file)) as sent_as
    from ingested_files as v
    join version_arrivals as a on a.sha256 = v.sha256 and a.source_file = v.source_file
    join sent as s on s.sha256 = v.sha256
    left join version_arrivals as here on here.sha256 = s.sha256 and here.source_file = s.source_file
    where v.kind = 'roster'  -- a BPJS export's versions: refresh_exports.sql
      and exists (  -- a group of it no longer counts (a version still counted for other sheets too)
          select 1 from file_groups as g where g.sha256 = v.sha256 and g.source_file = v.source_file and not g.is_current
      )
      and not exists (select 1 from held_versions as h where h.sha256 = v.sha256 and h.source_file = v.source_file)
      and (
          s.copy
          or exists (
              select 1
              from version_arrivals as o
              where o.source_file = s.source_file and o.sha256 <> s.sha256
                and o.arrived_here_at > greatest(here.arrived_at, a.arrived_at)
          )
      )
    group by v.sha256, v.source_file
) as again
where f.sha256 = again.sha256 and f.source_file = again.source_file
returning f.source_file;
