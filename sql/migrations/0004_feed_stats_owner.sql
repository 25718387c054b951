-- Data sharing (CONTRACT.md 1.1 sections 4 and 6): who owns a MaHoSo, a
-- change feed per sector that a reader can follow without gaps, the city's
-- figures kept as counters, and safe progress retries.  The writers below
-- replace those of 0002/0003: every change, its feed item and its counters
-- are written by one transaction.

-- The owner of a MaHoSo: the caller that stored it first, a client id or
-- "vneid:{sub}" for a citizen.  The gateway stores a citizen's dossiers
-- with the caller "vneid" and only when SoGiayToChuHoSo is the token's
-- sub, so the owner follows from the row itself.
CREATE FUNCTION dossier_owner(client text, applicant text)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN client = 'vneid' THEN 'vneid:' || applicant
                ELSE client END
$$;

ALTER TABLE dossiers ADD COLUMN owner text NOT NULL
    GENERATED ALWAYS AS (dossier_owner(client_id, so_giay_to)) STORED;

-- The day a dossier counts on: its NgayTiepNhan in Asia/Ho_Chi_Minh.
CREATE FUNCTION dossier_day(t timestamptz)
RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT (t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

-- The figures' classes of a status: 9 and 10 resolved, 3, 7 and 8 closed
-- otherwise, the rest in progress.
CREATE FUNCTION dossier_class(status integer)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN status IN (9, 10) THEN 'resolved'
                WHEN status IN (3, 7, 8) THEN 'closed'
                ELSE 'in_progress' END
$$;


-- The change feed.  xid is the writing transaction's id: a reader takes
-- only items whose xid is below its snapshot's horizon (every transaction
-- below it has ended, and no transaction yet to come can take an id below
-- it), in (xid, seq) order; seq orders the items of one transaction.
CREATE TABLE dossier_feed (
    sector       text NOT NULL,
    xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    -- dossiers (id) and dossier_progress (id, NULL: submitted), without
    -- foreign keys: a log written once, read joined to the dossiers (the
    -- items of a dossier deleted by hand, as tests do, drop out)
    dossier_id   bigint NOT NULL,
    progress_id  bigint,
    trang_thai   smallint NOT NULL,
    version      bigint NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (sector, xid, seq)
);

-- What was stored before the feed existed, as one transaction's items:
-- submissions first, then progress in the order it was applied.
INSERT INTO dossier_feed (sector, dossier_id, trang_thai, version, at)
SELECT d.ma_linh_vuc, d.id,
       coalesce(p.from_status, d.trang_thai), 1, d.received_at
  FROM dossiers d
  LEFT JOIN LATERAL (SELECT from_status FROM dossier_progress
                      WHERE dossier_id = d.id ORDER BY id LIMIT 1) p ON true
 ORDER BY d.id;

INSERT INTO dossier_feed (sector, dossier_id, progress_id, trang_thai,
                          version, at)
SELECT d.ma_linh_vuc, d.id, p.id, p.trang_thai,
       1 + row_number() OVER (PARTITION BY p.dossier_id ORDER BY p.id),
       p.created_at
  FROM dossier_progress p JOIN dossiers d ON d.id = p.dossier_id
 ORDER BY p.id;


-- The figures per sector, each dossier counted twice: on its day (span
-- 'd', NgayTiepNhan's day) and in its month (span 'm', start the month's
-- first day), so a year is read as its whole months and the days at its
-- ends (at most about 70 rows a sector) rather than 366 days.  overdue is
-- not kept: it depends on the time of the answer.  It is (resolved - on_time)
-- plus the in-progress dossiers whose NgayHenTra has passed, that is
-- in_progress minus those still due later, from dossier_stats_due.
CREATE TABLE dossier_stats (
    span          "char" NOT NULL CHECK (span IN ('d', 'm')),
    start         date NOT NULL,
    sector        text NOT NULL,
    received      bigint NOT NULL DEFAULT 0,
    online        bigint NOT NULL DEFAULT 0,
    resolved      bigint NOT NULL DEFAULT 0,
    on_time       bigint NOT NULL DEFAULT 0,
    closed_other  bigint NOT NULL DEFAULT 0,
    in_progress   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (span, start, sector)
);

