-- A progress update is refused for a dossier of a sector the calling
-- client may not update: allowed is the client's grant, '*' (all), ''
-- (none) or 'A,B'.  New outcome: 'forbidden' (st is not returned).

DROP FUNCTION dossier_apply_progress(text, integer, integer[], bigint, bigint,
                                     text, text, jsonb);

CREATE FUNCTION dossier_apply_progress(code text, to_status integer,
                                       sources integer[], at bigint,
                                       returned bigint, client text,
                                       request text, rec jsonb,
                                       allowed text)
RETURNS TABLE (outcome text, st dossier_status)
LANGUAGE plpgsql AS $$
DECLARE
    cur record;
BEGIN
    SELECT id, trang_thai, ma_linh_vuc INTO cur FROM dossiers
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
