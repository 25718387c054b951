-- Status lookups and progress updates: a version per dossier (the cache
-- keeps the newest), a progress history, and one view that every status
-- read goes through, so the gateway parses a single row shape.

ALTER TABLE dossiers ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE TABLE dossier_progress (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id     bigint NOT NULL REFERENCES dossiers (id),
    from_status    smallint NOT NULL,
    trang_thai     smallint NOT NULL,
    thoi_diem      timestamptz NOT NULL,
    ngay_tra       timestamptz,
    record         jsonb NOT NULL,
    client_id      text NOT NULL,
    request_id     text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX dossier_progress_dossier ON dossier_progress (dossier_id, id);

-- Times as Unix seconds: the gateway formats them (portal format, RFC 3339).
CREATE VIEW dossier_status AS
SELECT id, ma_ho_so, ma_tthc, ma_linh_vuc, so_giay_to, trang_thai, version,
       extract(epoch FROM ngay_tiep_nhan)::bigint AS ngay_tiep_nhan,
       extract(epoch FROM ngay_hen_tra)::bigint AS ngay_hen_tra,
       coalesce(extract(epoch FROM ngay_tra)::bigint, 0) AS ngay_tra,
       extract(epoch FROM received_at)::bigint AS received_at,
       extract(epoch FROM updated_at)::bigint AS updated_at
  FROM dossiers;

-- The batch writer now answers with the stored status of each item.
DROP FUNCTION dossier_submit_batch(jsonb);

CREATE FUNCTION dossier_submit_batch(items jsonb)
RETURNS TABLE (ord integer, outcome text, st dossier_status)
LANGUAGE plpgsql AS $$
DECLARE
    it     jsonb;
    d      jsonb;
    new_id bigint;
BEGIN
    ord := 0;
    FOR it IN SELECT value FROM jsonb_array_elements(items) LOOP
        d := it->'d';
        new_id := NULL;

        INSERT INTO dossiers (ma_ho_so, ma_tthc, ma_linh_vuc, kenh_thuc_hien,
                              loai_doi_tuong, so_giay_to, trang_thai,
                              ngay_tiep_nhan, ngay_hen_tra, content_hash,
                              client_id, request_id, body)
        VALUES (d->>'MaHoSo', d->>'MaTTHC', d->>'MaLinhVuc',
                (d->>'KenhThucHien')::smallint,
                (d->>'LoaiDoiTuong')::smallint, d->>'SoGiayToChuHoSo',
                (d->>'TrangThaiHoSo')::smallint,
                to_timestamp((it->>'tn')::bigint),
                to_timestamp((it->>'ht')::bigint),
                it->>'h', it->>'c', it->>'r', d)
        ON CONFLICT (ma_ho_so) DO NOTHING
        RETURNING id INTO new_id;

        -- a fresh snapshot: sees a row another session committed while we
        -- waited on its lock
        SELECT s.* INTO st FROM dossier_status s
         WHERE s.ma_ho_so = d->>'MaHoSo';

        IF new_id IS NOT NULL THEN
            outcome := 'created';
        ELSIF (SELECT x.content_hash FROM dossiers x WHERE x.id = st.id)
              = it->>'h' THEN
            outcome := 'duplicate';
        ELSE
            outcome := 'conflict';
        END IF;

        RETURN NEXT;
        ord := ord + 1;
    END LOOP;
END
$$;

-- Applies one progress record.  sources are the statuses the dossier may
-- be in for this move (the gateway's transition rules); the row lock makes
-- check and update one step.  outcome: 'updated', 'transition' (refused:
-- st is the current status) or 'unknown' (no such dossier).
CREATE FUNCTION dossier_apply_progress(code text, to_status integer,
                                       sources integer[], at bigint,
                                       returned bigint, client text,
                                       request text, rec jsonb)
RETURNS TABLE (outcome text, st dossier_status)
LANGUAGE plpgsql AS $$
DECLARE
    cur record;
BEGIN
    SELECT id, trang_thai INTO cur FROM dossiers WHERE ma_ho_so = code
       FOR UPDATE;

    IF NOT FOUND THEN
        outcome := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;

    IF NOT cur.trang_thai = ANY (sources) THEN
        outcome := 'transition';
    ELSE
        UPDATE dossiers
           SET trang_thai = to_status,
               ngay_tra = coalesce(to_timestamp(nullif(returned, 0)),
                                   ngay_tra),
               version = version + 1,
               updated_at = clock_timestamp()
         WHERE id = cur.id;

        INSERT INTO dossier_progress (dossier_id, from_status, trang_thai,
                                      thoi_diem, ngay_tra, record, client_id,
                                      request_id)
        VALUES (cur.id, cur.trang_thai, to_status, to_timestamp(at),
                to_timestamp(nullif(returned, 0)), rec, client, request);

        outcome := 'updated';
    END IF;

    SELECT s.* INTO st FROM dossier_status s WHERE s.id = cur.id;
    RETURN NEXT;
END
$$;
