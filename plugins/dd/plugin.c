/*
 * DD: registration of a land change (đăng ký biến động đất đai).  The
 * parcel is identified by map sheet and parcel number; its area is split
 * among land-use purposes whose codes follow the land-use classification
 * of the Land Law 2024 (ONT, ODT, LUC, CLN, ...); the change type decides
 * what else the dossier carries.
 */

/* strdup under -std=c99 too */
#define _POSIX_C_SOURCE  200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier_plugin.h"

#define P  "/DuLieuChuyenNganh"

#define DD_PURPOSES                                                         \
    "LUC,LUK,LUN,BHK,NHK,CLN,RSX,RPH,RDD,NTS,LMU,NKH,ONT,ODT,TSC,CQP,CAN," \
    "DVH,DXH,DYT,DGD,DTT,DKH,DMT,DNG,DSK,TMD,SKC,SKK,SKN,SKS,SKX,DGT,DTL," \
    "DNL,DBV,DKV,DCH,DRA,DCK,TIN,TON,NTD,SON,MNC,PNK,BCS,DCS,NCS"

#define DD_CHANGES                                                          \
    "CHUYEN_NHUONG,TANG_CHO,THUA_KE,CHUYEN_MUC_DICH,TACH_THUA,HOP_THUA,"    \
    "THE_CHAP,XOA_THE_CHAP,CHO_THUE,DOI_TEN,CAP_DOI"

/* area is recorded to 0.1 m2; sums may differ by rounding */
#define DD_AREA_STEP       0.1
#define DD_AREA_SLACK      0.05

#define DD_PURPOSES_MAX    10

struct dossier_state_s {
    long long   sheet_max;
    long long   parcel_max;
    double      area_min;
    double      area_max;
    char       *purposes;
};


static void
dd_number(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *ptr, long long max, const char *code, const char *vi,
    const char *en)
{
    char       vi_msg[256], en_msg[256];
    long long  v;

    if (host->expect(doc, ptr, DOSSIER_T_INTEGER, 1)
        && host->get_integer(doc, ptr, &v) == DOSSIER_OK
        && (v < 1 || v > max))
    {
        snprintf(vi_msg, sizeof(vi_msg), "%s %lld phải từ 1 đến %lld", vi, v,
                 max);
        snprintf(en_msg, sizeof(en_msg), "%s %lld must be 1 to %lld", en, v,
                 max);
        host->report_text(doc, ptr, code, vi_msg, en_msg);
    }
}


/* Checks one purpose code at ptr; 1 when it is known. */
static int
dd_purpose(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc, const char *ptr, const char **code)
{
    size_t  len;

    if (!host->expect(doc, ptr, DOSSIER_T_STRING, 1)) {
        return 0;
    }

    host->get_string(doc, ptr, code, &len);

    if (!host->list_has(st->purposes, *code, len)) {
        host->report(doc, ptr, "purpose",
                     "Mã mục đích sử dụng đất \"%s\" không hợp lệ",
                     "unknown land-use purpose code \"%s\"", *code);
        return 0;
    }

    return 1;
}


static void
dd_purposes(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc, double area)
{
    char         ptr[96];
    double       part, sum;
    size_t       i, j, n;
    const char  *seen[DD_PURPOSES_MAX], *code;

    if (!host->expect(doc, P "/ThuaDat/MucDichSuDung", DOSSIER_T_ARRAY, 1)) {
        return;
    }

    host->array_size(doc, P "/ThuaDat/MucDichSuDung", &n);

    if (n == 0 || n > DD_PURPOSES_MAX) {
        host->report(doc, P "/ThuaDat/MucDichSuDung", "purposes",
                     "Cần 1 đến %d mục đích sử dụng đất",
                     "1 to %d land-use purposes are needed",
                     DD_PURPOSES_MAX);
        return;
    }

    sum = 0;

    for (i = 0; i < n; i++) {
        snprintf(ptr, sizeof(ptr), P "/ThuaDat/MucDichSuDung/%zu/DienTich",
                 i);

        if (host->expect(doc, ptr, DOSSIER_T_NUMBER, 1)
            && host->get_number(doc, ptr, &part) == DOSSIER_OK)
        {
            if (part > 0) {
                sum += part;

            } else {
                host->report(doc, ptr, "area", "Diện tích phải lớn hơn 0",
                             "the area must be above 0");
                area = 0;
            }

        } else {
            area = 0;
        }

        snprintf(ptr, sizeof(ptr), P "/ThuaDat/MucDichSuDung/%zu/Ma", i);
        seen[i] = NULL;

        if (!dd_purpose(st, host, doc, ptr, &code)) {
            continue;
        }

        for (j = 0; j < i; j++) {
            if (seen[j] != NULL && strcmp(seen[j], code) == 0) {
                host->report(doc, ptr, "purpose_duplicate",
                             "Mục đích %s được kê khai hai lần",
                             "purpose %s is listed twice", code);
                break;
            }
        }

        seen[i] = code;
    }

    /* area 0: the parcel's or a part's area is already reported */
    if (area > 0 && (sum - area > DD_AREA_SLACK || area - sum > DD_AREA_SLACK))
    {
        host->report(doc, P "/ThuaDat/MucDichSuDung", "area_sum",
                     "Tổng diện tích theo mục đích %.1f m2 khác diện tích "
                     "thửa %.1f m2", "the purposes' areas add up to %.1f m2, "
                     "the parcel has %.1f m2", sum, area);
    }
}


