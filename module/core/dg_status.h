/*
 * A dossier's processing status: the portal's TrangThaiHoSo codes, which
 * moves between them are allowed, and the status view that lookups return
 * (and the cache holds).
 *
 *   1 new (mới đăng ký)            6 awaiting fees (nghĩa vụ tài chính)
 *   2 received (đã tiếp nhận)      7 withdrawn (công dân rút hồ sơ)
 *   3 refused (không tiếp nhận)    8 stopped (dừng xử lý)
 *   4 processing (đang xử lý)      9 resolved (đã xử lý xong)
 *   5 needs documents (bổ sung)   10 result returned (đã trả kết quả)
 *
 * 3, 7, 8 and 10 are final: a finished or cancelled dossier does not move
 * again.  9 may only move to 10.
 */

#ifndef DG_STATUS_H
#define DG_STATUS_H

#include <stddef.h>
#include <time.h>

#define DG_STATUS_MIN  1
#define DG_STATUS_MAX  10

/* 1 when a dossier in status from may move to status to. */
int dg_status_allowed(int from, int to);

/* 1 when no move leaves status s. */
int dg_status_final(int s);

/* The statuses a dossier may be in to move to `to`, written to out (room
 * for DG_STATUS_MAX) as a PostgreSQL array literal "{2,4,5}"; out must have
 * room for 32 bytes.  Returns the number of statuses. */
int dg_status_sources(int to, char *out, size_t size);


typedef struct {
    long long    id;              /* the row's, for the acceptance view */
    const char  *ma_ho_so;
    const char  *ma_tthc;
    const char  *ma_linh_vuc;
    const char  *owner;           /* SoGiayToChuHoSo: not shown, for VNeID */
    int          trang_thai;
    long long    version;         /* grows with every change */
    time_t       ngay_tiep_nhan;
    time_t       ngay_hen_tra;
    time_t       ngay_tra;        /* 0: not returned yet */
    time_t       received_at;
    time_t       updated_at;
} dg_status_t;

typedef enum {
    /* GET /v1/dossiers/{MaHoSo} and the progress answer: MaHoSo, MaTTHC,
     * MaLinhVuc, TrangThaiHoSo, NgayTiepNhan, NgayHenTra, NgayTra (when
     * set) in the portal's yyyyMMddHHmmss, then received_at and updated_at
     * in RFC 3339 */
    DG_STATUS_VIEW_LOOKUP,
    /* the 201 and the 200 of a retry: id, MaHoSo, "status": "accepted",
     * received_at (CONTRACT.md section 3) */
    DG_STATUS_VIEW_ACCEPTED
} dg_status_view_e;

/* A status as JSON in one of its views.  Returns malloc'ed text. */
char *dg_status_json(const dg_status_t *s, dg_status_view_e view);

/* yyyyMMddHHmmss in Asia/Ho_Chi_Minh; buf has room for 15 bytes. */
void dg_time_wire(time_t t, char *buf);

#endif /* DG_STATUS_H */
