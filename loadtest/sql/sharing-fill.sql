-- Bulk data for the data-sharing benchmarks (loadtest/sharing): :n
-- dossiers received over the :days days before today (Asia/Ho_Chi_Minh),
-- with their progress history and their feed items, :batch dossiers a
-- transaction (each batch one xid, as a group commit is), then counted by
-- dossier_stats_recount() (sql/migrations/0004), the counters the
-- gateway's writers keep.  Codes are LTS-<n>; every value derives from n
-- (hashint4), so two fills are the same.
--
-- A year as the city's reports describe one: sectors HT 40%, BTXH 15, DD
-- 15, XD 10, HKD 10, CT 10; 67% online; 85% resolved (1.5% of them late),
-- 6% refused or withdrawn, 9% still in progress (most of them past due by
-- now); due 3 to 30 days after receipt, at 17:00.
--
--   psql -v n=1000000 -v days=366 -v batch=10000 -f sharing-fill.sql

SELECT set_config('lt.n', :'n', false), set_config('lt.days', :'days', false),
       set_config('lt.batch', :'batch', false);

-- the dossier of number i
CREATE FUNCTION pg_temp.lt_dossier(i integer, days integer)
RETURNS TABLE (code text, sector text, proc text, channel smallint,
               tn timestamptz, due timestamptz, kind text, final smallint,
               resolved_at timestamptz, steps integer)
LANGUAGE sql STABLE AS $$
    WITH h AS (
        SELECT abs(hashint4(i)) % 100 AS s,
               1 + abs(hashint4(i + 1000000001)) % days AS d,
               abs(hashint4(i + 1000000002)) % 36000 AS sec,
               3 + abs(hashint4(i + 1000000003)) % 28 AS span,
               abs(hashint4(i + 1000000004)) % 100 AS ch,
               abs(hashint4(i + 1000000005)) % 1000 AS c,
               abs(hashint4(i + 1000000006)) % 1000 AS late,
               abs(hashint4(i + 1000000007)) % 10 AS x
    ), t AS (
        SELECT h.*,
               (date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')
                AT TIME ZONE 'Asia/Ho_Chi_Minh')
               - make_interval(days => d) + interval '7 hours'
               + make_interval(secs => sec) AS tn0
          FROM h
    )
    SELECT 'LTS-' || i,
           CASE WHEN s < 40 THEN 'HT' WHEN s < 55 THEN 'BTXH'
                WHEN s < 70 THEN 'DD' WHEN s < 80 THEN 'XD'
                WHEN s < 90 THEN 'HKD' ELSE 'CT' END,
           CASE WHEN s < 40 THEN '1.001193' WHEN s < 55 THEN '1.001776'
                WHEN s < 70 THEN '1.004227' WHEN s < 80 THEN '1.009994'
                WHEN s < 90 THEN '2.000720' ELSE '2.000815' END,
           (CASE WHEN ch < 67 THEN 2 ELSE 1 END)::smallint,
           tn0,
           date_trunc('day', tn0, 'Asia/Ho_Chi_Minh')
           + make_interval(days => span) + interval '17 hours',
           CASE WHEN c < 850 THEN 'resolved' WHEN c < 910 THEN 'closed'
                ELSE 'in_progress' END,
           (CASE WHEN c < 850 THEN CASE WHEN x < 6 THEN 10 ELSE 9 END
                 WHEN c < 910 THEN CASE WHEN x < 5 THEN 3 ELSE 7 END
                 ELSE (ARRAY[1, 2, 4, 5, 6])[1 + x % 5] END)::smallint,
           CASE WHEN late < 15
                THEN date_trunc('day', tn0, 'Asia/Ho_Chi_Minh')
                     + make_interval(days => span + 1, hours => 9)
                ELSE tn0 + make_interval(days => span / 2) END,
           CASE WHEN c < 850 THEN CASE WHEN x < 6 THEN 3 ELSE 2 END
                WHEN c < 910 THEN 1
                ELSE CASE WHEN x % 5 = 0 THEN 0 WHEN x % 5 = 1 THEN 1
                          ELSE 2 END END
      FROM t
$$;

-- its history: (step, from, to, time)
CREATE FUNCTION pg_temp.lt_steps(kind text, final smallint, tn timestamptz,
                                 resolved_at timestamptz)
RETURNS TABLE (step integer, from_status smallint, to_status smallint,
               at timestamptz)
LANGUAGE sql IMMUTABLE AS $$
    SELECT v.step, v.f::smallint, v.t::smallint, v.at
      FROM (VALUES
              (1, 1, CASE WHEN kind = 'closed' THEN final ELSE 2 END,
               tn + interval '1 hour'),
              (2, 2, CASE WHEN kind = 'resolved' THEN 9 ELSE final END,
               CASE WHEN kind = 'resolved' THEN resolved_at
                    ELSE tn + interval '1 day' END),
              (3, 9, 10, resolved_at + interval '1 day')) v (step, f, t, at)
     WHERE (kind = 'closed' AND v.step = 1)
        OR (kind = 'resolved' AND (v.step < 3 OR final = 10))
        OR (kind = 'in_progress' AND final <> 1
            AND (v.step = 1 OR (v.step = 2 AND final <> 2)))
