/*
 * The shipped sector plugins, rule by rule, at their boundaries.  Each test
 * edits a valid dossier of the sector and runs the plugin as the gateway
 * does (dg_plugins_run) with the clock fixed at 2025-06-15 10:00:00 in
 * Ho Chi Minh City.  The plugins come from build/plugins (make plugins),
 * or from $DG_PLUGIN_DIR.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_json.h"
#include "dg_plugin.h"
#include "unit.h"

#define NOW     1749956400      /* 20250615100000 +07:00 */
#define ERRLEN  512
#define DEL     NULL            /* as an edit's value: remove the member */


static const char  *btxh_base =
    "{\"SoGiayToChuHoSo\": \"001040012345\","
    " \"NgaySinhChuHoSo\": \"19400310\","
    " \"DuLieuChuyenNganh\": {"
    "  \"MaDoiTuong\": \"NCT80\","
    "  \"DoiTuong\": {\"HoTen\": \"Nguyễn Văn An\","
    "                \"SoDinhDanh\": \"001040012345\","
    "                \"NgaySinh\": \"19400310\"},"
    "  \"CoLuongHuu\": false, \"HoNgheo\": false,"
    "  \"ThuNhapBinhQuan\": 1200000, \"SoNhanKhau\": 3,"
    "  \"HinhThucChiTra\": 2,"
    "  \"TaiKhoan\": {\"SoTaiKhoan\": \"0123456789\","
    "                \"MaNganHang\": \"VBA\"}}}";

static const char  *ht_base =
    "{\"DuLieuChuyenNganh\": {"
    "  \"Tre\": {\"HoTen\": \"Trần Thị Bình\", \"NgaySinh\": \"20250601\","
    "           \"GioiTinh\": 2,"
    "           \"NoiSinh\": \"Bệnh viện Phụ sản Hà Nội\"},"
    "  \"Me\": {\"HoTen\": \"Lê Thị Cúc\", \"SoDinhDanh\": \"001195012345\"},"
    "  \"Cha\": {\"HoTen\": \"Trần Văn Dũng\","
    "           \"SoDinhDanh\": \"001093012345\"}}}";

static const char  *dd_base =
    "{\"DuLieuChuyenNganh\": {"
    "  \"ThuaDat\": {\"SoToBanDo\": 12, \"SoThua\": 345, \"DienTich\": 150.5,"
    "    \"MucDichSuDung\": [{\"Ma\": \"ONT\", \"DienTich\": 100.0},"
    "                        {\"Ma\": \"CLN\", \"DienTich\": 50.5}]},"
    "  \"LoaiBienDong\": \"CHUYEN_NHUONG\"}}";

static const char  *xd_base =
    "{\"DuLieuChuyenNganh\": {"
    "  \"DienTichLoDat\": 80, \"DienTichXayDung\": 64, \"SoTang\": 4,"
    "  \"ChieuCao\": 15.5, \"TongDienTichSan\": 250,"
    "  \"DiaChiCongTrinh\": {\"MaTinh\": \"01\", \"MaXa\": \"00004\","
    "    \"DiaChiChiTiet\": \"Số 12 ngõ 34 phố Kim Mã\"}}}";

static const char  *hkd_base =
    "{\"DuLieuChuyenNganh\": {"
    "  \"TenHoKinhDoanh\": \"Hộ kinh doanh Phở Thìn\","
    "  \"VonKinhDoanh\": 200000000, \"NganhNghe\": [\"5610\", \"56101\"],"
    "  \"SoLaoDong\": 5,"
    "  \"DiaDiemKinhDoanh\": \"13 Lò Đúc, Hai Bà Trưng, Hà Nội\"}}";


static dg_plugin_registry_t  *defaults;


static void
rules_cleanup(void)
{
    dg_plugins_free(defaults);
}


static void
rules_quiet(void *data, int level, const char *plugin, const char *msg)
{
}


static const char *
rules_path(const char *name, char *buf, size_t size)
{
    const char  *dir;

    dir = getenv("DG_PLUGIN_DIR");
    snprintf(buf, size, "%s/%s.so", dir != NULL ? dir : "build/plugins",
             name);

    return buf;
}


/* Adds plugin <name>.so loaded with kv to reg (a new one when NULL). */
static dg_plugin_registry_t *
rules_load(dg_plugin_registry_t *reg, const char *name,
    const char *const *kv, size_t n)
{
    char          path[512], err[ERRLEN];
    dg_plugin_t  *p;

    rules_path(name, path, sizeof(path));
    dg_plugin_set_log(rules_quiet, NULL);

    if (reg == NULL) {
        reg = dg_plugins_create();
        CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
    }

    p = dg_plugin_load(path, kv, n, err, sizeof(err));

    if (p == NULL || dg_plugins_add(reg, p, err, sizeof(err)) != 0) {
        fprintf(stderr, "\n%s\n", err);
        dg_plugin_unload(p);
        CU_FAIL_FATAL("plugin did not load");
    }

    return reg;
}


static dg_plugin_registry_t *
rules_defaults(void)
{
    static const char  *names[] = { "btxh", "ht", "dd", "xd", "hkd" };
    size_t              i;

    if (defaults == NULL) {
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            defaults = rules_load(defaults, names[i], NULL, 0);
        }

        atexit(rules_cleanup);
    }

    return defaults;
}


/* Sets (or with DEL removes) the member a pointer names; "/a/b" only. */
static void
rules_edit(json_t *root, const char *pointer, const char *value)
{
    char         parent[256];
    json_t      *obj, *v;
    const char  *key;

    key = strrchr(pointer, '/');
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);

    snprintf(parent, sizeof(parent), "%.*s", (int) (key - pointer), pointer);
    key++;

    obj = dg_json_pointer_get(root, parent);
    CU_ASSERT_PTR_NOT_NULL_FATAL(obj);

    if (json_is_array(obj)) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(value);
        v = json_loads(value, JSON_DECODE_ANY, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        CU_ASSERT_EQUAL(json_array_set_new(obj, atoi(key), v), 0);
        return;
    }

    if (value == DEL) {
        json_object_del(obj, key);
        return;
    }

    v = json_loads(value, JSON_DECODE_ANY, NULL);
    if (v == NULL) {
        fprintf(stderr, "\nbad test value %s\n", value);
    }

    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    json_object_set_new(obj, key, v);
}


