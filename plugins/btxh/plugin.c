/*
 * BTXH: monthly social allowance (trợ cấp xã hội hằng tháng, Decree
 * 20/2021/ND-CP).  The beneficiary's category decides the age range and
 * the extra conditions; the household's per-capita income must be under
 * the configured line; a bank transfer needs a usable account.
 */

/* strdup under -std=c99 too */
#define _POSIX_C_SOURCE  200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dossier_plugin.h"

#define P  "/DuLieuChuyenNganh"

/* NAPAS/VietQR short names of banks that pay allowances */
#define BTXH_BANKS  "VCB,BIDV,VBA,ICB,VBSP,TCB,MB,ACB,VPB,STB,LPB,SHB," \
                    "HDB,TPB,VIB,MSB,OCB,SEAB,EIB,NAB,ABB,BAB,PVCB"

#define BTXH_POOR         0x01      /* household on the poverty list */
#define BTXH_NO_PENSION   0x02      /* no pension or social insurance */
#define BTXH_DISABILITY   0x04      /* severe disability certified */
#define BTXH_CHILDREN     0x08      /* raising children under 16 */

#define BTXH_AGE_ANY      200

typedef struct {
    const char  *code;
    int          age_min;
    int          age_max;
    unsigned     needs;
    const char  *vi;
    const char  *en;
} btxh_category_t;

struct dossier_state_s {
    long long    income_max;
    long long    household_max;
    char        *bank_codes;
};


static const btxh_category_t  btxh_categories[] = {
    { "NCT80", 80, BTXH_AGE_ANY, BTXH_NO_PENSION,
      "người cao tuổi từ đủ 80 tuổi", "elderly aged 80 or over" },
    { "NCT60_NGHEO", 60, 79, BTXH_POOR,
      "người cao tuổi 60-79 tuổi thuộc hộ nghèo",
      "elderly aged 60 to 79 in a poor household" },
    { "TRE_MO_COI", 0, 15, 0,
      "trẻ em dưới 16 tuổi mồ côi", "orphaned child under 16" },
    { "KHUYET_TAT_NANG", 0, BTXH_AGE_ANY, BTXH_DISABILITY,
      "người khuyết tật nặng, đặc biệt nặng",
      "person with a severe disability" },
    { "DON_THAN_NGHEO", 16, BTXH_AGE_ANY, BTXH_POOR | BTXH_CHILDREN,
      "người đơn thân thuộc hộ nghèo nuôi con",
      "single parent in a poor household" }
};


static int
btxh_digits(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    return len > 0;
}


static const btxh_category_t *
btxh_category(const dossier_plugin_host_t *host, dossier_doc_t *doc)
{
    size_t       i, len;
    const char  *s;

    if (!host->expect(doc, P "/MaDoiTuong", DOSSIER_T_STRING, 1)) {
        return NULL;
    }

    host->get_string(doc, P "/MaDoiTuong", &s, &len);

    for (i = 0; i < sizeof(btxh_categories) / sizeof(btxh_categories[0]);
         i++)
    {
        if (strcmp(s, btxh_categories[i].code) == 0) {
            return &btxh_categories[i];
        }
    }

    host->report(doc, P "/MaDoiTuong", "category",
                 "Mã diện đối tượng \"%s\" không hợp lệ",
                 "unknown beneficiary category \"%s\"", s);
    return NULL;
}


/*
 * The beneficiary's birth date as yyyymmdd: their own NgaySinh, else the
 * applicant's when the applicant is the beneficiary.  0 when unknown or
 * already reported as wrong.
 */
static long
btxh_birth_date(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *id)
{
    size_t       len;
    int64_t      t;
    const char  *s, *ptr, *applicant;

    ptr = P "/DoiTuong/NgaySinh";

    if (!host->expect(doc, ptr, DOSSIER_T_STRING, 0)) {
        if (host->type(doc, ptr) != DOSSIER_T_ABSENT
            || host->get_string(doc, "/SoGiayToChuHoSo", &applicant, NULL)
               != DOSSIER_OK
            || id == NULL || strcmp(applicant, id) != 0)
        {
            return 0;
        }

        ptr = "/NgaySinhChuHoSo";

        if (host->type(doc, ptr) != DOSSIER_T_STRING) {
            return 0;
        }
    }

    host->get_string(doc, ptr, &s, &len);

    if (len != 8 || host->date_parse(s, len, &t) != DOSSIER_OK
        || t > host->now(doc))
    {
        host->report(doc, ptr, "birth_date",
                     "Ngày sinh \"%s\" không hợp lệ (yyyyMMdd, không ở "
                     "tương lai)", "birth date \"%s\" is not a past "
                     "yyyyMMdd date", s);
        return 0;
    }

    return host->date_ymd(t);
}


