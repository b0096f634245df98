-- Content sent again: a roster version that no longer counts (for one of its groups at least) whose bytes arrive
-- again, at its own path after that path held another version since (a file put back as it was), or
-- under another path (a copy: the same bytes under a new name, recorded as ignored). It is the newest
-- sent for its slots, so it counts again from this run on: refresh_current.sql ranks a version by the
-- later of the run that read it and the run that saw it sent again ($run_id, set here with the path it
-- came as). A path held another version since when that version was read there, or put back there,
-- after this one last counted; one that came back as a copy under another name left the path as it was.
-- Reads the registered frame `sent` (source_file, sha256, copy): the landing zone's readable files as
-- this run found them, with the copies it found. A version held by a closed period (held_versions) is
-- not marked: the close stands until `cakupan reopen`, after which the next run finds it sent again.
update ingested_files as f
set returned_by = $run_id, returned_as = again.sent_as
from (
    select
        v.sha256,
        v.source_file,  -- put back at its own path rather than a copy, when both came in this run
        coalesce(max(s.source_file) filter (where not s.copy), min(s.source_file)) as sent_as
    from ingested_files as v
    join runs as r on r.run_id = v.run_id
    left join runs as back on back.run_id = v.returned_by
    join sent as s on s.sha256 = v.sha256 and (s.copy or s.source_file = v.source_file)
    where v.kind = 'roster'  -- a BPJS export's versions: refresh_exports.sql
      and exists (  -- a group of it no longer counts (a version still counted for other sheets too)
          select 1 from file_groups as g where g.sha256 = v.sha256 and g.source_file = v.source_file and not g.is_current
      )
      and not exists (select 1 from held_versions as h where h.sha256 = v.sha256 and h.source_file = v.source_file)
      and (
          s.copy
          or exists (
              select 1
              from ingested_files as o
              join runs as read_then on read_then.run_id = o.run_id
              left join runs as put_back on put_back.run_id = o.returned_by and o.returned_as = o.source_file
              where o.source_file = v.source_file and o.sha256 <> v.sha256
                and greatest(read_then.started_at, coalesce(put_back.started_at, read_then.started_at))
                    > greatest(r.started_at, coalesce(back.started_at, r.started_at))
          )
      )
    group by v.sha256, v.source_file
) as again
where f.sha256 = again.sha256 and f.source_file = again.source_file
returning f.source_file;