/*
 * Runs reg for sector over base with the edits (pointer, value pairs, a
 * NULL pointer ends them); returns the codes joined with ',', and the
 * first message in *message if asked.
 */
static const char *
rules_vrun(dg_plugin_registry_t *reg, const char *sector, const char *base,
    char *message, va_list args)
{
    int            rc;
    size_t         i;
    json_t        *root;
    const char    *ptr;
    static char    buf[2048];
    dg_problems_t  problems;

    root = json_loads(base, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);

    for ( ;; ) {
        ptr = va_arg(args, const char *);
        if (ptr == NULL) {
            break;
        }

        rules_edit(root, ptr, va_arg(args, const char *));
    }

    dg_problems_init(&problems);
    rc = dg_plugins_run(reg, sector, root, NOW, &problems);
    CU_ASSERT_EQUAL(rc, (int) problems.n);

    buf[0] = '\0';

    for (i = 0; i < problems.n; i++) {
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
                 i > 0 ? "," : "", problems.items[i].code);

        /* a message whose English format took the wrong argument */
        CU_ASSERT_PTR_NULL(strstr(problems.items[i].message, "(null)"));
        CU_ASSERT_PTR_NOT_NULL(strstr(problems.items[i].message, " / "));
    }

    if (message != NULL) {
        snprintf(message, 512, "%s", problems.n > 0
                 ? problems.items[0].message : "");
    }

    dg_problems_free(&problems);
    json_decref(root);

    return buf;
}


static const char *
rules_run(dg_plugin_registry_t *reg, const char *sector, const char *base,
    char *message, ...)
{
    va_list      args;
    const char  *codes;

    va_start(args, message);
    codes = rules_vrun(reg, sector, base, message, args);
    va_end(args);

    return codes;
}


/* A JSON string: prefix, then unit n times (static buffer). */
static const char *
rules_repeat(const char *prefix, const char *unit, int n)
{
    int          i;
    size_t       len;
    static char  buf[1024];

    len = (size_t) snprintf(buf, sizeof(buf), "\"%s", prefix);

    for (i = 0; i < n && len + strlen(unit) + 2 < sizeof(buf); i++) {
        memcpy(buf + len, unit, strlen(unit));
        len += strlen(unit);
    }

    memcpy(buf + len, "\"", 2);

    return buf;
}


static int
rules_expect(const char *file, int line, const char *got, const char *want)
{
    if (strcmp(got, want) == 0) {
        return 1;
    }

    fprintf(stderr, "\n%s:%d: got \"%s\", want \"%s\"\n", file, line, got,
            want);
    return 0;
}