-- In-progress dossiers by NgayHenTra.  An answer reads only the rows due
-- after its time (the index's order): their number is that of the
-- distinct due times still ahead, whatever the range asked or the number
-- of dossiers stored.  Rows that fall to 0 are removed.
CREATE TABLE dossier_stats_due (
    due      timestamptz NOT NULL,
    day      date NOT NULL,
    sector   text NOT NULL,
    pending  bigint NOT NULL,
    PRIMARY KEY (due, day, sector)
);

-- Counts every dossier again: the counters from the dossiers and their
-- progress, for what was stored before the counters existed (below) or
-- loaded in bulk.  The resolution time is the ThoiDiemXuLy of the progress
-- that first moved a dossier to 9 (or 10); one submitted already resolved
-- counts as resolved when received, so on time.  Safe while the gateway
-- writes: the lock waits for writers that counted already (their dossiers
-- are then seen here) and holds back the others until this is committed
-- (they are not seen here, and add themselves after).
CREATE FUNCTION dossier_stats_recount()
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE dossier_stats, dossier_stats_due IN EXCLUSIVE MODE;

    DELETE FROM dossier_stats;
    DELETE FROM dossier_stats_due;

    INSERT INTO dossier_stats (span, start, sector, received, online,
                               resolved, on_time, closed_other, in_progress)
    SELECT 'd', dossier_day(d.ngay_tiep_nhan), d.ma_linh_vuc, count(*),
           count(*) FILTER (WHERE d.kenh_thuc_hien = 2),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'resolved'),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'resolved'
                              AND coalesce(r.thoi_diem, d.ngay_tiep_nhan)
                                  <= d.ngay_hen_tra),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'closed'),
           count(*) FILTER (WHERE dossier_class(d.trang_thai)
                                  = 'in_progress')
      FROM dossiers d
      LEFT JOIN LATERAL (SELECT thoi_diem FROM dossier_progress
                          WHERE dossier_id = d.id AND trang_thai IN (9, 10)
                          ORDER BY id LIMIT 1) r ON true
     GROUP BY 2, 3;

    INSERT INTO dossier_stats (span, start, sector, received, online,
                               resolved, on_time, closed_other, in_progress)
    SELECT 'm', date_trunc('month', start)::date, sector, sum(received),
           sum(online), sum(resolved), sum(on_time), sum(closed_other),
           sum(in_progress)
      FROM dossier_stats
     GROUP BY 2, 3;

    INSERT INTO dossier_stats_due (due, day, sector, pending)
    SELECT ngay_hen_tra, dossier_day(ngay_tiep_nhan), ma_linh_vuc, count(*)
      FROM dossiers
     WHERE dossier_class(trang_thai) = 'in_progress'
     GROUP BY 1, 2, 3;
END
$$;

SELECT dossier_stats_recount();


-- The two counter rows of a dossier received at t, in key order.
CREATE FUNCTION dossier_stats_keys(t timestamptz)
RETURNS TABLE (span "char", start date)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('d'::"char", dossier_day(t)),
           ('m'::"char", date_trunc('month', dossier_day(t))::date)
$$;


-- Counts the dossiers a batch created, in key order: concurrent batches
-- take the counters' row locks in the same order and cannot deadlock.
CREATE FUNCTION dossier_stats_count(created bigint[])
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO dossier_stats AS s (span, start, sector, received, online,
                                    resolved, on_time, closed_other,
                                    in_progress)
    SELECT k.span, k.start, d.ma_linh_vuc, count(*),
           count(*) FILTER (WHERE d.kenh_thuc_hien = 2),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'resolved'),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'resolved'),
           count(*) FILTER (WHERE dossier_class(d.trang_thai) = 'closed'),
           count(*) FILTER (WHERE dossier_class(d.trang_thai)
                                  = 'in_progress')
      FROM dossiers d, dossier_stats_keys(d.ngay_tiep_nhan) k
     WHERE d.id = ANY (created)
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (span, start, sector) DO UPDATE
       SET received = s.received + excluded.received,
           online = s.online + excluded.online,
           resolved = s.resolved + excluded.resolved,
           on_time = s.on_time + excluded.on_time,
           closed_other = s.closed_other + excluded.closed_other,
           in_progress = s.in_progress + excluded.in_progress;

    INSERT INTO dossier_stats_due AS s (due, day, sector, pending)
    SELECT ngay_hen_tra, dossier_day(ngay_tiep_nhan), ma_linh_vuc, count(*)
      FROM dossiers
     WHERE id = ANY (created)
       AND dossier_class(trang_thai) = 'in_progress'
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (due, day, sector) DO UPDATE
       SET pending = s.pending + excluded.pending;
