-- The procedure catalog and the dossiers table, with the batch writer the
-- gateway calls once per group commit.

CREATE TABLE procedures (
    ma_tthc      text PRIMARY KEY CHECK (ma_tthc ~ '^[0-9]\.[0-9]{6}$'),
    ten_tthc     text NOT NULL,
    ma_linh_vuc  text NOT NULL CHECK (ma_linh_vuc ~ '^[A-Z0-9_]{1,16}$'),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dossiers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ma_ho_so        text NOT NULL UNIQUE,
    ma_tthc         text NOT NULL,
    ma_linh_vuc     text NOT NULL,
    kenh_thuc_hien  smallint NOT NULL,
    loai_doi_tuong  smallint NOT NULL,
    so_giay_to      text NOT NULL,
    trang_thai      smallint NOT NULL,
    ngay_tiep_nhan  timestamptz NOT NULL,
    ngay_hen_tra    timestamptz NOT NULL,
    ngay_tra        timestamptz,
    -- SHA-256 of the canonical body: an identical resubmission is a retry
    content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    client_id       text NOT NULL,
    request_id      text,
    body            jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- the sector change feed and the city's figures read by sector and time
CREATE INDEX dossiers_sector_id ON dossiers (ma_linh_vuc, id);
CREATE INDEX dossiers_received ON dossiers (ngay_tiep_nhan);
-- a citizen's own dossiers (VNeID lookups)
CREATE INDEX dossiers_applicant ON dossiers (so_giay_to);

-- Stores a batch of validated dossiers.  items is a JSON array of
-- {"h": hash, "c": client, "r": request id, "tn": NgayTiepNhan and
-- "ht": NgayHenTra as Unix seconds, "d": the dossier}.  One row comes back
-- per item, in order: outcome 'created', 'duplicate' (same MaHoSo, same
-- content: the first id) or 'conflict' (same MaHoSo, other content).
-- Each statement takes a fresh snapshot (READ COMMITTED), so a MaHoSo that
-- another session committed while we waited on its lock is found by the
-- SELECT that follows the skipped INSERT.
CREATE FUNCTION dossier_submit_batch(items jsonb)
RETURNS TABLE (ord integer, outcome text, dossier_id bigint,
               dossier_received_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    it     jsonb;
    d      jsonb;
    found  record;
BEGIN
    ord := 0;
    FOR it IN SELECT value FROM jsonb_array_elements(items) LOOP
        d := it->'d';

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
        RETURNING id, received_at INTO dossier_id, dossier_received_at;

        IF dossier_id IS NOT NULL THEN
            outcome := 'created';
        ELSE
            SELECT x.id, x.received_at, x.content_hash INTO found
              FROM dossiers x WHERE x.ma_ho_so = d->>'MaHoSo';
            dossier_id := found.id;
            dossier_received_at := found.received_at;
            outcome := CASE WHEN found.content_hash = it->>'h'
                            THEN 'duplicate' ELSE 'conflict' END;
        END IF;

        RETURN NEXT;
        ord := ord + 1;
        dossier_id := NULL;
    END LOOP;
END
$$;