/* CHECK(sector, base, "codes", pointer, value, ...) with default settings */
#define CHECK(sector, base, want, ...)                                        \
    CU_ASSERT(rules_expect(__FILE__, __LINE__,                                \
              rules_run(rules_defaults(), sector, base, NULL,                 \
                        ##__VA_ARGS__, NULL), want))

#define CHECK_WITH(reg, sector, base, want, ...)                              \
    CU_ASSERT(rules_expect(__FILE__, __LINE__,                                \
              rules_run(reg, sector, base, NULL, ##__VA_ARGS__, NULL), want))

#define CHECK_MESSAGE(sector, base, want, ...)                                \
    do {                                                                      \
        char  m_[512];                                                        \
        rules_run(rules_defaults(), sector, base, m_, ##__VA_ARGS__, NULL);   \
        CU_ASSERT(rules_expect(__FILE__, __LINE__, m_, want));                \
    } while (0)

#define P  "/DuLieuChuyenNganh"


static void
test_btxh_income(void)
{
    const char             *kv[] = { "income_max=2000000" };
    dg_plugin_registry_t   *reg;

    CHECK("BTXH", btxh_base, "");
    CHECK("BTXH", btxh_base, "", P "/ThuNhapBinhQuan", "1500000");
    CHECK("BTXH", btxh_base, "btxh.income_above_threshold",
          P "/ThuNhapBinhQuan", "1500001");
    CHECK("BTXH", btxh_base, "", P "/ThuNhapBinhQuan", "0");
    CHECK("BTXH", btxh_base, "btxh.income_invalid",
          P "/ThuNhapBinhQuan", "-1");
    CHECK("BTXH", btxh_base, "btxh.type", P "/ThuNhapBinhQuan", "\"1200\"");
    CHECK("BTXH", btxh_base, "btxh.type", P "/ThuNhapBinhQuan", "1200.5");
    CHECK("BTXH", btxh_base, "btxh.required", P "/ThuNhapBinhQuan", DEL);

    CHECK_MESSAGE("BTXH", btxh_base,
                  "Thu nhập bình quân 1500001 đồng/người/tháng vượt mức "
                  "1500000 / per-capita income 1500001 VND a month is above "
                  "the line of 1500000", P "/ThuNhapBinhQuan", "1500001");

    reg = rules_load(NULL, "btxh", kv, 1);
    CHECK_WITH(reg, "BTXH", btxh_base, "", P "/ThuNhapBinhQuan", "2000000");
    CHECK_WITH(reg, "BTXH", btxh_base, "btxh.income_above_threshold",
               P "/ThuNhapBinhQuan", "2000001");
    dg_plugins_free(reg);
}


static void
test_btxh_household(void)
{
    CHECK("BTXH", btxh_base, "btxh.household_size", P "/SoNhanKhau", "0");
    CHECK("BTXH", btxh_base, "", P "/SoNhanKhau", "1");
    CHECK("BTXH", btxh_base, "", P "/SoNhanKhau", "30");
    CHECK("BTXH", btxh_base, "btxh.household_size", P "/SoNhanKhau", "31");
    CHECK("BTXH", btxh_base, "btxh.required", P "/SoNhanKhau", DEL);

    CHECK("BTXH", btxh_base, "btxh.has_pension", P "/CoLuongHuu", "true");
    CHECK("BTXH", btxh_base, "btxh.required", P "/CoLuongHuu", DEL);
    CHECK("BTXH", btxh_base, "btxh.type", P "/CoLuongHuu", "0");

    /* the poverty flag only matters to the categories that need it */
    CHECK("BTXH", btxh_base, "", P "/HoNgheo", DEL);
    CHECK("BTXH", btxh_base, "btxh.type", P "/HoNgheo", "\"co\"");
}


static void
test_btxh_category(void)
{
    CHECK("BTXH", btxh_base, "btxh.category", P "/MaDoiTuong", "\"NCT\"");
    CHECK("BTXH", btxh_base, "btxh.required", P "/MaDoiTuong", DEL);
    CHECK("BTXH", btxh_base, "btxh.type", P "/MaDoiTuong", "80");

    /* NCT80: 80 today, not 79 */
    CHECK("BTXH", btxh_base, "",
          P "/DoiTuong/SoDinhDanh", "\"001045012345\"",
          P "/DoiTuong/NgaySinh", "\"19450615\"");
    CHECK("BTXH", btxh_base, "btxh.age_category",
          P "/DoiTuong/SoDinhDanh", "\"001045012345\"",
          P "/DoiTuong/NgaySinh", "\"19450616\"");

    /* NCT60_NGHEO: 60 to 79, poor household */
    CHECK("BTXH", btxh_base, "",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"", P "/HoNgheo", "true",
          P "/DoiTuong/SoDinhDanh", "\"001065012345\"",
          P "/DoiTuong/NgaySinh", "\"19650615\"");
    CHECK("BTXH", btxh_base, "btxh.age_category",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"", P "/HoNgheo", "true",
          P "/DoiTuong/SoDinhDanh", "\"001065012345\"",
          P "/DoiTuong/NgaySinh", "\"19650616\"");
    CHECK("BTXH", btxh_base, "",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"", P "/HoNgheo", "true",
          P "/DoiTuong/SoDinhDanh", "\"001045012345\"",
          P "/DoiTuong/NgaySinh", "\"19450616\"");
    CHECK("BTXH", btxh_base, "btxh.age_category",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"", P "/HoNgheo", "true",
          P "/DoiTuong/SoDinhDanh", "\"001045012345\"",
          P "/DoiTuong/NgaySinh", "\"19450615\"");
    CHECK("BTXH", btxh_base, "btxh.poor_household_required",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"",
          P "/DoiTuong/SoDinhDanh", "\"001065012345\"",
          P "/DoiTuong/NgaySinh", "\"19650615\"");
    CHECK("BTXH", btxh_base, "btxh.required",
          P "/MaDoiTuong", "\"NCT60_NGHEO\"", P "/HoNgheo", DEL,
          P "/DoiTuong/SoDinhDanh", "\"001065012345\"",
          P "/DoiTuong/NgaySinh", "\"19650615\"");

    /* TRE_MO_COI: under 16 */
    CHECK("BTXH", btxh_base, "",
          P "/MaDoiTuong", "\"TRE_MO_COI\"",
          P "/DoiTuong/SoDinhDanh", "\"001209012345\"",
          P "/DoiTuong/NgaySinh", "\"20090616\"");
    CHECK("BTXH", btxh_base, "btxh.age_category",
          P "/MaDoiTuong", "\"TRE_MO_COI\"",
          P "/DoiTuong/SoDinhDanh", "\"001209012345\"",
          P "/DoiTuong/NgaySinh", "\"20090615\"");

    /* KHUYET_TAT_NANG: any age, a severe disability */
    CHECK("BTXH", btxh_base, "",
          P "/MaDoiTuong", "\"KHUYET_TAT_NANG\"",
          P "/MucDoKhuyetTat", "\"DAC_BIET_NANG\"");
    CHECK("BTXH", btxh_base, "btxh.disability_level",
          P "/MaDoiTuong", "\"KHUYET_TAT_NANG\"",
          P "/MucDoKhuyetTat", "\"NHE\"");
    CHECK("BTXH", btxh_base, "btxh.required",
          P "/MaDoiTuong", "\"KHUYET_TAT_NANG\"");

    /* DON_THAN_NGHEO: poor household, children under 16 */
    CHECK("BTXH", btxh_base, "",
          P "/MaDoiTuong", "\"DON_THAN_NGHEO\"", P "/HoNgheo", "true",
          P "/SoConDuoi16", "1");
    CHECK("BTXH", btxh_base, "btxh.children",
          P "/MaDoiTuong", "\"DON_THAN_NGHEO\"", P "/HoNgheo", "true",
          P "/SoConDuoi16", "0");
    CHECK("BTXH", btxh_base, "btxh.required",
          P "/MaDoiTuong", "\"DON_THAN_NGHEO\"", P "/HoNgheo", "true");
}


static void
test_btxh_age_from_id(void)
{
    /* the ID alone gives two possible ages: decided only when both fit */
    CHECK("BTXH", btxh_base, "",
          P "/DoiTuong/SoDinhDanh", "\"001044012345\"",
          P "/DoiTuong/NgaySinh", DEL);
    CHECK("BTXH", btxh_base, "btxh.birth_date_required",
          P "/DoiTuong/SoDinhDanh", "\"001045012345\"",
          P "/DoiTuong/NgaySinh", DEL);
    CHECK("BTXH", btxh_base, "btxh.age_category",
          P "/DoiTuong/SoDinhDanh", "\"001046012345\"",
          P "/DoiTuong/NgaySinh", DEL);

    /* the applicant is the beneficiary: the applicant's birth date */
    CHECK("BTXH", btxh_base, "", P "/DoiTuong/NgaySinh", DEL);
    CHECK("BTXH", btxh_base, "btxh.beneficiary_birth_year",
          P "/DoiTuong/NgaySinh", DEL, "/NgaySinhChuHoSo", "\"19410310\"");

    CHECK("BTXH", btxh_base, "btxh.beneficiary_birth_year",
          P "/DoiTuong/NgaySinh", "\"19410310\"");
}


static void
test_btxh_beneficiary(void)
{
    CHECK("BTXH", btxh_base, "btxh.beneficiary_id",
          P "/DoiTuong/SoDinhDanh", "\"12345\"");
    CHECK("BTXH", btxh_base, "btxh.beneficiary_id",
          P "/DoiTuong/SoDinhDanh", "\"099040012345\"");
    CHECK("BTXH", btxh_base, "btxh.beneficiary_id",
          P "/DoiTuong/SoDinhDanh", "\"001226012345\"");
    CHECK("BTXH", btxh_base, "btxh.required",
          P "/DoiTuong/SoDinhDanh", DEL);
    CHECK("BTXH", btxh_base, "btxh.required", P "/DoiTuong", DEL);
    CHECK("BTXH", btxh_base, "btxh.beneficiary_name",
          P "/DoiTuong/HoTen", "\"\"");
    CHECK("BTXH", btxh_base, "btxh.birth_date",
          P "/DoiTuong/NgaySinh", "\"19401332\"");
    CHECK("BTXH", btxh_base, "btxh.birth_date",
          P "/DoiTuong/NgaySinh", "\"20300101\"");
    CHECK("BTXH", btxh_base, "btxh.type", P "/DoiTuong/NgaySinh", "1940");

    CHECK("BTXH", "{}", "btxh.required");
    CHECK("BTXH", "{\"DuLieuChuyenNganh\": []}", "btxh.type");
}


static void
test_btxh_payment(void)
{
    const char             *kv[] = { "bank_codes=ABC,VBA" };
    dg_plugin_registry_t   *reg;

    CHECK("BTXH", btxh_base, "btxh.payment_method",
          P "/HinhThucChiTra", "4");
    CHECK("BTXH", btxh_base, "btxh.payment_method",
          P "/HinhThucChiTra", "0");
    CHECK("BTXH", btxh_base, "", P "/HinhThucChiTra", "1",
          P "/TaiKhoan", DEL);
    CHECK("BTXH", btxh_base, "", P "/HinhThucChiTra", "3");
    CHECK("BTXH", btxh_base, "btxh.required", P "/TaiKhoan", DEL);

    CHECK("BTXH", btxh_base, "btxh.bank_account",
          P "/TaiKhoan/SoTaiKhoan", "\"12345\"");
    CHECK("BTXH", btxh_base, "", P "/TaiKhoan/SoTaiKhoan", "\"123456\"");
    CHECK("BTXH", btxh_base, "",
          P "/TaiKhoan/SoTaiKhoan", "\"1234567890123456789\"");
    CHECK("BTXH", btxh_base, "btxh.bank_account",
          P "/TaiKhoan/SoTaiKhoan", "\"12345678901234567890\"");
    CHECK("BTXH", btxh_base, "btxh.bank_account",
          P "/TaiKhoan/SoTaiKhoan", "\"12345a7\"");

    CHECK("BTXH", btxh_base, "", P "/TaiKhoan/MaNganHang", "\"970405\"");
    CHECK("BTXH", btxh_base, "", P "/TaiKhoan/MaNganHang", "\"01203001\"");
    CHECK("BTXH", btxh_base, "btxh.bank_code",
          P "/TaiKhoan/MaNganHang", "\"960405\"");
    CHECK("BTXH", btxh_base, "btxh.bank_code",
          P "/TaiKhoan/MaNganHang", "\"0120300\"");
    CHECK("BTXH", btxh_base, "btxh.bank_code",
          P "/TaiKhoan/MaNganHang", "\"VB\"");

    reg = rules_load(NULL, "btxh", kv, 1);
    CHECK_WITH(reg, "BTXH", btxh_base, "", P "/TaiKhoan/MaNganHang",
               "\"ABC\"");
    CHECK_WITH(reg, "BTXH", btxh_base, "btxh.bank_code",
               P "/TaiKhoan/MaNganHang", "\"VCB\"");
    dg_plugins_free(reg);
}


static void
test_btxh_many(void)
{
    /* every failed rule is listed, in the plugin's order */
    CHECK("BTXH", btxh_base,
          "btxh.beneficiary_id,btxh.has_pension,btxh.income_above_threshold,"
          "btxh.household_size,btxh.bank_code",
          P "/DoiTuong/SoDinhDanh", "\"1\"", P "/CoLuongHuu", "true",
          P "/ThuNhapBinhQuan", "9000000", P "/SoNhanKhau", "0",
          P "/TaiKhoan/MaNganHang", "\"?\"", P "/DoiTuong/NgaySinh", DEL);

    /* other sectors are not this plugin's */
    CHECK("HT", btxh_base, "ht.required,ht.required",
          P "/ThuNhapBinhQuan", "9000000");
    CHECK("CT", btxh_base, "", P "/ThuNhapBinhQuan", "9000000");
}


static void
test_ht_child(void)
{
    CHECK("HT", ht_base, "");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\"Bình\"");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\"Trần  Bình\"");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\" Trần Bình\"");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\"Trần Bình \"");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\"Trần Bình2\"");
    CHECK("HT", ht_base, "ht.child_name", P "/Tre/HoTen", "\"Trần B.\"");
    CHECK("HT", ht_base, "",
          P "/Tre/HoTen", "\"Đ Ư\"");
    CHECK("HT", ht_base, "",
          P "/Tre/HoTen", rules_repeat("Lê ", "Ư", 97));
    CHECK("HT", ht_base, "ht.child_name",
          P "/Tre/HoTen", rules_repeat("Lê ", "Ư", 98));

    CHECK("HT", ht_base, "ht.child_gender", P "/Tre/GioiTinh", "3");
    CHECK("HT", ht_base, "ht.required", P "/Tre/GioiTinh", DEL);
    CHECK("HT", ht_base, "ht.place_of_birth", P "/Tre/NoiSinh", "\"\"");
    CHECK("HT", ht_base, "ht.required", P "/Tre/NoiSinh", DEL);
    CHECK("HT", ht_base, "ht.required", P "/Tre", DEL);
}


static void
test_ht_birth_date(void)
{
    const char             *kv[] = { "registration_days=90" };
    dg_plugin_registry_t   *reg;

    CHECK("HT", ht_base, "", P "/Tre/NgaySinh", "\"20250615\"");
    CHECK("HT", ht_base, "ht.birth_date_future",
          P "/Tre/NgaySinh", "\"20250616\"");
    CHECK("HT", ht_base, "ht.birth_date", P "/Tre/NgaySinh", "\"20250230\"");
    CHECK("HT", ht_base, "ht.birth_date", P "/Tre/NgaySinh", "\"2025061\"");
    CHECK("HT", ht_base, "ht.required", P "/Tre/NgaySinh", DEL);

    /* 60 days after the day of birth is the last day */
    CHECK("HT", ht_base, "", P "/Tre/NgaySinh", "\"20250416\"");
    CHECK("HT", ht_base, "ht.late_registration_required",
          P "/Tre/NgaySinh", "\"20250415\"");
    CHECK("HT", ht_base, "", P "/Tre/NgaySinh", "\"20250415\"",
          P "/DangKyMuon", "true");
    CHECK("HT", ht_base, "ht.late_registration_required",
          P "/Tre/NgaySinh", "\"20250415\"", P "/DangKyMuon", "false");

    CHECK_MESSAGE("HT", ht_base,
                  "Quá 60 ngày kể từ ngày sinh: phải đăng ký khai sinh quá "
                  "hạn (DangKyMuon = true) / more than 60 days after the "
                  "birth: a late registration (DangKyMuon = true) is "
                  "required", P "/Tre/NgaySinh", "\"20250415\"");

    reg = rules_load(NULL, "ht", kv, 1);
    CHECK_WITH(reg, "HT", ht_base, "", P "/Tre/NgaySinh", "\"20250415\"");
    CHECK_WITH(reg, "HT", ht_base, "ht.late_registration_required",
               P "/Tre/NgaySinh", "\"20250316\"");
    dg_plugins_free(reg);
}


static void
test_ht_parents(void)
{
    const char             *kv[] = { "parent_age_min=14",
                                     "mother_age_max=50" };
    dg_plugin_registry_t   *reg;

    CHECK("HT", ht_base, "ht.required", P "/Me", DEL);
    CHECK("HT", ht_base, "ht.mother_id", P "/Me/SoDinhDanh", "\"123\"");
    CHECK("HT", ht_base, "ht.mother_id",
          P "/Me/SoDinhDanh", "\"099195012345\"");
    CHECK("HT", ht_base, "ht.parent_name", P "/Me/HoTen", "\"\"");

    /* mother 12 to 60 at the birth (by birth year) */
    CHECK("HT", ht_base, "", P "/Me/SoDinhDanh", "\"001313012345\"");
    CHECK("HT", ht_base, "ht.mother_age",
          P "/Me/SoDinhDanh", "\"001314012345\"");
    CHECK("HT", ht_base, "", P "/Me/SoDinhDanh", "\"001165012345\"");
    CHECK("HT", ht_base, "ht.mother_age",
          P "/Me/SoDinhDanh", "\"001164012345\"");
    CHECK("HT", ht_base, "ht.parent_birth_year",
          P "/Me/SoDinhDanh", "\"001325012345\"");

    CHECK_MESSAGE("HT", ht_base,
                  "Tuổi 11 khi sinh con không hợp lý (mẹ) / age 11 at the "
                  "birth is not plausible (mother)",
                  P "/Me/SoDinhDanh", "\"001314012345\"");

    /* the father is optional, but checked when given */
    CHECK("HT", ht_base, "", P "/Cha", DEL);
    CHECK("HT", ht_base, "ht.required", P "/Cha/SoDinhDanh", DEL);
    CHECK("HT", ht_base, "ht.father_id", P "/Cha/SoDinhDanh", "\"1\"");
    CHECK("HT", ht_base, "ht.father_age",
          P "/Cha/SoDinhDanh", "\"001214012345\"");
    CHECK("HT", ht_base, "", P "/Cha/SoDinhDanh", "\"001213012345\"");
    CHECK("HT", ht_base, "", P "/Cha/SoDinhDanh", "\"001040012345\"");
    CHECK("HT", ht_base, "ht.parent_birth_year",
          P "/Cha/SoDinhDanh", "\"001226012345\"");

    /* no usable birth date: the IDs are still checked */
    CHECK("HT", ht_base, "ht.birth_date,ht.father_id",
          P "/Tre/NgaySinh", "\"x\"", P "/Cha/SoDinhDanh", "\"1\"");

    reg = rules_load(NULL, "ht", kv, 2);
    CHECK_WITH(reg, "HT", ht_base, "", P "/Me/SoDinhDanh",
               "\"001311012345\"");
    CHECK_WITH(reg, "HT", ht_base, "ht.mother_age",
               P "/Me/SoDinhDanh", "\"001312012345\"");
    CHECK_WITH(reg, "HT", ht_base, "", P "/Me/SoDinhDanh",
               "\"001175012345\"");
    CHECK_WITH(reg, "HT", ht_base, "ht.mother_age",
               P "/Me/SoDinhDanh", "\"001174012345\"");
    CHECK_WITH(reg, "HT", ht_base, "ht.father_age",
               P "/Cha/SoDinhDanh", "\"001212012345\"");
    dg_plugins_free(reg);
}


static void
test_dd_parcel(void)
{
    CHECK("DD", dd_base, "");
    CHECK("DD", dd_base, "dd.map_sheet", P "/ThuaDat/SoToBanDo", "0");
    CHECK("DD", dd_base, "", P "/ThuaDat/SoToBanDo", "1");
    CHECK("DD", dd_base, "", P "/ThuaDat/SoToBanDo", "9999");
    CHECK("DD", dd_base, "dd.map_sheet", P "/ThuaDat/SoToBanDo", "10000");
    CHECK("DD", dd_base, "dd.type", P "/ThuaDat/SoToBanDo", "\"12\"");
    CHECK("DD", dd_base, "dd.parcel", P "/ThuaDat/SoThua", "0");
    CHECK("DD", dd_base, "", P "/ThuaDat/SoThua", "99999");
    CHECK("DD", dd_base, "dd.parcel", P "/ThuaDat/SoThua", "100000");
    CHECK("DD", dd_base, "dd.required", P "/ThuaDat/SoThua", DEL);
    CHECK("DD", dd_base, "dd.required", P "/ThuaDat", DEL);

    CHECK_MESSAGE("DD", dd_base,
                  "Số tờ bản đồ 0 phải từ 1 đến 9999 / the map sheet number "
                  "0 must be 1 to 9999", P "/ThuaDat/SoToBanDo", "0");
}


static void
test_dd_area(void)
{
    const char             *kv[] = { "area_min=200", "purposes=ONT,LUC" };
    dg_plugin_registry_t   *reg;

    CHECK("DD", dd_base, "", P "/ThuaDat/DienTich", "1",
          P "/ThuaDat/MucDichSuDung", "[{\"Ma\": \"ONT\", \"DienTich\": 1}]");
    CHECK("DD", dd_base, "dd.area", P "/ThuaDat/DienTich", "0.9",
          P "/ThuaDat/MucDichSuDung",
          "[{\"Ma\": \"ONT\", \"DienTich\": 0.9}]");
    CHECK("DD", dd_base, "", P "/ThuaDat/DienTich", "5000000",
          P "/ThuaDat/MucDichSuDung",
          "[{\"Ma\": \"LUC\", \"DienTich\": 5000000}]");
    CHECK("DD", dd_base, "dd.area", P "/ThuaDat/DienTich", "5000000.1",
          P "/ThuaDat/MucDichSuDung",
          "[{\"Ma\": \"LUC\", \"DienTich\": 5000000.1}]");
    CHECK("DD", dd_base, "dd.area_precision",
          P "/ThuaDat/DienTich", "150.55",
          P "/ThuaDat/MucDichSuDung/1/DienTich", "50.55");
    CHECK("DD", dd_base, "dd.type", P "/ThuaDat/DienTich", "\"150.5\"");

    /* the parts add up to the parcel, to the rounding of 0.1 m2 */
    CHECK("DD", dd_base, "dd.area_sum",
          P "/ThuaDat/MucDichSuDung/1/DienTich", "50");
    CHECK("DD", dd_base, "",
          P "/ThuaDat/MucDichSuDung/1/DienTich", "50.54");
    CHECK("DD", dd_base, "dd.area_sum",
          P "/ThuaDat/MucDichSuDung/1/DienTich", "50.56");
    CHECK("DD", dd_base, "dd.area",
          P "/ThuaDat/MucDichSuDung/1/DienTich", "0");

    reg = rules_load(NULL, "dd", kv, 2);
    CHECK_WITH(reg, "DD", dd_base, "dd.area,dd.purpose");
    CHECK_WITH(reg, "DD", dd_base, "dd.purpose",
               P "/ThuaDat/DienTich", "200",
               P "/ThuaDat/MucDichSuDung/1/DienTich", "100");
    dg_plugins_free(reg);
}


static void
test_dd_purposes(void)
{
    CHECK("DD", dd_base, "dd.purposes", P "/ThuaDat/MucDichSuDung", "[]");
    CHECK("DD", dd_base, "dd.purposes", P "/ThuaDat/MucDichSuDung",
          "[{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]");
    CHECK("DD", dd_base, "dd.type", P "/ThuaDat/MucDichSuDung", "{}");
    CHECK("DD", dd_base, "dd.purpose",
          P "/ThuaDat/MucDichSuDung/1/Ma", "\"XYZ\"");
    CHECK("DD", dd_base, "dd.purpose",
          P "/ThuaDat/MucDichSuDung/1/Ma", "\"ont\"");
    CHECK("DD", dd_base, "dd.purpose_duplicate",
          P "/ThuaDat/MucDichSuDung/1/Ma", "\"ONT\"");
    CHECK("DD", dd_base, "dd.required",
          P "/ThuaDat/MucDichSuDung/1", "{\"DienTich\": 50.5}");
    CHECK("DD", dd_base, "dd.required,dd.required",
          P "/ThuaDat/MucDichSuDung/1", "{}");
    CHECK("DD", dd_base, "", P "/ThuaDat/MucDichSuDung/1/Ma", "\"TMD\"");
}


static void
test_dd_change(void)
{
    CHECK("DD", dd_base, "dd.change_type", P "/LoaiBienDong", "\"BAN\"");
    CHECK("DD", dd_base, "dd.required", P "/LoaiBienDong", DEL);
    CHECK("DD", dd_base, "dd.required",
          P "/LoaiBienDong", "\"CHUYEN_MUC_DICH\"");
    CHECK("DD", dd_base, "", P "/LoaiBienDong", "\"CHUYEN_MUC_DICH\"",
          P "/MucDichMoi", "\"TMD\"");
    CHECK("DD", dd_base, "dd.purpose", P "/LoaiBienDong",
          "\"CHUYEN_MUC_DICH\"", P "/MucDichMoi", "\"XXX\"");
    CHECK("DD", dd_base, "dd.required", P "/LoaiBienDong", "\"TACH_THUA\"");
    CHECK("DD", dd_base, "dd.split_count", P "/LoaiBienDong",
          "\"TACH_THUA\"", P "/SoThuaSauTach", "1");
    CHECK("DD", dd_base, "", P "/LoaiBienDong", "\"TACH_THUA\"",
          P "/SoThuaSauTach", "2");
    CHECK("DD", dd_base, "", P "/LoaiBienDong", "\"THE_CHAP\"");
}


static void
test_dd_settings(void)
{
    char                   err[ERRLEN], path[512];
    dg_plugin_t           *p;
    static const char     *bad[] = { "area_min=10", "area_max=5" };
    static const char     *nan[] = { "area_max=nan" };

    p = dg_plugin_load(rules_path("dd", path, sizeof(path)), bad, 2,
                       err, sizeof(err));
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "init failed: area_min 10 is above "
                                  "area_max 5"));

    p = dg_plugin_load(path, nan, 1, err, sizeof(err));
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "init failed: setting "
                                  "area_max=\"nan\": expected a number"));
}