$$;


-- The batch writer (0002's, same result shape), now also recording the
-- owner, the feed items and the counters, and notifying the sectors'
-- listeners at commit.  A MaHoSo stored by another owner is a 'conflict'
-- whose st is NULL: nothing about that dossier leaves the database.
DROP FUNCTION dossier_submit_batch(jsonb);

CREATE FUNCTION dossier_submit_batch(items jsonb)
RETURNS TABLE (ord integer, outcome text, st dossier_status)
LANGUAGE plpgsql AS $$
DECLARE
    it       jsonb;
    d        jsonb;
    new_id   bigint;
    caller   text;
    prior    record;
    created  bigint[] := '{}';
BEGIN
    ord := 0;
    FOR it IN SELECT value FROM jsonb_array_elements(items) LOOP
        d := it->'d';
        new_id := NULL;
        caller := dossier_owner(it->>'c', d->>'SoGiayToChuHoSo');

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
            created := created || new_id;

            INSERT INTO dossier_feed (sector, dossier_id, trang_thai,
                                      version)
            VALUES (st.ma_linh_vuc, new_id, st.trang_thai, st.version);

        ELSE
            SELECT x.content_hash, x.owner INTO prior FROM dossiers x
             WHERE x.id = st.id;

            IF prior.owner = caller AND prior.content_hash = it->>'h' THEN
                outcome := 'duplicate';
            ELSE
                outcome := 'conflict';
                IF prior.owner <> caller THEN
                    st := NULL;
                END IF;
            END IF;
        END IF;

        RETURN NEXT;
        ord := ord + 1;
    END LOOP;

    IF cardinality(created) > 0 THEN
        PERFORM dossier_stats_count(created);
        PERFORM pg_notify('dossier_feed', x.ma_linh_vuc)
           FROM (SELECT DISTINCT ma_linh_vuc FROM dossiers
                  WHERE id = ANY (created)) x;
    END IF;
END
$$;


-- What makes two progress records the same record (CONTRACT.md section
-- 4): status, time, the text fields and NgayTra.
CREATE FUNCTION dossier_progress_key(rec jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('TrangThaiHoSo', rec->'TrangThaiHoSo',
                              'ThoiDiemXuLy', rec->'ThoiDiemXuLy',
                              'NoiDungXuLy', rec->'NoiDungXuLy',
                              'NguoiXuLy', rec->'NguoiXuLy',
                              'PhongBanXuLy', rec->'PhongBanXuLy',
                              'NgayTra', rec->'NgayTra')
$$;


-- Moves a dossier's counters from the class of one status to another's;
-- at is the time of the move (a resolution's: on time or not).
CREATE FUNCTION dossier_stats_move(dossier bigint, from_status integer,
                                   to_status integer, at timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c_from  text := dossier_class(from_status);
    c_to    text := dossier_class(to_status);
    x       record;
    k       record;
BEGIN
    IF c_from = c_to THEN
        RETURN;
    END IF;

    SELECT ngay_tiep_nhan AS tn, dossier_day(ngay_tiep_nhan) AS day,
           ma_linh_vuc AS sector, ngay_hen_tra AS due
      INTO x FROM dossiers WHERE id = dossier;

    -- the day's row, then the month's: the batch writer's order
    FOR k IN SELECT * FROM dossier_stats_keys(x.tn) LOOP
        UPDATE dossier_stats
           SET in_progress = in_progress - (c_from = 'in_progress')::int
                                         + (c_to = 'in_progress')::int,
               closed_other = closed_other - (c_from = 'closed')::int
                                           + (c_to = 'closed')::int,
               resolved = resolved + (c_to = 'resolved')::int,
               on_time = on_time + (c_to = 'resolved' AND at <= x.due)::int
         WHERE span = k.span AND start = k.start AND sector = x.sector;
    END LOOP;

    IF c_from = 'in_progress' THEN
        UPDATE dossier_stats_due SET pending = pending - 1
         WHERE due = x.due AND day = x.day AND sector = x.sector;
        DELETE FROM dossier_stats_due
         WHERE due = x.due AND day = x.day AND sector = x.sector
           AND pending = 0;
    END IF;
END
$$;


-- Applies one progress record (0003's, same parameters and result shape).
-- New outcome 'same': rec is the last record applied (a retry); st is the
-- current view and nothing is written.  An applied record adds its feed
-- item, moves the counters and notifies the sector's listeners.
DROP FUNCTION dossier_apply_progress(text, integer, integer[], bigint, bigint,
                                     text, text, jsonb, text);

CREATE FUNCTION dossier_apply_progress(code text, to_status integer,
                                       sources integer[], at bigint,
                                       returned bigint, client text,
                                       request text, rec jsonb,
                                       allowed text)
RETURNS TABLE (outcome text, st dossier_status)
LANGUAGE plpgsql AS $$
DECLARE
    cur      record;
    last     jsonb;
    prog_id  bigint;
BEGIN
    -- the row lock is this transaction's first write: it takes its xid
    -- only once the dossier's previous change has ended, so the feed's
    -- (xid, seq) order is each dossier's order
    SELECT id, trang_thai, ma_linh_vuc, version INTO cur FROM dossiers
     WHERE ma_ho_so = code FOR UPDATE;

    IF NOT FOUND THEN
        outcome := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;

    IF allowed <> '*'
       AND NOT cur.ma_linh_vuc = ANY (string_to_array(allowed, ','))
    THEN
        outcome := 'forbidden';
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT p.record INTO last FROM dossier_progress p
     WHERE p.dossier_id = cur.id ORDER BY p.id DESC LIMIT 1;

    IF last IS NOT NULL AND cur.trang_thai = to_status
       AND dossier_progress_key(last) = dossier_progress_key(rec)
    THEN
        outcome := 'same';

    ELSIF NOT cur.trang_thai = ANY (sources) THEN
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
                to_timestamp(nullif(returned, 0)), rec, client, request)
        RETURNING id INTO prog_id;

        INSERT INTO dossier_feed (sector, dossier_id, progress_id,
                                  trang_thai, version)
        VALUES (cur.ma_linh_vuc, cur.id, prog_id, to_status,
                cur.version + 1);

        PERFORM dossier_stats_move(cur.id, cur.trang_thai, to_status,
                                   to_timestamp(at));
        PERFORM pg_notify('dossier_feed', cur.ma_linh_vuc);

        outcome := 'updated';
    END IF;

    SELECT s.* INTO st FROM dossier_status s WHERE s.id = cur.id;
    RETURN NEXT;
END
$$;


-- Reads a sector's feed after the cursor (after_xid, after_seq): at most
-- lim items, oldest first, only below the snapshot's horizon, and no more
-- than about 8 MiB of bodies (a page ends early, with at least one item:
-- dossiers may be up to 1 MiB each).  With no item to give while
-- committed items wait above the horizon (an older transaction is still
-- running), one row with event 'held' says so: ask again soon.  at is Unix
-- seconds; payload is the dossier (submitted) or the progress record, as
-- JSON text.
CREATE FUNCTION dossier_feed_read(s text, after_xid xid8, after_seq bigint,
                                  lim integer)
RETURNS TABLE (xid xid8, seq bigint, event text, dossier_id bigint,
               ma_ho_so text, trang_thai smallint, version bigint, at bigint,
               payload text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT p.xid, p.seq, p.event, p.dossier_id, p.ma_ho_so, p.trang_thai,
           p.version, p.at, p.payload
      FROM (SELECT i.*,
                   sum(octet_length(i.payload)) OVER (ORDER BY i.xid, i.seq)
                   - octet_length(i.payload) AS before
              FROM (SELECT f.xid, f.seq,
                           CASE WHEN f.progress_id IS NULL THEN 'submitted'
                                ELSE 'progress' END AS event,
                           f.dossier_id, d.ma_ho_so, f.trang_thai, f.version,
                           extract(epoch FROM f.at)::bigint AS at,
                           coalesce(r.record, d.body)::text AS payload
                      FROM dossier_feed f
                      JOIN dossiers d ON d.id = f.dossier_id
                      LEFT JOIN dossier_progress r ON r.id = f.progress_id
                     WHERE f.sector = s
                       AND (f.xid, f.seq) > (after_xid, after_seq)
                       AND f.xid < pg_snapshot_xmin(pg_current_snapshot())
                     ORDER BY f.xid, f.seq
                     LIMIT lim) i) p
     WHERE p.before < 8388608
     ORDER BY p.xid, p.seq;

    IF NOT FOUND AND EXISTS (SELECT 1 FROM dossier_feed f
                              WHERE f.sector = s
                                AND (f.xid, f.seq) > (after_xid, after_seq)
                                AND f.xid >= pg_snapshot_xmin(
                                                 pg_current_snapshot()))
    THEN
        event := 'held';
        RETURN NEXT;
    END IF;
END
$$;


-- The figures from day d_from to d_to for the sectors of the catalog that
-- allowed grants ('*' all, or 'A,B'), one row each, and the time they are
-- as of (Unix seconds).  The whole months of the range are read from their
-- month rows, the days before and after them from day rows.
CREATE FUNCTION dossier_stats_read(d_from date, d_to date, allowed text)
RETURNS TABLE (sector text, received bigint, online bigint, resolved bigint,
               on_time bigint, closed_other bigint, in_progress bigint,
               overdue bigint, as_of bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    -- whole months: [m_from, m_to)
    m_from  date := CASE WHEN date_trunc('month', d_from) = d_from
                         THEN d_from
                         ELSE (date_trunc('month', d_from)
                               + interval '1 month')::date END;
    m_to    date := greatest(m_from,
                             date_trunc('month', d_to + 1)::date);
BEGIN
    RETURN QUERY
    WITH sec AS (
        SELECT DISTINCT p.ma_linh_vuc AS sector FROM procedures p
         WHERE allowed = '*'
            OR p.ma_linh_vuc = ANY (string_to_array(allowed, ','))
    ), picked AS (
        SELECT * FROM dossier_stats s
         WHERE s.span = 'm' AND s.start >= m_from AND s.start < m_to
        UNION ALL
        SELECT * FROM dossier_stats s
         WHERE s.span = 'd' AND s.start >= d_from
           AND s.start < least(m_from, d_to + 1)
        UNION ALL
        SELECT * FROM dossier_stats s
         WHERE s.span = 'd' AND s.start >= m_to AND s.start <= d_to
    ), c AS (
        SELECT r.sector, sum(r.received) AS received,
               sum(r.online) AS online, sum(r.resolved) AS resolved,
               sum(r.on_time) AS on_time,
               sum(r.closed_other) AS closed_other,
               sum(r.in_progress) AS in_progress
          FROM picked r
         GROUP BY r.sector
    ), later AS (
        SELECT u.sector, sum(u.pending) AS pending
          FROM dossier_stats_due u
         WHERE u.due >= now() AND u.day BETWEEN d_from AND d_to
         GROUP BY u.sector
    )
    SELECT sec.sector, coalesce(c.received, 0)::bigint,
           coalesce(c.online, 0)::bigint, coalesce(c.resolved, 0)::bigint,
           coalesce(c.on_time, 0)::bigint,
           coalesce(c.closed_other, 0)::bigint,
           coalesce(c.in_progress, 0)::bigint,
           (coalesce(c.resolved, 0) - coalesce(c.on_time, 0)
            + coalesce(c.in_progress, 0) - coalesce(later.pending, 0))::bigint,
           extract(epoch FROM now())::bigint
      FROM sec
      LEFT JOIN c ON c.sector = sec.sector
      LEFT JOIN later ON later.sector = sec.sector
     ORDER BY sec.sector;
END
$$;
