-- The batch writer without a loop per row (issue 11): 0004's result, in
-- two set-based statements planned once per session,
-- and the figures' counters in shards, so that writers stop taking turns.
--
-- 1. One INSERT ... SELECT of every item, ON CONFLICT DO NOTHING, with the
--    feed items and the counters of what it created in the same statement
--    (data-modifying CTEs over its RETURNING rows).
-- 2. One SELECT of every item's outcome and stored status.  It is a new
--    statement, so it takes a fresh snapshot (READ COMMITTED): an item
--    skipped because another session held its MaHoSo, then committed, is
--    seen here and judged against that session's row.
--
-- The items are inserted in MaHoSo order, so that two writers whose
-- batches share MaHoSo (retries) wait on each other in one order rather
-- than deadlock; of two items with one MaHoSo the first is stored and the
-- second judged against it, as if submitted after.

-- The status view with date_part: the same values (seconds, rounded), in
-- double precision arithmetic rather than numeric, which extract() uses
-- since PostgreSQL 14 and which cost more than the rest of a lookup.
CREATE OR REPLACE VIEW dossier_status AS
SELECT id, ma_ho_so, ma_tthc, ma_linh_vuc, so_giay_to, trang_thai, version,
       date_part('epoch', ngay_tiep_nhan)::bigint AS ngay_tiep_nhan,
       date_part('epoch', ngay_hen_tra)::bigint AS ngay_hen_tra,
       coalesce(date_part('epoch', ngay_tra)::bigint, 0) AS ngay_tra,
       date_part('epoch', received_at)::bigint AS received_at,
       date_part('epoch', updated_at)::bigint AS updated_at
  FROM dossiers;


-- The counters in shards.  Every writer added to the same day's and
-- month's rows of its sector, holding their row locks until its commit:
-- the writers of a sector committed one at a time, each waiting for the
-- previous one's WAL flush.  Now each backend adds to the rows of its own
-- shard, and the readers (dossier_stats_read) add the shards up, as they
-- already add days and months up.  A shard's row may go below zero (a
-- dossier counted in one shard, moved on in another); the sums are exact.
CREATE FUNCTION dossier_stats_shard()
RETURNS smallint
LANGUAGE sql STABLE AS $$
    SELECT (pg_backend_pid() % 16)::smallint
$$;

ALTER TABLE dossier_stats ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE dossier_stats DROP CONSTRAINT dossier_stats_pkey,
    ADD PRIMARY KEY (span, start, sector, shard);

ALTER TABLE dossier_stats_due ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE dossier_stats_due DROP CONSTRAINT dossier_stats_due_pkey,
    ADD PRIMARY KEY (due, day, sector, shard);

-- replaced by the writer's own statement below
DROP FUNCTION dossier_stats_count(bigint[]);

