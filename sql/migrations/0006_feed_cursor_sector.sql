-- A feed cursor belongs to the sector whose feed gave it (CONTRACT.md
-- section 6: a bad cursor is 422 "cursor").  0004's reader took any
-- (xid, seq) as a position in any sector's feed, so another sector's
-- cursor, or one made up, was answered 200 from wherever it pointed and
-- the reader silently skipped that sector's earlier changes.  Every
-- cursor the gateway hands out is the (xid, seq) of one of the sector's
-- own items (or the start, (0, 0)), and items are never deleted: one
-- lookup of the primary key tells.  Otherwise one row with event
-- 'cursor' says so, and nothing else is read.
--
-- 0004's reader stays as it was, under the name dossier_feed_items; the
-- gateway's statement keeps calling dossier_feed_read.

ALTER FUNCTION dossier_feed_read(text, xid8, bigint, integer)
    RENAME TO dossier_feed_items;

CREATE FUNCTION dossier_feed_read(s text, after_xid xid8, after_seq bigint,
                                  lim integer)
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

    RETURN QUERY SELECT * FROM dossier_feed_items(s, after_xid, after_seq,
                                                  lim);
END
$$;