static void
btxh_beneficiary(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const btxh_category_t *cat)
{
    int          year, lo, hi;
    char         vi[256], en[256];
    long         birth, today;
    size_t       len;
    const char  *id, *name;

    if (!host->expect(doc, P "/DoiTuong", DOSSIER_T_OBJECT, 1)) {
        return;
    }

    if (host->expect(doc, P "/DoiTuong/HoTen", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/DoiTuong/HoTen", &name, &len);

        if (len == 0 || len > 256) {
            host->report(doc, P "/DoiTuong/HoTen", "beneficiary_name",
                         "Họ tên đối tượng phải có 1-256 ký tự",
                         "the beneficiary's name must be 1-256 characters");
        }
    }

    year = -1;
    id = NULL;
    today = host->date_ymd(host->now(doc));

    if (host->expect(doc, P "/DoiTuong/SoDinhDanh", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/DoiTuong/SoDinhDanh", &id, &len);
        year = host->cccd_birth_year(id, len);

        if (year < 0 || year > today / 10000) {
            host->report(doc, P "/DoiTuong/SoDinhDanh", "beneficiary_id",
                         "Số định danh \"%s\" của đối tượng không hợp lệ",
                         "the beneficiary's personal ID \"%s\" is not "
                         "valid", id);
            year = -1;
        }
    }

    birth = btxh_birth_date(host, doc, id);

    if (birth != 0 && year >= 0 && birth / 10000 != year) {
        host->report(doc, P "/DoiTuong/SoDinhDanh", "beneficiary_birth_year",
                     "Năm sinh %ld không khớp số định danh (%d)",
                     "birth year %ld does not match the personal ID (%d)",
                     birth / 10000, year);
        return;
    }

    if (cat == NULL || (birth == 0 && year < 0)) {
        return;
    }

    /* from the ID alone the age is one of two values */
    if (birth != 0) {
        lo = (int) ((today - birth) / 10000);
        hi = lo;

    } else {
        hi = (int) (today / 10000) - year;
        lo = hi - 1;
    }

    if (hi < cat->age_min || lo > cat->age_max) {
        snprintf(vi, sizeof(vi), "Tuổi %d không thuộc diện %s", hi, cat->vi);
        snprintf(en, sizeof(en), "age %d does not fit the category %s", hi,
                 cat->en);
        host->report_text(doc, P "/MaDoiTuong", "age_category", vi, en);

    } else if (lo < cat->age_min || hi > cat->age_max) {
        snprintf(vi, sizeof(vi), "Cần ngày sinh để xác định tuổi %d hay %d",
                 lo, hi);
        snprintf(en, sizeof(en), "birth date needed: age %d or %d decides "
                 "the category %s", lo, hi, cat->en);
        host->report_text(doc, P "/DoiTuong/NgaySinh", "birth_date_required",
                          vi, en);
    }
}


/* A boolean condition the category needs: required, and must equal want. */
static void
btxh_condition(const dossier_plugin_host_t *host, dossier_doc_t *doc,
    const char *ptr, int needed, int want, const char *code,
    const char *vi, const char *en)
{
    int  v;

    if (host->expect(doc, ptr, DOSSIER_T_BOOLEAN, needed)
        && needed && host->get_boolean(doc, ptr, &v) == DOSSIER_OK
        && v != want)
    {
        host->report_text(doc, ptr, code, vi, en);
    }
}


static void
btxh_household(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc, const btxh_category_t *cat)
{
    size_t       len;
    unsigned     needs;
    long long    v;
    const char  *s;

    needs = cat != NULL ? cat->needs : 0;

    btxh_condition(host, doc, P "/HoNgheo", needs & BTXH_POOR, 1,
                   "poor_household_required",
                   "Diện này yêu cầu hộ nghèo",
                   "this category requires a poor household");

    btxh_condition(host, doc, P "/CoLuongHuu", needs & BTXH_NO_PENSION, 0,
                   "has_pension",
                   "Người hưởng lương hưu, trợ cấp BHXH không thuộc diện này",
                   "a pension or social insurance allowance excludes this "
                   "category");

    if (host->expect(doc, P "/MucDoKhuyetTat", DOSSIER_T_STRING,
                     needs & BTXH_DISABILITY)
        && (needs & BTXH_DISABILITY))
    {
        host->get_string(doc, P "/MucDoKhuyetTat", &s, &len);

        if (strcmp(s, "NANG") != 0 && strcmp(s, "DAC_BIET_NANG") != 0) {
            host->report(doc, P "/MucDoKhuyetTat", "disability_level",
                         "Mức độ khuyết tật phải là NANG hoặc DAC_BIET_NANG",
                         "disability level must be NANG or DAC_BIET_NANG");
        }
    }

    if (host->expect(doc, P "/SoConDuoi16", DOSSIER_T_INTEGER,
                     needs & BTXH_CHILDREN)
        && host->get_integer(doc, P "/SoConDuoi16", &v) == DOSSIER_OK
        && (v < 0 || ((needs & BTXH_CHILDREN) && v < 1) || v > 30))
    {
        host->report(doc, P "/SoConDuoi16", "children",
                     "Số con dưới 16 tuổi %lld không hợp lệ",
                     "number of children under 16 %lld is not valid", v);
    }

    if (host->expect(doc, P "/ThuNhapBinhQuan", DOSSIER_T_INTEGER, 1)) {
        host->get_integer(doc, P "/ThuNhapBinhQuan", &v);

        if (v < 0) {
            host->report(doc, P "/ThuNhapBinhQuan", "income_invalid",
                         "Thu nhập bình quân không được âm",
                         "per-capita income cannot be negative");

        } else if (v > st->income_max) {
            host->report(doc, P "/ThuNhapBinhQuan", "income_above_threshold",
                         "Thu nhập bình quân %lld đồng/người/tháng vượt mức "
                         "%lld", "per-capita income %lld VND a month is "
                         "above the line of %lld", v, st->income_max);
        }
    }

    if (host->expect(doc, P "/SoNhanKhau", DOSSIER_T_INTEGER, 1)) {
        host->get_integer(doc, P "/SoNhanKhau", &v);

        if (v < 1 || v > st->household_max) {
            host->report(doc, P "/SoNhanKhau", "household_size",
                         "Số nhân khẩu %lld phải từ 1 đến %lld",
                         "household size %lld must be 1 to %lld",
                         v, st->household_max);
        }
    }
}


static void
btxh_payment(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    size_t       len;
    long long    method;
    const char  *s;

    if (!host->expect(doc, P "/HinhThucChiTra", DOSSIER_T_INTEGER, 1)) {
        return;
    }

    host->get_integer(doc, P "/HinhThucChiTra", &method);

    /* 1 cash, 2 bank transfer, 3 through the post office */
    if (method < 1 || method > 3) {
        host->report(doc, P "/HinhThucChiTra", "payment_method",
                     "Hình thức chi trả %lld không hợp lệ (1, 2, 3)",
                     "payment method %lld is not 1, 2 or 3", method);
        return;
    }

    if (method != 2
        || !host->expect(doc, P "/TaiKhoan", DOSSIER_T_OBJECT, 1))
    {
        return;
    }

    if (host->expect(doc, P "/TaiKhoan/SoTaiKhoan", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/TaiKhoan/SoTaiKhoan", &s, &len);

        if (len < 6 || len > 19 || !btxh_digits(s, len)) {
            host->report(doc, P "/TaiKhoan/SoTaiKhoan", "bank_account",
                         "Số tài khoản phải gồm 6-19 chữ số",
                         "a bank account number is 6-19 digits");
        }
    }

    if (host->expect(doc, P "/TaiKhoan/MaNganHang", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/TaiKhoan/MaNganHang", &s, &len);

        /* a short name, a NAPAS BIN (970xxx) or an SBV 8-digit bank code */
        if (!host->list_has(st->bank_codes, s, len)
            && !(len == 6 && btxh_digits(s, len) && memcmp(s, "970", 3) == 0)
            && !(len == 8 && btxh_digits(s, len)))
        {
            host->report(doc, P "/TaiKhoan/MaNganHang", "bank_code",
                         "Mã ngân hàng \"%s\" không hợp lệ",
                         "unknown bank code \"%s\"", s);
        }
    }
}


static int
btxh_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    const btxh_category_t  *cat;

    if (!host->expect(doc, P, DOSSIER_T_OBJECT, 1)) {
        return DOSSIER_OK;
    }

    cat = btxh_category(host, doc);

    btxh_beneficiary(host, doc, cat);
    btxh_household(st, host, doc, cat);
    btxh_payment(st, host, doc);

    return DOSSIER_OK;
}


static void
btxh_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    if (st != NULL) {
        free(st->bank_codes);
        free(st);
    }
}


static int
btxh_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    const char       *banks;
    dossier_state_t  *st;

    st = calloc(1, sizeof(dossier_state_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return DOSSIER_ERROR;
    }

    banks = host->config_get(ctx, "bank_codes");
    st->bank_codes = strdup(banks != NULL ? banks : BTXH_BANKS);

    if (st->bank_codes == NULL) {
        snprintf(err, errlen, "out of memory");
        btxh_fini(st, host);
        return DOSSIER_ERROR;
    }

    if (host->config_integer(ctx, "income_max", 1500000, 0, 1000000000000LL,
                             &st->income_max) != DOSSIER_OK
        || host->config_integer(ctx, "household_max", 30, 1, 1000,
                                &st->household_max) != DOSSIER_OK)
    {
        btxh_fini(st, host);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}


DOSSIER_PLUGIN_MAGIC("btxh", "1.0.0", "BTXH",
                     btxh_init, btxh_validate, btxh_fini)
