-- verified_kpj (state database only): the KPJ BPJS holds for each person a participants export
-- matched (publish_verification.sql's judged_people, of this session), for the villages' selisih
-- workbooks (flows/outputs/discrepancies.py), which tell the village the KPJ to write. Run by
-- publish after the warehouse's transaction (one transaction writes one database): no KPJ
-- reaches the analyst warehouse.
create or replace table verified_kpj as
select period, village_code, group_code, nik, bpjs_kpj
from judged_people
where matched_on is not null;