static void
test_xd_areas(void)
{
    CHECK("XD", xd_base, "");
    CHECK("XD", xd_base, "xd.plot_area", P "/DienTichLoDat", "29.9",
          P "/DienTichXayDung", "29", P "/TongDienTichSan", "100");
    CHECK("XD", xd_base, "", P "/DienTichLoDat", "30",
          P "/DienTichXayDung", "30", P "/TongDienTichSan", "100");
    CHECK("XD", xd_base, "xd.plot_area", P "/DienTichLoDat", "0");
    CHECK("XD", xd_base, "xd.required", P "/DienTichLoDat", DEL);
    CHECK("XD", xd_base, "xd.type", P "/DienTichLoDat", "\"80\"");

    CHECK("XD", xd_base, "", P "/DienTichXayDung", "80");
    CHECK("XD", xd_base, "xd.building_area", P "/DienTichXayDung", "80.1");
    CHECK("XD", xd_base, "xd.building_area", P "/DienTichXayDung", "0");

    CHECK("XD", xd_base, "", P "/TongDienTichSan", "256");
    CHECK("XD", xd_base, "xd.floor_area", P "/TongDienTichSan", "256.1");
    CHECK("XD", xd_base, "xd.floor_area", P "/TongDienTichSan", "0");
    CHECK("XD", xd_base, "", P "/TongDienTichSan", DEL);
    CHECK("XD", xd_base, "xd.type", P "/TongDienTichSan", "\"x\"");
}


