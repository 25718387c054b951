/*
 * A progress record: what the processing system posts to
 * /v1/dossiers/{MaHoSo}/progress.
 *
 *   TrangThaiHoSo  integer 1-10, required (the new status)
 *   ThoiDiemXuLy   yyyyMMddHHmmss, required, at most 5 minutes ahead
 *   NoiDungXuLy    string <= 2000 characters (what was done)
 *   NguoiXuLy      string <= 256 (who)
 *   PhongBanXuLy   string <= 256 (which department)
 *   NgayTra        yyyyMMddHHmmss, required when the status is 10
 *                  (result returned), at most 5 minutes ahead
 *
 * Whether the move from the current status is allowed is checked where
 * the current status is known: in PostgreSQL, under a row lock, against
 * dg_status_sources().
 */

#ifndef DG_PROGRESS_H
#define DG_PROGRESS_H

#include <time.h>
#include <jansson.h>

#include "dg_problem.h"

typedef struct {
    int     trang_thai;
    time_t  thoi_diem;
    time_t  ngay_tra;       /* 0 when absent */
} dg_progress_t;

/* Returns 0 when valid (out filled), -1 when problems were added. */
int dg_progress_validate(json_t *root, time_t now, dg_progress_t *out,
    dg_problems_t *problems);

#endif /* DG_PROGRESS_H */