static double
dd_area(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    double       area, tenths;
    const char  *ptr;

    ptr = P "/ThuaDat/DienTich";

    if (!host->expect(doc, ptr, DOSSIER_T_NUMBER, 1)) {
        return 0;
    }

    host->get_number(doc, ptr, &area);

    if (area < st->area_min || area > st->area_max) {
        host->report(doc, ptr, "area",
                     "Diện tích %g m2 phải từ %g đến %g m2",
                     "area %g m2 must be %g to %g m2",
                     area, st->area_min, st->area_max);
        return 0;
    }

    /* area is positive here; no libm, a plugin links nothing */
    tenths = area / DD_AREA_STEP;
    tenths -= (double) (long long) (tenths + 0.5);

    if (tenths > 1e-6 || tenths < -1e-6) {
        host->report(doc, ptr, "area_precision",
                     "Diện tích ghi đến 0,1 m2 (%g)",
                     "area is recorded to 0.1 m2 (%g)", area);
        return 0;
    }

    return area;
}


static void
dd_change(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    size_t       len;
    long long    n;
    const char  *s, *code;

    if (!host->expect(doc, P "/LoaiBienDong", DOSSIER_T_STRING, 1)) {
        return;
    }

    host->get_string(doc, P "/LoaiBienDong", &s, &len);

    if (!host->list_has(DD_CHANGES, s, len)) {
        host->report(doc, P "/LoaiBienDong", "change_type",
                     "Loại biến động \"%s\" không hợp lệ",
                     "unknown change type \"%s\"", s);
        return;
    }

    if (strcmp(s, "CHUYEN_MUC_DICH") == 0) {
        dd_purpose(st, host, doc, P "/MucDichMoi", &code);

    } else if (strcmp(s, "TACH_THUA") == 0
               && host->expect(doc, P "/SoThuaSauTach", DOSSIER_T_INTEGER, 1)
               && host->get_integer(doc, P "/SoThuaSauTach", &n)
                  == DOSSIER_OK
               && (n < 2 || n > 100))
    {
        host->report(doc, P "/SoThuaSauTach", "split_count",
                     "Tách thửa thành %lld thửa: cần từ 2 đến 100",
                     "a split into %lld parcels: 2 to 100 are needed", n);
    }
}


static int
dd_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    if (!host->expect(doc, P, DOSSIER_T_OBJECT, 1)) {
        return DOSSIER_OK;
    }

    if (host->expect(doc, P "/ThuaDat", DOSSIER_T_OBJECT, 1)) {
        dd_number(host, doc, P "/ThuaDat/SoToBanDo", st->sheet_max,
                  "map_sheet", "Số tờ bản đồ", "the map sheet number");
        dd_number(host, doc, P "/ThuaDat/SoThua", st->parcel_max,
                  "parcel", "Số thửa", "the parcel number");
        dd_purposes(st, host, doc, dd_area(st, host, doc));
    }

    dd_change(st, host, doc);

    return DOSSIER_OK;
}


static void
dd_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    if (st != NULL) {
        free(st->purposes);
        free(st);
    }
}


static int
dd_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    const char       *purposes;
    dossier_state_t  *st;

    st = calloc(1, sizeof(dossier_state_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return DOSSIER_ERROR;
    }

    purposes = host->config_get(ctx, "purposes");
    st->purposes = strdup(purposes != NULL ? purposes : DD_PURPOSES);

    if (st->purposes == NULL) {
        snprintf(err, errlen, "out of memory");
        dd_fini(st, host);
        return DOSSIER_ERROR;
    }

    if (host->config_integer(ctx, "sheet_max", 9999, 1, 999999,
                             &st->sheet_max) != DOSSIER_OK
        || host->config_integer(ctx, "parcel_max", 99999, 1, 9999999,
                                &st->parcel_max) != DOSSIER_OK
        || host->config_number(ctx, "area_min", 1, 0.1, 1e9,
                               &st->area_min) != DOSSIER_OK
        || host->config_number(ctx, "area_max", 5e6, 0.1, 1e9,
                               &st->area_max) != DOSSIER_OK)
    {
        dd_fini(st, host);
        return DOSSIER_ERROR;
    }

    if (st->area_min > st->area_max) {
        snprintf(err, errlen, "area_min %g is above area_max %g",
                 st->area_min, st->area_max);
        dd_fini(st, host);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}


DOSSIER_PLUGIN_MAGIC("dd", "1.0.0", "DD", dd_init, dd_validate, dd_fini)
