-- pgbench baseline: :rows dossier rows in one transaction, the same table,
-- columns and body size as the gateway's dossier_submit_batch() writes,
-- without the gateway's duplicate check.  loadtest/run passes
--   -D rows=1|32 -D body="$(cat loadtest/pgbench/body.json)"
-- Codes start with PGB- (unique: this transaction's id and the row number)
-- and are deleted after the run.
INSERT INTO dossiers (ma_ho_so, ma_tthc, ma_linh_vuc, kenh_thuc_hien,
                      loai_doi_tuong, so_giay_to, trang_thai,
                      ngay_tiep_nhan, ngay_hen_tra, content_hash,
                      client_id, request_id, body)
SELECT k, '1.001776', 'BTXH', 2, 1, '093142839038', 1,
       now(), now() + interval '14 days', md5(k) || md5(k || '+'),
       'pgbench', md5(k),
       jsonb_set(':body'::jsonb, '{MaHoSo}', to_jsonb(k))
  FROM (SELECT 'PGB-' || :client_id || '-' || txid_current() || '-' || g AS k
          FROM generate_series(1, :rows) AS g) AS codes;