$$;

DO $$
DECLARE
    n      integer := current_setting('lt.n')::integer;
    days   integer := current_setting('lt.days')::integer;
    batch  integer := current_setting('lt.batch')::integer;
    first  integer := 0;
    lo     bigint;
    hi     bigint;
BEGIN
    WHILE first < n LOOP
        WITH ins AS (
            INSERT INTO dossiers (ma_ho_so, ma_tthc, ma_linh_vuc,
                                  kenh_thuc_hien, loai_doi_tuong, so_giay_to,
                                  trang_thai, ngay_tiep_nhan, ngay_hen_tra,
                                  content_hash, client_id, body, version)
            SELECT x.code, x.proc, x.sector, x.channel, 1,
                   '031185' || lpad((i % 1000000)::text, 6, '0'), x.final,
                   x.tn, x.due, md5(x.code) || md5(x.code || '+'),
                   'loadtest',
                   jsonb_build_object(
                       'MaHoSo', x.code, 'MaTTHC', x.proc,
                       'TenTTHC', 'Thủ tục hành chính ' || x.proc,
                       'MaLinhVuc', x.sector, 'KenhThucHien', x.channel,
                       'ChuHoSo', 'Nguyễn Thị Lan', 'LoaiDoiTuong', 1,
                       'SoGiayToChuHoSo',
                       '031185' || lpad((i % 1000000)::text, 6, '0'),
                       'NgaySinhChuHoSo', '19850312', 'GioiTinhChuHoSo', 2,
                       'SoDienThoai', '0912345678',
                       'Email', 'lan.nguyen@example.vn',
                       'TrichYeuHoSo', 'Đề nghị giải quyết hồ sơ ' || x.code,
                       'NgayTiepNhan', to_char(x.tn AT TIME ZONE
                                               'Asia/Ho_Chi_Minh',
                                               'YYYYMMDDHH24MISS'),
                       'NgayHenTra', to_char(x.due AT TIME ZONE
                                             'Asia/Ho_Chi_Minh',
                                             'YYYYMMDDHH24MISS'),
                       'TrangThaiHoSo', 1,
                       'TaiLieuNop', jsonb_build_array(jsonb_build_object(
                           'TepDinhKemId', x.code || '-1',
                           'TenTepDinhKem', 'Đơn đề nghị.pdf',
                           'DuongDanTaiTepTin',
                           'https://files.dichvucong.example.vn/' || x.code
                           || '/1.pdf', 'DuocSoHoa', true))),
                   1 + x.steps
              FROM generate_series(first, least(first + batch, n) - 1) i,
                   pg_temp.lt_dossier(i, days) x
             ORDER BY i
            RETURNING id)
        SELECT min(id), max(id) INTO lo, hi FROM ins;

        INSERT INTO dossier_progress (dossier_id, from_status, trang_thai,
                                      thoi_diem, ngay_tra, record,
                                      client_id)
        SELECT d.id, s.from_status, s.to_status, s.at,
               CASE WHEN s.to_status = 10 THEN s.at END,
               jsonb_build_object('TrangThaiHoSo', s.to_status,
                   'ThoiDiemXuLy', to_char(s.at AT TIME ZONE
                                           'Asia/Ho_Chi_Minh',
                                           'YYYYMMDDHH24MISS'),
                   'NoiDungXuLy', 'Chuyển bước xử lý',
                   'NguoiXuLy', 'Lê Văn An'),
               'loadtest'
          FROM dossiers d,
               pg_temp.lt_dossier(substr(d.ma_ho_so, 5)::integer, days) x,
               pg_temp.lt_steps(x.kind, x.final, x.tn, x.resolved_at) s
         WHERE d.id BETWEEN lo AND hi
         ORDER BY d.id, s.step;

        -- this transaction's feed: the submissions, then the progress
        INSERT INTO dossier_feed (sector, dossier_id, trang_thai, version,
                                  at)
        SELECT ma_linh_vuc, id, 1, 1, received_at FROM dossiers
         WHERE id BETWEEN lo AND hi ORDER BY id;

        INSERT INTO dossier_feed (sector, dossier_id, progress_id,
                                  trang_thai, version, at)
        SELECT d.ma_linh_vuc, d.id, p.id, p.trang_thai,
               1 + row_number() OVER (PARTITION BY p.dossier_id
                                      ORDER BY p.id),
               p.created_at
          FROM dossier_progress p JOIN dossiers d ON d.id = p.dossier_id
         WHERE d.id BETWEEN lo AND hi
         ORDER BY p.id;

        COMMIT;
        first := first + batch;
    END LOOP;
END
$$;

SELECT dossier_stats_recount();
ANALYZE dossiers, dossier_progress, dossier_feed, dossier_stats,
        dossier_stats_due;
