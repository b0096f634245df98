-- What one subject of a kind of BPJS export is, per file version: {table}'s {subject} (a person,
-- a payment, a claim; schemas/exports.py EXPORTS). refresh_exports.sql compares files by it.
create temporary table if not exists export_subjects (sha256 varchar, source_file varchar, subject varchar);

insert into export_subjects
select distinct sha256, source_file, ({subject})::varchar from {table};