-- 0004's, on this backend's shard: the deltas added (the rows made when
-- missing), in the writer's key order.
CREATE OR REPLACE FUNCTION dossier_stats_move(dossier bigint,
                                              from_status integer,
                                              to_status integer,
                                              at timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c_from  text := dossier_class(from_status);
    c_to    text := dossier_class(to_status);
    x       record;
BEGIN
    IF c_from = c_to THEN
        RETURN;
    END IF;

    SELECT ngay_tiep_nhan AS tn, dossier_day(ngay_tiep_nhan) AS day,
           ma_linh_vuc AS sector, ngay_hen_tra AS due
      INTO x FROM dossiers WHERE id = dossier;

    INSERT INTO dossier_stats AS s (span, start, sector, shard, resolved,
                                    on_time, closed_other, in_progress)
    SELECT k.span, k.start, x.sector, dossier_stats_shard(),
           (c_to = 'resolved')::int,
           (c_to = 'resolved' AND at <= x.due)::int,
           (c_to = 'closed')::int - (c_from = 'closed')::int,
           (c_to = 'in_progress')::int - (c_from = 'in_progress')::int
      FROM dossier_stats_keys(x.tn) k
     ORDER BY 1, 2
    ON CONFLICT (span, start, sector, shard) DO UPDATE
       SET resolved = s.resolved + excluded.resolved,
           on_time = s.on_time + excluded.on_time,
           closed_other = s.closed_other + excluded.closed_other,
           in_progress = s.in_progress + excluded.in_progress;

    IF c_from = 'in_progress' THEN
        INSERT INTO dossier_stats_due AS s (due, day, sector, shard, pending)
        VALUES (x.due, x.day, x.sector, dossier_stats_shard(), -1)
        ON CONFLICT (due, day, sector, shard) DO UPDATE
           SET pending = s.pending - 1;
        DELETE FROM dossier_stats_due
         WHERE due = x.due AND day = x.day AND sector = x.sector
           AND shard = dossier_stats_shard() AND pending = 0;
    END IF;
END
$$;


DROP FUNCTION dossier_submit_batch(jsonb);

-- plan_cache_mode: the statements are planned once per session.  Left to
-- choose, PL/pgSQL plans them again at every call (the generic plan's
-- estimate of 100 items looks worse than a custom one), and planning cost
-- ten times what running them does.
CREATE FUNCTION dossier_submit_batch(items jsonb)
RETURNS TABLE (ord integer, outcome text, st dossier_status)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    created  text[];        -- the MaHoSo this call stored
    sectors  text[];        -- and their sectors, to notify
BEGIN
    WITH item AS (
        SELECT i.n, i.it->'d' AS d, i.it
          FROM jsonb_array_elements(items) WITH ORDINALITY AS i(it, n)
    ), ins AS (
        INSERT INTO dossiers (ma_ho_so, ma_tthc, ma_linh_vuc, kenh_thuc_hien,
                              loai_doi_tuong, so_giay_to, trang_thai,
                              ngay_tiep_nhan, ngay_hen_tra, content_hash,
                              client_id, request_id, body)
        SELECT d->>'MaHoSo', d->>'MaTTHC', d->>'MaLinhVuc',
               (d->>'KenhThucHien')::smallint,
               (d->>'LoaiDoiTuong')::smallint, d->>'SoGiayToChuHoSo',
               (d->>'TrangThaiHoSo')::smallint,
               to_timestamp((it->>'tn')::bigint),
               to_timestamp((it->>'ht')::bigint),
               it->>'h', it->>'c', it->>'r', d
          FROM item
         ORDER BY d->>'MaHoSo', n
        ON CONFLICT (ma_ho_so) DO NOTHING
        RETURNING id, ma_ho_so, ma_linh_vuc, kenh_thuc_hien, trang_thai,
                  version, ngay_tiep_nhan, ngay_hen_tra
    ), feed AS (
        INSERT INTO dossier_feed (sector, dossier_id, trang_thai, version)
        SELECT ma_linh_vuc, id, trang_thai, version FROM ins ORDER BY id
    ), counted AS (
        -- in key order: concurrent writers lock the rows in one order
        INSERT INTO dossier_stats AS s (span, start, sector, shard,
                                        received, online, resolved,
                                        on_time, closed_other, in_progress)
        SELECT k.span, k.start, i.ma_linh_vuc, dossier_stats_shard(),
               count(*),
               count(*) FILTER (WHERE i.kenh_thuc_hien = 2),
               count(*) FILTER (WHERE dossier_class(i.trang_thai)
                                      = 'resolved'),
               count(*) FILTER (WHERE dossier_class(i.trang_thai)
                                      = 'resolved'),
               count(*) FILTER (WHERE dossier_class(i.trang_thai)
                                      = 'closed'),
               count(*) FILTER (WHERE dossier_class(i.trang_thai)
                                      = 'in_progress')
          FROM ins i, dossier_stats_keys(i.ngay_tiep_nhan) k
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (span, start, sector, shard) DO UPDATE
           SET received = s.received + excluded.received,
               online = s.online + excluded.online,
               resolved = s.resolved + excluded.resolved,
               on_time = s.on_time + excluded.on_time,
               closed_other = s.closed_other + excluded.closed_other,
               in_progress = s.in_progress + excluded.in_progress
    ), due AS (
        INSERT INTO dossier_stats_due AS s (due, day, sector, shard,
                                            pending)
        SELECT ngay_hen_tra, dossier_day(ngay_tiep_nhan), ma_linh_vuc,
               dossier_stats_shard(), count(*)
          FROM ins
         WHERE dossier_class(trang_thai) = 'in_progress'
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (due, day, sector, shard) DO UPDATE
           SET pending = s.pending + excluded.pending
    )
    SELECT array_agg(ma_ho_so), array_agg(DISTINCT ma_linh_vuc)
      INTO created, sectors
      FROM ins;

    PERFORM pg_notify('dossier_feed', x) FROM unnest(sectors) x;

    RETURN QUERY
    WITH item AS (
        SELECT (i.n - 1)::integer AS n, i.it->'d'->>'MaHoSo' AS code,
               i.it->>'h' AS hash,
               dossier_owner(i.it->>'c', i.it->'d'->>'SoGiayToChuHoSo')
                   AS caller,
               -- the first item of its MaHoSo in the batch
               i.n = min(i.n) OVER (PARTITION BY i.it->'d'->>'MaHoSo')
                   AS first
          FROM jsonb_array_elements(items) WITH ORDINALITY AS i(it, n)
    )
    SELECT i.n,
           CASE WHEN i.first AND i.code = ANY (created) THEN 'created'
                WHEN x.owner = i.caller AND x.content_hash = i.hash
                THEN 'duplicate'
                ELSE 'conflict' END,
           -- another owner's dossier: nothing about it leaves the database
           CASE WHEN x.owner = i.caller THEN s ELSE NULL END
      FROM item i
     -- one index lookup per item whatever the statistics said when the
     -- plan was made (a join planned on a new, empty table hashes a scan
     -- of the whole table, and the plan is kept): a LIMIT keeps each
     -- lookup a subquery of its own
     CROSS JOIN LATERAL (SELECT d.id, d.owner, d.content_hash
                           FROM dossiers d WHERE d.ma_ho_so = i.code
                          LIMIT 1) x
     CROSS JOIN LATERAL (SELECT v FROM dossier_status v WHERE v.id = x.id
                          LIMIT 1) s(s)
     ORDER BY i.n;
END
$$;