static void
test_xd_floors(void)
{
    const char             *kv[] = { "max_floors=3", "max_height_m=12" };
    dg_plugin_registry_t   *reg;

    CHECK("XD", xd_base, "", P "/SoTang", "7");
    CHECK("XD", xd_base, "xd.floors", P "/SoTang", "8");
    CHECK("XD", xd_base, "xd.floors", P "/SoTang", "0");
    CHECK("XD", xd_base, "xd.type", P "/SoTang", "4.0");

    CHECK("XD", xd_base, "", P "/ChieuCao", "25");
    CHECK("XD", xd_base, "xd.height", P "/ChieuCao", "25.1");
    CHECK("XD", xd_base, "xd.height", P "/ChieuCao", "0");
    CHECK("XD", xd_base, "xd.required", P "/ChieuCao", DEL);

    /* 2.2 m a floor at least: 4 floors need 8.8 m */
    CHECK("XD", xd_base, "", P "/ChieuCao", "8.8");
    CHECK("XD", xd_base, "xd.floor_height", P "/ChieuCao", "8.7");

    CHECK_MESSAGE("XD", xd_base,
                  "Số tầng 8 phải từ 1 đến 7 / 8 floors: 1 to 7 are allowed",
                  P "/SoTang", "8");

    reg = rules_load(NULL, "xd", kv, 2);
    CHECK_WITH(reg, "XD", xd_base, "xd.floors,xd.height");
    CHECK_WITH(reg, "XD", xd_base, "", P "/SoTang", "3", P "/ChieuCao",
               "12", P "/TongDienTichSan", "192");
    dg_plugins_free(reg);
}


