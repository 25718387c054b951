-- A feed cursor belongs to the sector whose feed gave it (CONTRACT.md
-- section 6: a bad cursor is 422 "cursor").  0004's reader took any
-- (xid, seq) as a position in any sector's feed, so another sector's
-- cursor, or one made up, was answered 200 from wherever it pointed and
-- the reader silently skipped that sector's earlier changes.  Every
-- cursor the gateway hands out is the (xid, seq) of one of the sector's
-- own items (or the start, (0, 0)), and items are never deleted: one
-- lookup of the primary key tells.  Otherwise one row with event
-- 'cursor' says so, and nothing else is read.

CREATE OR REPLACE FUNCTION dossier_feed_read(s text, after_xid xid8,
                                             after_seq bigint, lim integer)
RETURNS TABLE (xid xid8, seq bigint, event text, dossier_id bigint,
               ma_ho_so text, trang_thai smallint, version bigint, at bigint,
               payload text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF (after_xid, after_seq) <> ('0'::xid8, 0)
       AND NOT EXISTS (SELECT 1 FROM dossier_feed f
                        WHERE f.sector = s AND f.xid = after_xid
                          AND f.seq = after_seq)
    THEN
        event := 'cursor';
        RETURN NEXT;
        RETURN;
    END IF;

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
