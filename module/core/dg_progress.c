/*
 * Progress record rules (see dg_progress.h).
 */

#include "dg_check.h"
#include "dg_progress.h"
#include "dg_status.h"


#define DG_PROGRESS_FUTURE_SLACK  300


int
dg_progress_validate(json_t *root, time_t now, dg_progress_t *out,
    dg_problems_t *problems)
{
    int         status;
    size_t      len;
    time_t      latest;
    dg_check_t  ck = { problems, 0 };

    if (!json_is_object(root)) {
        dg_fail(&ck, "", "type", "Phải là một đối tượng JSON",
                "must be a JSON object");
        return -1;
    }

    latest = now + DG_PROGRESS_FUTURE_SLACK;
    status = 0;
    out->ngay_tra = 0;

    dg_check_integer(&ck, root, "/TrangThaiHoSo", 1, DG_STATUS_MIN,
                     DG_STATUS_MAX, &status);
    dg_check_time(&ck, root, "/ThoiDiemXuLy", 1, 14, latest, &out->thoi_diem);
    dg_check_string(&ck, root, "/NoiDungXuLy", 0, 0, 2000, &len);
    dg_check_string(&ck, root, "/NguoiXuLy", 0, 0, 256, &len);
    dg_check_string(&ck, root, "/PhongBanXuLy", 0, 0, 256, &len);
    dg_check_time(&ck, root, "/NgayTra", status == 10, 14, latest,
                  &out->ngay_tra);

    out->trang_thai = status;

    return ck.nfail ? -1 : 0;
}