static void
test_xd_address(void)
{
    CHECK("XD", xd_base, "xd.address", P "/DiaChiCongTrinh/MaTinh", "\"1\"");
    CHECK("XD", xd_base, "xd.address",
          P "/DiaChiCongTrinh/MaTinh", "\"0a\"");
    CHECK("XD", xd_base, "xd.address", P "/DiaChiCongTrinh/MaXa", "\"0004\"");
    CHECK("XD", xd_base, "xd.address",
          P "/DiaChiCongTrinh/DiaChiChiTiet", "\"\"");
    CHECK("XD", xd_base, "xd.required", P "/DiaChiCongTrinh/MaXa", DEL);
    CHECK("XD", xd_base, "xd.required", P "/DiaChiCongTrinh", DEL);

    CHECK_MESSAGE("XD", xd_base, "Mã xã phải gồm 5 chữ số / the ward code "
                  "must be 5 digits", P "/DiaChiCongTrinh/MaXa", "\"1\"");
}


static void
test_hkd_name(void)
{
    const char             *kv[] = { "forbidden_words=phở", "name_max=120" };
    dg_plugin_registry_t   *reg;

    CHECK("HKD", hkd_base, "");
    CHECK("HKD", hkd_base, "", P "/TenHoKinhDoanh",
          "\"HỘ KINH DOANH PHỞ THÌN\"");
    CHECK("HKD", hkd_base, "hkd.name_prefix",
          P "/TenHoKinhDoanh", "\"Phở Thìn\"");
    CHECK("HKD", hkd_base, "hkd.name_prefix",
          P "/TenHoKinhDoanh", "\"Hộ kinh doanh  \"");
    CHECK("HKD", hkd_base, "hkd.name_prefix",
          P "/TenHoKinhDoanh", "\"Hộ kinh doanhPhở\"");
    CHECK("HKD", hkd_base, "hkd.name_forbidden_word",
          P "/TenHoKinhDoanh", "\"Hộ kinh doanh Công ty Phở\"");
    CHECK("HKD", hkd_base, "hkd.name_forbidden_word",
          P "/TenHoKinhDoanh", "\"HỘ KINH DOANH CÔNG TY PHỞ\"");
    CHECK("HKD", hkd_base, "hkd.name_forbidden_word",
          P "/TenHoKinhDoanh", "\"Hộ kinh doanh Tập Đoàn Phở\"");
    CHECK("HKD", hkd_base, "hkd.name_prefix,hkd.name_forbidden_word",
          P "/TenHoKinhDoanh", "\"Doanh nghiệp Phở\"");
    CHECK("HKD", hkd_base, "hkd.required", P "/TenHoKinhDoanh", DEL);

    CHECK_MESSAGE("HKD", hkd_base,
                  "Tên hộ kinh doanh không được chứa \"công ty\" / the name "
                  "may not contain \"công ty\"",
                  P "/TenHoKinhDoanh", "\"HỘ KINH DOANH CÔNG TY PHỞ\"");

    /* 100 characters: "Hộ kinh doanh " is 14, then 86 letters */
    CHECK("HKD", hkd_base, "", P "/TenHoKinhDoanh",
          rules_repeat("Hộ kinh doanh ", "Đ", 86));
    CHECK("HKD", hkd_base, "hkd.name_length", P "/TenHoKinhDoanh",
          rules_repeat("Hộ kinh doanh ", "Đ", 87));

    reg = rules_load(NULL, "hkd", kv, 2);
    CHECK_WITH(reg, "HKD", hkd_base, "hkd.name_forbidden_word");
    CHECK_WITH(reg, "HKD", hkd_base, "", P "/TenHoKinhDoanh",
               "\"Hộ kinh doanh Công ty Bún\"");
    CHECK_WITH(reg, "HKD", hkd_base, "", P "/TenHoKinhDoanh",
               rules_repeat("Hộ kinh doanh ", "Đ", 106));
    CHECK_WITH(reg, "HKD", hkd_base, "hkd.name_length", P "/TenHoKinhDoanh",
               rules_repeat("Hộ kinh doanh ", "Đ", 107));
    dg_plugins_free(reg);
}


