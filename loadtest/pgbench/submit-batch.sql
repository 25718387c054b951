-- pgbench baseline: the gateway's own batch writer, dossier_submit_batch(),
-- with :rows dossiers a call (one call a transaction, as the gateway's
-- group commit does), the items built as the module builds them
-- (module/core/dg_store.c: hash, client, request id, times, the dossier).
-- loadtest/run passes -D rows=1|32 -D body="$(cat loadtest/pgbench/body.json)";
-- codes start with PGB- and are deleted after the run.
SELECT count(*)
  FROM dossier_submit_batch((
        SELECT jsonb_agg(jsonb_build_object(
                   'h', md5(k) || md5(k || '+'), 'c', 'pgbench', 'r', md5(k),
                   'tn', extract(epoch FROM now())::bigint,
                   'ht', extract(epoch FROM now() + interval '14 days')::bigint,
                   'd', jsonb_set(':body'::jsonb, '{MaHoSo}', to_jsonb(k))))
          FROM (SELECT 'PGB-' || :client_id || '-' || txid_current() || '-' || g AS k
                  FROM generate_series(1, :rows) AS g) AS codes));
