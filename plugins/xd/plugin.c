/*
 * XD: building permit for a detached house (giấy phép xây dựng nhà ở
 * riêng lẻ).  The plot, the footprint and the floor area must be
 * consistent; floors and height stay within the local planning limits
 * given in the configuration; the site address is needed to route the
 * dossier to the ward.
 */

#include <stdio.h>
#include <stdlib.h>

#include "dossier_plugin.h"

#define P  "/DuLieuChuyenNganh"

/* 4 * 2.2 is not 8.8 in binary: compare lengths to a micrometre */
#define XD_EPSILON  1e-6

struct dossier_state_s {
    long long  max_floors;
    double     max_height_m;
    double     plot_area_min;
    double     floor_height_min;
};


/* A required number: 1 when *v was read, else already reported. */
static int
xd_number(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *ptr, double *v)
{
    return host->expect(doc, ptr, DOSSIER_T_NUMBER, 1)
           && host->get_number(doc, ptr, v) == DOSSIER_OK;
}


static void
xd_code(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *ptr, size_t digits, const char *vi, const char *en)
{
    char         vi_msg[256], en_msg[256];
    size_t       len, i;
    const char  *s;

    if (!host->expect(doc, ptr, DOSSIER_T_STRING, 1)) {
        return;
    }

    host->get_string(doc, ptr, &s, &len);

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* void */
    }

    if (len != digits || i != len) {
        snprintf(vi_msg, sizeof(vi_msg), "%s phải gồm %zu chữ số", vi,
                 digits);
        snprintf(en_msg, sizeof(en_msg), "%s must be %zu digits", en, digits);
        host->report_text(doc, ptr, "address", vi_msg, en_msg);
    }
}


static void
xd_address(const dossier_plugin_host_t *host, dossier_doc_t *doc)
{
    size_t       len;
    const char  *s;

    if (!host->expect(doc, P "/DiaChiCongTrinh", DOSSIER_T_OBJECT, 1)) {
        return;
    }

    /* province and ward codes of the administrative unit list */
    xd_code(host, doc, P "/DiaChiCongTrinh/MaTinh", 2, "Mã tỉnh",
            "the province code");
    xd_code(host, doc, P "/DiaChiCongTrinh/MaXa", 5, "Mã xã",
            "the ward code");

    if (host->expect(doc, P "/DiaChiCongTrinh/DiaChiChiTiet",
                     DOSSIER_T_STRING, 1))
    {
        host->get_string(doc, P "/DiaChiCongTrinh/DiaChiChiTiet", &s, &len);

        if (len == 0 || len > 512) {
            host->report(doc, P "/DiaChiCongTrinh/DiaChiChiTiet", "address",
                         "Địa chỉ chi tiết phải có (tối đa 512 byte)",
                         "the street address is needed (at most 512 "
                         "bytes)");
        }
    }
}


static int
xd_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    double     plot, footprint, height, gross;
    long long  floors;

    if (!host->expect(doc, P, DOSSIER_T_OBJECT, 1)) {
        return DOSSIER_OK;
    }

    plot = 0;

    if (xd_number(host, doc, P "/DienTichLoDat", &plot)
        && (plot <= 0 || plot < st->plot_area_min))
    {
        host->report(doc, P "/DienTichLoDat", "plot_area",
                     "Diện tích lô đất %g m2 dưới mức tối thiểu %g m2",
                     "plot area %g m2 is below the minimum of %g m2",
                     plot, st->plot_area_min);
    }

    footprint = 0;

    if (xd_number(host, doc, P "/DienTichXayDung", &footprint)
        && (footprint <= 0 || (plot > 0 && footprint > plot)))
    {
        host->report(doc, P "/DienTichXayDung", "building_area",
                     "Diện tích xây dựng %g m2 phải lớn hơn 0 và không quá "
                     "diện tích lô đất %g m2", "building area %g m2 must be "
                     "above 0 and at most the plot area %g m2",
                     footprint, plot);
    }

    floors = 0;

    if (host->expect(doc, P "/SoTang", DOSSIER_T_INTEGER, 1)) {
        host->get_integer(doc, P "/SoTang", &floors);

        if (floors < 1 || floors > st->max_floors) {
            host->report(doc, P "/SoTang", "floors",
                         "Số tầng %lld phải từ 1 đến %lld",
                         "%lld floors: 1 to %lld are allowed",
                         floors, st->max_floors);
            floors = 0;
        }
    }

    if (!xd_number(host, doc, P "/ChieuCao", &height)) {
        /* reported */

    } else if (height <= 0 || height > st->max_height_m) {
        host->report(doc, P "/ChieuCao", "height",
                     "Chiều cao %g m phải lớn hơn 0 và không quá %g m",
                     "height %g m must be above 0 and at most %g m",
                     height, st->max_height_m);

    } else if (floors > 0
               && height + XD_EPSILON < floors * st->floor_height_min)
    {
        host->report(doc, P "/ChieuCao", "floor_height",
                     "Chiều cao %g m quá thấp cho %lld tầng (tối thiểu "
                     "%g m/tầng)", "height %g m is too low for %lld floors "
                     "(at least %g m a floor)", height, floors,
                     st->floor_height_min);
    }

    if (host->expect(doc, P "/TongDienTichSan", DOSSIER_T_NUMBER, 0)
        && host->get_number(doc, P "/TongDienTichSan", &gross) == DOSSIER_OK
        && (gross <= 0
            || (footprint > 0 && floors > 0
                && gross > footprint * floors + XD_EPSILON)))
    {
        host->report(doc, P "/TongDienTichSan", "floor_area",
                     "Tổng diện tích sàn %g m2 phải lớn hơn 0 và không quá "
                     "diện tích xây dựng nhân số tầng",
                     "gross floor area %g m2 must be above 0 and at most "
                     "the building area times the floors", gross);
    }

    xd_address(host, doc);

    return DOSSIER_OK;
}


static void
xd_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    free(st);
}


static int
xd_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    dossier_state_t  *st;

    st = calloc(1, sizeof(dossier_state_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return DOSSIER_ERROR;
    }

    if (host->config_integer(ctx, "max_floors", 7, 1, 200,
                             &st->max_floors) != DOSSIER_OK
        || host->config_number(ctx, "max_height_m", 25, 1, 1000,
                               &st->max_height_m) != DOSSIER_OK
        || host->config_number(ctx, "plot_area_min", 30, 0, 1e7,
                               &st->plot_area_min) != DOSSIER_OK
        || host->config_number(ctx, "floor_height_min", 2.2, 0, 10,
                               &st->floor_height_min) != DOSSIER_OK)
    {
        free(st);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}


DOSSIER_PLUGIN_MAGIC("xd", "1.0.0", "XD", xd_init, xd_validate, xd_fini)