static void
test_hkd_numbers(void)
{
    const char             *kv[] = { "capital_max=1000", "employees_max=0" };
    dg_plugin_registry_t   *reg;

    CHECK("HKD", hkd_base, "", P "/VonKinhDoanh", "0");
    CHECK("HKD", hkd_base, "hkd.capital", P "/VonKinhDoanh", "-1");
    CHECK("HKD", hkd_base, "", P "/VonKinhDoanh", "10000000000");
    CHECK("HKD", hkd_base, "hkd.capital", P "/VonKinhDoanh", "10000000001");
    CHECK("HKD", hkd_base, "hkd.type", P "/VonKinhDoanh", "1e9");
    CHECK("HKD", hkd_base, "hkd.required", P "/VonKinhDoanh", DEL);

    CHECK("HKD", hkd_base, "", P "/SoLaoDong", "100");
    CHECK("HKD", hkd_base, "hkd.employees", P "/SoLaoDong", "101");
    CHECK("HKD", hkd_base, "hkd.employees", P "/SoLaoDong", "-1");
    CHECK("HKD", hkd_base, "", P "/SoLaoDong", "0");

    CHECK("HKD", hkd_base, "hkd.address", P "/DiaDiemKinhDoanh", "\"\"");
    CHECK("HKD", hkd_base, "hkd.required", P "/DiaDiemKinhDoanh", DEL);

    CHECK_MESSAGE("HKD", hkd_base, "Vốn kinh doanh (đồng) -1 phải từ 0 đến "
                  "10000000000 / the capital (VND) -1 must be 0 to "
                  "10000000000", P "/VonKinhDoanh", "-1");

    reg = rules_load(NULL, "hkd", kv, 2);
    CHECK_WITH(reg, "HKD", hkd_base, "hkd.capital,hkd.employees");
    dg_plugins_free(reg);
}


static void
test_hkd_lines(void)
{
    CHECK("HKD", hkd_base, "hkd.business_lines", P "/NganhNghe", "[]");
    CHECK("HKD", hkd_base, "", P "/NganhNghe",
          "[\"0111\", \"0112\", \"0113\", \"0114\", \"0115\", \"0116\","
          " \"0117\", \"0118\", \"0119\", \"0121\", \"0122\", \"0123\","
          " \"0124\", \"0125\", \"0126\", \"0127\", \"0128\", \"0129\","
          " \"0130\", \"0131\"]");
    CHECK("HKD", hkd_base, "hkd.business_lines", P "/NganhNghe",
          "[\"0111\", \"0112\", \"0113\", \"0114\", \"0115\", \"0116\","
          " \"0117\", \"0118\", \"0119\", \"0121\", \"0122\", \"0123\","
          " \"0124\", \"0125\", \"0126\", \"0127\", \"0128\", \"0129\","
          " \"0130\", \"0131\", \"0132\"]");
    CHECK("HKD", hkd_base, "hkd.vsic", P "/NganhNghe/0", "\"561\"");
    CHECK("HKD", hkd_base, "hkd.vsic", P "/NganhNghe/0", "\"561011\"");
    CHECK("HKD", hkd_base, "hkd.vsic", P "/NganhNghe/0", "\"4010\"");
    CHECK("HKD", hkd_base, "hkd.vsic", P "/NganhNghe/0", "\"0010\"");
    CHECK("HKD", hkd_base, "hkd.vsic", P "/NganhNghe/0", "\"56a0\"");
    CHECK("HKD", hkd_base, "hkd.type", P "/NganhNghe/0", "5610");
    CHECK("HKD", hkd_base, "hkd.vsic_duplicate",
          P "/NganhNghe/1", "\"5610\"");
    CHECK("HKD", hkd_base, "hkd.type", P "/NganhNghe", "\"5610\"");
    CHECK("HKD", hkd_base, "hkd.required", P "/NganhNghe", DEL);
}


static CU_TestInfo  plugin_rules_tests[] = {
    { "btxh income", test_btxh_income },
    { "btxh household", test_btxh_household },
    { "btxh categories and ages", test_btxh_category },
    { "btxh age from the ID", test_btxh_age_from_id },
    { "btxh beneficiary", test_btxh_beneficiary },
    { "btxh payment", test_btxh_payment },
    { "btxh every problem listed", test_btxh_many },
    { "ht child", test_ht_child },
    { "ht birth date and window", test_ht_birth_date },
    { "ht parents", test_ht_parents },
    { "dd parcel", test_dd_parcel },
    { "dd area", test_dd_area },
    { "dd purposes", test_dd_purposes },
    { "dd change type", test_dd_change },
    { "dd settings", test_dd_settings },
    { "xd areas", test_xd_areas },
    { "xd floors and height", test_xd_floors },
    { "xd address", test_xd_address },
    { "hkd name", test_hkd_name },
    { "hkd capital and staff", test_hkd_numbers },
    { "hkd business lines", test_hkd_lines },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(plugin_rules, plugin_rules_tests)
