/*
 * The dossier rules of CONTRACT.md section 2, and the idempotency hash.
 *
 * Each case starts from a valid sample, changes one thing and compares the
 * whole problem list, in order, with what is expected ("pointer code" per
 * line), so a missing, extra or misplaced problem fails the test.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "dg_dossier.h"
#include "dg_json.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)

#define SHA  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

#define SAMPLE                                                              \
    "{\"MaHoSo\":\"HP-2026-000001\",\"MaTTHC\":\"1.001776\","                \
    "\"TenTTHC\":\"Trợ cấp xã hội hằng tháng\",\"MaLinhVuc\":\"BTXH\","      \
    "\"KenhThucHien\":2,\"ChuHoSo\":\"Nguyễn Thị Lan\",\"LoaiDoiTuong\":1,"  \
    "\"SoGiayToChuHoSo\":\"031185001234\",\"NgaySinhChuHoSo\":\"19850312\"," \
    "\"GioiTinhChuHoSo\":2,\"SoDienThoai\":\"0912345678\","                  \
    "\"Email\":\"lan.nguyen@example.vn\","                                   \
    "\"NgayTiepNhan\":\"20261124093000\",\"NgayHenTra\":\"20261208170000\"," \
    "\"TrangThaiHoSo\":1,\"TaiLieuNop\":[{\"TepDinhKemId\":\"f1\","          \
    "\"TenTepDinhKem\":\"Đơn đề nghị.pdf\","                                 \
    "\"DuongDanTaiTepTin\":\"https://files.example.vn/f1.pdf\","             \
    "\"SHA256\":\"" SHA "\"}],\"DuLieuChuyenNganh\":{}}"


static dg_catalog_t *
catalog(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);

    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001193", "HT"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.001776", "BTXH"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.004227", "DD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "1.009994", "XD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000720", "HKD"), 0);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000815", "CT"), 0);

    return cat;
}


static json_t *
load(const char *text)
{
    json_t  *v;

    v = json_loads(text, JSON_DECODE_ANY, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);

    return v;
}


/* The sample with member set to a JSON value, or removed when json is
 * NULL.  The member may be "TaiLieuNop/0/X" for the first attachment. */
static json_t *
with(const char *member, const char *json)
{
    json_t      *root, *obj;
    const char  *slash;

    root = load(SAMPLE);
    obj = root;

    slash = strrchr(member, '/');
    if (slash != NULL) {
        obj = json_array_get(json_object_get(root, "TaiLieuNop"), 0);
        member = slash + 1;
    }

    if (json == NULL) {
        json_object_del(obj, member);

    } else {
        json_object_set_new(obj, member, load(json));
    }

    return root;
}


static json_t *
with2(const char *m1, const char *j1, const char *m2, const char *j2)
{
    json_t  *root;

    root = with(m1, j1);
    json_object_set_new(root, m2, load(j2));

    return root;
}


/* A JSON string of n copies of unit (a UTF-8 sequence) between pre and
 * post, in a static buffer. */
static const char *
repeat(const char *pre, const char *unit, size_t n, const char *post)
{
    size_t       i, len;
    static char  buf[16384];

    len = (size_t) snprintf(buf, sizeof(buf), "\"%s", pre);

    for (i = 0; i < n; i++) {
        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s", unit);
    }

    snprintf(buf + len, sizeof(buf) - len, "%s\"", post);

    return buf;
}


/*
 * Validates root (and releases it) at NOW with the test catalog, or none
 * when no_catalog; returns the problems as "pointer code\n" lines.
 */
static char *
problems_of(json_t *root, int no_catalog, int *rc, dg_dossier_t *out)
{
    char           *text;
    size_t          i, len, size;
    dg_catalog_t   *cat;
    dg_problems_t   p;

    cat = no_catalog ? NULL : catalog();
    dg_problems_init(&p);

    *rc = dg_dossier_validate(root, NOW, cat, out, &p);

    size = 1;
    for (i = 0; i < p.n; i++) {
        size += strlen(p.items[i].pointer) + strlen(p.items[i].code) + 2;
    }

    text = malloc(size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    len = 0;
    text[0] = '\0';

    for (i = 0; i < p.n; i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(p.items[i].message, " / "));
        len += (size_t) sprintf(text + len, "%s %s\n", p.items[i].pointer,
                                p.items[i].code);
    }

    dg_problems_free(&p);
    dg_catalog_free(cat);
    json_decref(root);

    return text;
}


static void
expect_at(json_t *root, int no_catalog, const char *want, int line)
{
    int            rc;
    char          *got;
    dg_dossier_t   d;

    got = problems_of(root, no_catalog, &rc, &d);

    if (strcmp(got, want) != 0) {
        fprintf(stderr, "\n  line %d: want\n%s  got\n%s", line, want, got);
    }

    CU_ASSERT_STRING_EQUAL(got, want);
    CU_ASSERT_EQUAL(rc, want[0] == '\0' ? 0 : -1);

    free(got);
}


#define expect(root, want)      expect_at(root, 0, want, __LINE__)
#define expect_nocat(root, want) expect_at(root, 1, want, __LINE__)
#define ok(root)                expect(root, "")


static void
test_sample_valid(void)
{
    int            rc;
    char          *got;
    json_t        *root;
    dg_problems_t  p;
    dg_dossier_t   d;

    root = load(SAMPLE);
    memset(&d, 0, sizeof(d));
    dg_problems_init(&p);

    rc = dg_dossier_validate(root, NOW, NULL, &d, &p);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(p.n, 0);

    /* borrowed from root */
    CU_ASSERT_PTR_EQUAL(d.ma_ho_so,
                        json_string_value(json_object_get(root, "MaHoSo")));
    CU_ASSERT_STRING_EQUAL(d.ma_ho_so, "HP-2026-000001");
    CU_ASSERT_STRING_EQUAL(d.ma_tthc, "1.001776");
    CU_ASSERT_STRING_EQUAL(d.ma_linh_vuc, "BTXH");
    CU_ASSERT_STRING_EQUAL(d.so_giay_to, "031185001234");
    CU_ASSERT_EQUAL(d.kenh_thuc_hien, 2);
    CU_ASSERT_EQUAL(d.loai_doi_tuong, 1);
    CU_ASSERT_EQUAL(d.trang_thai, 1);
    CU_ASSERT_EQUAL(d.ngay_tiep_nhan, NOW - 1800);
    /* 14 days, 7 hours, 30 minutes after NgayTiepNhan */
    CU_ASSERT_EQUAL(d.ngay_hen_tra, NOW - 1800 + 14 * 86400 + 7 * 3600
                                    + 1800);

    dg_problems_free(&p);
    json_decref(root);

    /* and with the catalog */
    got = problems_of(load(SAMPLE), 0, &rc, &d);
    CU_ASSERT_STRING_EQUAL(got, "");
    CU_ASSERT_EQUAL(rc, 0);
    free(got);
}


static void
test_invalid_leaves_out_alone(void)
{
    int            rc;
    char          *got;
    dg_dossier_t   d;

    memset(&d, 0x5a, sizeof(d));

    got = problems_of(with("KenhThucHien", "9"), 0, &rc, &d);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_STRING_EQUAL(got, "/KenhThucHien enum\n");
    CU_ASSERT_EQUAL(d.kenh_thuc_hien, 0x5a5a5a5a);
    free(got);
}


static void
test_not_an_object(void)
{
    json_t         *root;
    dg_problems_t   p;

    expect(load("[]"), " type\n");
    expect(load("[" SAMPLE "]"), " type\n");
    expect(load("\"x\""), " type\n");
    expect(load("null"), " type\n");

    /* a top-level array from the wire parses (400 is for malformed) */
    dg_problems_init(&p);
    root = dg_json_parse("[1]", 3, DG_JSON_MAX_DEPTH, &p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    expect(root, " type\n");
    dg_problems_free(&p);
}


static void
test_required(void)
{
    static const char  *fields[] = {
        "MaHoSo", "MaTTHC", "MaLinhVuc", "KenhThucHien", "ChuHoSo",
        "LoaiDoiTuong", "SoGiayToChuHoSo", "NgayTiepNhan", "NgayHenTra",
        "TrangThaiHoSo"
    };
    char                want[64];
    size_t              i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        snprintf(want, sizeof(want), "/%s required\n", fields[i]);

        expect(with(fields[i], NULL), want);
        /* null is absent */
        expect(with(fields[i], "null"), want);
    }

    expect(load("{}"),
           "/MaHoSo required\n/MaTTHC required\n/MaLinhVuc required\n"
           "/KenhThucHien required\n/ChuHoSo required\n"
           "/LoaiDoiTuong required\n/SoGiayToChuHoSo required\n"
           "/NgayTiepNhan required\n/NgayHenTra required\n"
           "/TrangThaiHoSo required\n");
}


static void
test_optional(void)
{
    static const char  *fields[] = {
        "TenTTHC", "NgaySinhChuHoSo", "GioiTinhChuHoSo", "SoDienThoai",
        "Email", "TrichYeuHoSo", "TaiLieuNop", "DuLieuChuyenNganh"
    };
    size_t              i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        ok(with(fields[i], NULL));
        ok(with(fields[i], "null"));
    }

    /* unknown fields are allowed */
    ok(with("TruongMoi", "[1,{\"x\":null}]"));
    ok(with("TaiKhoanDuocXacThucVoiVNeID", "1"));
}


static void
test_string_types(void)
{
    expect(with("MaHoSo", "1"), "/MaHoSo type\n");
    expect(with("MaTTHC", "1.001776"), "/MaTTHC type\n");
    expect(with("TenTTHC", "[]"), "/TenTTHC type\n");
    expect(with("MaLinhVuc", "{}"), "/MaLinhVuc type\n");
    expect(with("ChuHoSo", "true"), "/ChuHoSo type\n");
    expect(with("SoGiayToChuHoSo", "31185001234"),
           "/SoGiayToChuHoSo type\n");
    expect(with("NgaySinhChuHoSo", "19850312"), "/NgaySinhChuHoSo type\n");
    expect(with("SoDienThoai", "912345678"), "/SoDienThoai type\n");
    expect(with("Email", "false"), "/Email type\n");
    expect(with("TrichYeuHoSo", "1"), "/TrichYeuHoSo type\n");
    expect(with("NgayTiepNhan", "20261124093000"), "/NgayTiepNhan type\n");
    expect(with("NgayHenTra", "20261208170000"), "/NgayHenTra type\n");
}


static void
test_integer_types(void)
{
    static const char  *fields[] = {
        "KenhThucHien", "LoaiDoiTuong", "GioiTinhChuHoSo", "TrangThaiHoSo"
    };
    static const char  *values[] = { "\"1\"", "1.0", "2.5", "true", "false",
                                     "[1]", "{}" };
    char                want[64];
    size_t              i, j;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        snprintf(want, sizeof(want), "/%s type\n", fields[i]);

        for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
            /* the ID is not compared with a wrong-typed LoaiDoiTuong */
            expect(with(fields[i], values[j]), want);
        }
    }
}


static void
test_ma_ho_so(void)
{
    ok(with("MaHoSo", repeat("", "a", 64, "")));
    ok(with("MaHoSo", "\"A\""));
    ok(with("MaHoSo", "\"HP/2026.01_x-Y9\""));
    expect(with("MaHoSo", repeat("", "a", 65, "")), "/MaHoSo length\n");
    expect(with("MaHoSo", "\"\""), "/MaHoSo length\n");
    expect(with("MaHoSo", "\"HP 2026\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"HP#1\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"HP~1\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"HĐ-1\""), "/MaHoSo format\n");
    /* lengths count characters: 64 'Đ' are 128 bytes */
    expect(with("MaHoSo", repeat("", "Đ", 64, "")), "/MaHoSo format\n");
    expect(with("MaHoSo", repeat("", "Đ", 65, "")),
           "/MaHoSo length\n/MaHoSo format\n");
    /* codes a lookup could not reach */
    expect(with("MaHoSo", "\"batch\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"..\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"../HP-1\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"HP/../..\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"//..\""), "/MaHoSo format\n");
    expect(with("MaHoSo", "\"./..\""), "/MaHoSo format\n");
    ok(with("MaHoSo", "\"batch-1\""));
    ok(with("MaHoSo", "\"HP/..\""));
    ok(with("MaHoSo", "\"HP/../x\""));
    ok(with("MaHoSo", "\"...\""));
    ok(with("MaHoSo", "\".\""));
    ok(with("MaHoSo", "\"HP..1\""));
}


static void
test_ma_tthc(void)
{
    ok(with2("MaTTHC", "\"1.001193\"", "MaLinhVuc", "\"HT\""));
    ok(with2("MaTTHC", "\"1.001193.000.00.00.H31\"", "MaLinhVuc", "\"HT\""));
    ok(with("MaTTHC", "\"1.001776.x\""));

    expect(with("MaTTHC", "\"1.00177\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1.0017760\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"11.001776\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1-001776\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"a.001776\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1.001776.\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1.001776..H31\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1.001776.H-31\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"1.001776H31\""), "/MaTTHC format\n");
    expect(with("MaTTHC", "\"\""), "/MaTTHC format\n");
}


static void
test_catalog_rules(void)
{
    expect(with("MaTTHC", "\"1.999999\""), "/MaTTHC procedure.unknown\n");
    expect(with("MaTTHC", "\"1.999999.000.00.00.H31\""),
           "/MaTTHC procedure.unknown\n");
    /* BTXH is not the sector of 1.001193 (HT) */
    expect(with("MaTTHC", "\"1.001193\""), "/MaLinhVuc sector.mismatch\n");
    expect(with("MaTTHC", "\"2.000815.H31\""),
           "/MaLinhVuc sector.mismatch\n");
    expect(with("MaLinhVuc", "\"HT\""), "/MaLinhVuc sector.mismatch\n");
    /* a malformed sector fails both rules: every failed rule is listed */
    expect(with("MaLinhVuc", "\"btxh\""),
           "/MaLinhVuc sector.mismatch\n/MaLinhVuc format\n");
    expect(with("MaLinhVuc", "\"\""),
           "/MaLinhVuc sector.mismatch\n/MaLinhVuc format\n");
    /* missing sector: required, no mismatch */
    expect(with("MaLinhVuc", NULL), "/MaLinhVuc required\n");

    /* without a catalog, no catalog rules */
    expect_nocat(with("MaTTHC", "\"1.999999\""), "");
    expect_nocat(with("MaTTHC", "\"1.001193\""), "");
    expect_nocat(with("MaTTHC", "\"1.00119\""), "/MaTTHC format\n");
}


static void
test_ten_tthc(void)
{
    /* 512 two-byte characters are fine */
    ok(with("TenTTHC", repeat("", "ư", 512, "")));
    ok(with("TenTTHC", "\"\""));
    expect(with("TenTTHC", repeat("", "ư", 513, "")), "/TenTTHC length\n");
}


static void
test_ma_linh_vuc(void)
{
    expect_nocat(with("MaLinhVuc", "\"ABCDEFGHIJ_12345\""), "");
    expect_nocat(with("MaLinhVuc", "\"ABCDEFGHIJ_123456\""),
                 "/MaLinhVuc format\n");
    expect_nocat(with("MaLinhVuc", "\"\""), "/MaLinhVuc format\n");
    expect_nocat(with("MaLinhVuc", "\"B-TXH\""), "/MaLinhVuc format\n");
    expect_nocat(with("MaLinhVuc", "\"BTXh\""), "/MaLinhVuc format\n");
    expect_nocat(with("MaLinhVuc", "\"BTXH \""), "/MaLinhVuc format\n");
}


static void
test_enums(void)
{
    ok(with("KenhThucHien", "1"));
    ok(with("KenhThucHien", "3"));
    expect(with("KenhThucHien", "0"), "/KenhThucHien enum\n");
    expect(with("KenhThucHien", "4"), "/KenhThucHien enum\n");
    expect(with("KenhThucHien", "-1"), "/KenhThucHien enum\n");
    expect(with("KenhThucHien", "4294967298"), "/KenhThucHien enum\n");

    expect(with("LoaiDoiTuong", "0"), "/LoaiDoiTuong enum\n");
    expect(with("LoaiDoiTuong", "3"), "/LoaiDoiTuong enum\n");

    ok(with("GioiTinhChuHoSo", NULL));
    expect(with("GioiTinhChuHoSo", "0"), "/GioiTinhChuHoSo enum\n");
    expect(with("GioiTinhChuHoSo", "3"), "/GioiTinhChuHoSo enum\n");

    ok(with("TrangThaiHoSo", "10"));
    expect(with("TrangThaiHoSo", "0"), "/TrangThaiHoSo enum\n");
    expect(with("TrangThaiHoSo", "11"), "/TrangThaiHoSo enum\n");
}


static void
test_chu_ho_so(void)
{
    ok(with("ChuHoSo", repeat("", "ễ", 256, "")));
    ok(with("ChuHoSo", "\"Công ty TNHH Hải Phòng\""));
    /* U+00A0 is not a control character */
    ok(with("ChuHoSo", "\"Lan\\u00a0Nguyễn\""));
    expect(with("ChuHoSo", repeat("", "ễ", 257, "")), "/ChuHoSo length\n");
    expect(with("ChuHoSo", "\"\""), "/ChuHoSo length\n");
    expect(with("ChuHoSo", "\"Lan\\tNguyen\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"Lan\\nNguyen\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"Lan\\u001fNguyen\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"Lan\\u007f\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"Lan\\u0080\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"Lan\\u0085\""), "/ChuHoSo format\n");
    expect(with("ChuHoSo", "\"\\u009f\""), "/ChuHoSo format\n");
}


static void
test_citizen_id(void)
{
    expect(with("SoGiayToChuHoSo", "\"03118500123\""),
           "/SoGiayToChuHoSo format\n");
    expect(with("SoGiayToChuHoSo", "\"0311850012345\""),
           "/SoGiayToChuHoSo format\n");
    expect(with("SoGiayToChuHoSo", "\"03118500123a\""),
           "/SoGiayToChuHoSo format\n");
    expect(with("SoGiayToChuHoSo", "\"０31185001234\""),
           "/SoGiayToChuHoSo format\n");

    expect(with("SoGiayToChuHoSo", "\"099185001234\""),
           "/SoGiayToChuHoSo cccd.province\n");
    expect(with("SoGiayToChuHoSo", "\"031385001234\""),
           "/SoGiayToChuHoSo cccd.century\n");
    expect(with("SoGiayToChuHoSo", "\"031186001234\""),
           "/SoGiayToChuHoSo cccd.birth_year\n");
    expect(with("SoGiayToChuHoSo", "\"031085001234\""),
           "/SoGiayToChuHoSo cccd.gender\n");
    expect(with("GioiTinhChuHoSo", "1"), "/SoGiayToChuHoSo cccd.gender\n");
    expect(with("NgaySinhChuHoSo", "\"19860312\""),
           "/SoGiayToChuHoSo cccd.birth_year\n");
    expect(with("NgaySinhChuHoSo", "\"20050312\""),
           "/SoGiayToChuHoSo cccd.century\n"
           "/SoGiayToChuHoSo cccd.birth_year\n");

    /* without birth date and gender only the ID itself is judged */
    ok(with2("SoGiayToChuHoSo", "\"031085001234\"", "GioiTinhChuHoSo",
             "null"));
    ok(with2("SoGiayToChuHoSo", "\"031186001234\"", "NgaySinhChuHoSo",
             "null"));
    expect(with2("SoGiayToChuHoSo", "\"001327000001\"", "NgaySinhChuHoSo",
                 "null"), "/SoGiayToChuHoSo cccd.birth_year\n");

    /* an invalid birth date or gender is reported once, not compared */
    expect(with("NgaySinhChuHoSo", "\"19860230\""),
           "/NgaySinhChuHoSo date\n");
    expect(with("GioiTinhChuHoSo", "3"), "/GioiTinhChuHoSo enum\n");
    expect(with("GioiTinhChuHoSo", "\"1\""), "/GioiTinhChuHoSo type\n");
}


static void
test_organisation_id(void)
{
    ok(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo", "\"0101234567\""));
    ok(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo", "\"0101234567-001\""));

    expect(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo", "\"01012345678\""),
           "/SoGiayToChuHoSo format\n");
    expect(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo", "\"010123456\""),
           "/SoGiayToChuHoSo format\n");
    expect(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo",
                 "\"0101234567-01\""), "/SoGiayToChuHoSo format\n");
    expect(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo",
                 "\"0101234567-0001\""), "/SoGiayToChuHoSo format\n");
    expect(with2("LoaiDoiTuong", "2", "SoGiayToChuHoSo",
                 "\"0101234567_001\""), "/SoGiayToChuHoSo format\n");
    /* a citizen ID is not an enterprise code */
    expect(with("LoaiDoiTuong", "2"), "/SoGiayToChuHoSo format\n");

    /* unknown kind of applicant: the ID is only type-checked */
    expect(with2("LoaiDoiTuong", "3", "SoGiayToChuHoSo", "\"abc\""),
           "/LoaiDoiTuong enum\n");
    expect(with2("LoaiDoiTuong", "3", "SoGiayToChuHoSo", "12"),
           "/LoaiDoiTuong enum\n/SoGiayToChuHoSo type\n");
}


static void
test_birth_date(void)
{
    expect(with("NgaySinhChuHoSo", "\"1985-03-12\""),
           "/NgaySinhChuHoSo format\n");
    expect(with("NgaySinhChuHoSo", "\"198503\""),
           "/NgaySinhChuHoSo format\n");
    expect(with("NgaySinhChuHoSo", "\"19850312000000\""),
           "/NgaySinhChuHoSo format\n");
    expect(with("NgaySinhChuHoSo", "\"19850229\""),
           "/NgaySinhChuHoSo date\n");
    expect(with("NgaySinhChuHoSo", "\"19851312\""),
           "/NgaySinhChuHoSo date\n");

    /* born today is fine, tomorrow is in the future (ID: 2026, female) */
    ok(with2("SoGiayToChuHoSo", "\"031326001234\"", "NgaySinhChuHoSo",
             "\"20261124\""));
    expect(with2("SoGiayToChuHoSo", "\"031326001234\"", "NgaySinhChuHoSo",
                 "\"20261125\""), "/NgaySinhChuHoSo date.future\n");
    ok(with2("SoGiayToChuHoSo", "\"031324001234\"", "NgaySinhChuHoSo",
             "\"20240229\""));
    expect(with2("SoGiayToChuHoSo", "\"031323001234\"", "NgaySinhChuHoSo",
                 "\"20230229\""), "/NgaySinhChuHoSo date\n");
    ok(with2("SoGiayToChuHoSo", "\"031300001234\"", "NgaySinhChuHoSo",
             "\"20000229\""));
    expect(with2("SoGiayToChuHoSo", "\"031100001234\"", "NgaySinhChuHoSo",
                 "\"19000229\""), "/NgaySinhChuHoSo date\n");
}


static void
test_phone(void)
{
    ok(with("SoDienThoai", "\"0912345678\""));
    ok(with("SoDienThoai", "\"+84912345678\""));
    expect(with("SoDienThoai", "\"091234567\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"09123456789\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"+8491234567\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"+849123456789\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"84912345678\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"1912345678\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"0912 345 678\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"091234567x\""), "/SoDienThoai format\n");
    expect(with("SoDienThoai", "\"\""), "/SoDienThoai format\n");
}


static void
test_email(void)
{
    ok(with("Email", "\"a@b.vn\""));
    ok(with("Email", "\"lan.nguyen+dvc@so.haiphong.gov.vn\""));
    /* exactly 254 characters, then 255 */
    ok(with("Email", repeat("", "a", 247, "@ex.com")));
    expect(with("Email", repeat("", "a", 248, "@ex.com")), "/Email length\n");

    expect(with("Email", "\"a@b\""), "/Email format\n");
    expect(with("Email", "\"ab.vn\""), "/Email format\n");
    expect(with("Email", "\"@b.vn\""), "/Email format\n");
    expect(with("Email", "\"a@@b.vn\""), "/Email format\n");
    expect(with("Email", "\"a@b@c.vn\""), "/Email format\n");
    expect(with("Email", "\"a b@c.vn\""), "/Email format\n");
    expect(with("Email", "\"a@c.vn \""), "/Email format\n");
    expect(with("Email", "\"a@.vn\""), "/Email format\n");
    expect(with("Email", "\"a@b.vn.\""), "/Email format\n");
    expect(with("Email", "\"a@b.\\tvn\""), "/Email format\n");
    expect(with("Email", "\"\""), "/Email format\n");
}


static void
test_trich_yeu(void)
{
    ok(with("TrichYeuHoSo", repeat("", "ệ", 2000, "")));
    expect(with("TrichYeuHoSo", repeat("", "ệ", 2001, "")),
           "/TrichYeuHoSo length\n");
}


static void
test_received(void)
{
    /* at most 300 s after now */
    ok(with("NgayTiepNhan", "\"20261124100500\""));
    ok(with("NgayTiepNhan", "\"20261124100000\""));
    expect(with("NgayTiepNhan", "\"20261124100501\""),
           "/NgayTiepNhan date.future\n");
    expect(with("NgayTiepNhan", "\"20261125093000\""),
           "/NgayTiepNhan date.future\n");

    expect(with("NgayTiepNhan", "\"20261124\""), "/NgayTiepNhan format\n");
    expect(with("NgayTiepNhan", "\"2026112409300\""),
           "/NgayTiepNhan format\n");
    expect(with("NgayTiepNhan", "\"2026-11-24T09:30\""),
           "/NgayTiepNhan format\n");
    expect(with("NgayTiepNhan", "\"2026112409300a\""),
           "/NgayTiepNhan format\n");
    expect(with("NgayTiepNhan", "\"20261324093000\""),
           "/NgayTiepNhan date\n");
    expect(with("NgayTiepNhan", "\"20261124240000\""),
           "/NgayTiepNhan date\n");
    expect(with("NgayTiepNhan", "\"20261124096000\""),
           "/NgayTiepNhan date\n");
    expect(with("NgayTiepNhan", "\"20261124093060\""),
           "/NgayTiepNhan date\n");
}


static void
test_due(void)
{
    /* equal is not before */
    ok(with("NgayHenTra", "\"20261124093000\""));
    ok(with("NgayHenTra", "\"99991231235959\""));
    expect(with("NgayHenTra", "\"20261124092959\""),
           "/NgayHenTra date.order\n");
    expect(with("NgayHenTra", "\"20261208\""), "/NgayHenTra format\n");
    expect(with("NgayHenTra", "\"20261131170000\""), "/NgayHenTra date\n");

    /* no order rule when either time is itself invalid */
    expect(with2("NgayTiepNhan", "\"20261124100501\"", "NgayHenTra",
                 "\"20261124000000\""), "/NgayTiepNhan date.future\n");
}


static void
test_attachments_list(void)
{
    int          i;
    json_t      *root, *list, *item;
    static char  text[65536];
    size_t       len;

    ok(with("TaiLieuNop", "[]"));
    expect(with("TaiLieuNop", "{}"), "/TaiLieuNop type\n");
    expect(with("TaiLieuNop", "\"x\""), "/TaiLieuNop type\n");

    /* 100 items, then 101: the list is judged, not its items */
    len = (size_t) snprintf(text, sizeof(text), "[");
    for (i = 0; i < 101; i++) {
        len += (size_t) snprintf(text + len, sizeof(text) - len,
                                 "%s{\"TepDinhKemId\":%d,"
                                 "\"TenTepDinhKem\":\"t%d.pdf\","
                                 "\"DuongDanTaiTepTin\":\"https://h/%d\"}",
                                 i ? "," : "", i, i, i);
    }
    snprintf(text + len, sizeof(text) - len, "]");

    root = with("TaiLieuNop", text);
    list = json_object_get(root, "TaiLieuNop");
    CU_ASSERT_EQUAL(json_array_size(list), 101);
    expect(root, "/TaiLieuNop length\n");

    root = with("TaiLieuNop", text);
    list = json_object_get(root, "TaiLieuNop");
    json_array_remove(list, 100);
    ok(root);

    root = with("TaiLieuNop", text);
    list = json_object_get(root, "TaiLieuNop");
    json_array_remove(list, 100);
    item = json_array_get(list, 99);
    json_object_set_new(item, "SHA256", json_string("xyz"));
    expect(root, "/TaiLieuNop/99/SHA256 format\n");

    expect(with("TaiLieuNop", "[1,{},\"x\"]"),
           "/TaiLieuNop/0 type\n"
           "/TaiLieuNop/1/TepDinhKemId required\n"
           "/TaiLieuNop/1/TenTepDinhKem required\n"
           "/TaiLieuNop/1/DuongDanTaiTepTin required\n"
           "/TaiLieuNop/2 type\n");
}


static void
test_attachment_members(void)
{
    ok(with("TaiLieuNop/0/TepDinhKemId", "17"));
    expect(with("TaiLieuNop/0/TepDinhKemId", "\"\""),
           "/TaiLieuNop/0/TepDinhKemId length\n");
    expect(with("TaiLieuNop/0/TepDinhKemId", "true"),
           "/TaiLieuNop/0/TepDinhKemId type\n");
    expect(with("TaiLieuNop/0/TepDinhKemId", "1.5"),
           "/TaiLieuNop/0/TepDinhKemId type\n");
    expect(with("TaiLieuNop/0/TepDinhKemId", NULL),
           "/TaiLieuNop/0/TepDinhKemId required\n");

    ok(with("TaiLieuNop/0/TenTepDinhKem", repeat("", "đ", 512, "")));
    expect(with("TaiLieuNop/0/TenTepDinhKem", repeat("", "đ", 513, "")),
           "/TaiLieuNop/0/TenTepDinhKem length\n");
    expect(with("TaiLieuNop/0/TenTepDinhKem", "\"\""),
           "/TaiLieuNop/0/TenTepDinhKem length\n");
    expect(with("TaiLieuNop/0/TenTepDinhKem", "5"),
           "/TaiLieuNop/0/TenTepDinhKem type\n");

    ok(with("TaiLieuNop/0/MaThanhPhanHoSo", "\"TP01\""));
    expect(with("TaiLieuNop/0/MaThanhPhanHoSo", "5"),
           "/TaiLieuNop/0/MaThanhPhanHoSo type\n");

    ok(with("TaiLieuNop/0/DuocSoHoa", "true"));
    ok(with("TaiLieuNop/0/DuocSoHoa", "false"));
    ok(with("TaiLieuNop/0/DuocSoHoa", "0"));
    ok(with("TaiLieuNop/0/DuocSoHoa", "1"));
    ok(with("TaiLieuNop/0/DuocSoHoa", "null"));
    expect(with("TaiLieuNop/0/DuocSoHoa", "2"),
           "/TaiLieuNop/0/DuocSoHoa enum\n");
    expect(with("TaiLieuNop/0/DuocSoHoa", "\"1\""),
           "/TaiLieuNop/0/DuocSoHoa type\n");

    ok(with("TaiLieuNop/0/SHA256", "\"" SHA "\""));
    ok(with("TaiLieuNop/0/SHA256",
            "\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\""));
    expect(with("TaiLieuNop/0/SHA256", repeat("", "a", 63, "")),
           "/TaiLieuNop/0/SHA256 format\n");
    expect(with("TaiLieuNop/0/SHA256", repeat("", "a", 65, "")),
           "/TaiLieuNop/0/SHA256 format\n");
    expect(with("TaiLieuNop/0/SHA256", repeat("", "a", 63, "g")),
           "/TaiLieuNop/0/SHA256 format\n");
    expect(with("TaiLieuNop/0/SHA256", "64"),
           "/TaiLieuNop/0/SHA256 type\n");
}


static void
test_attachment_link(void)
{
    size_t              i;
    static const char  *bad[] = {
        "\"http://files.example.vn/f1.pdf\"", "\"https://\"",
        "\"https:///f1.pdf\"", "\"https://?x\"", "\"https://user@/x\"",
        "\"https://:443/x\"", "\"ftp://h/x\"", "\"HTTP://h/x\"",
        "\"https:/h/x\"", "\"https://a b.vn/x\"", "\"https://h/x y\"",
        "\"https://h/\\n\"", "\"//h/x\"", "\"\""
    };

    ok(with("TaiLieuNop/0/DuongDanTaiTepTin", "\"https://h\""));
    /* a scheme is case-insensitive (RFC 3986) */
    ok(with("TaiLieuNop/0/DuongDanTaiTepTin", "\"HTTPS://h/x\""));
    ok(with("TaiLieuNop/0/DuongDanTaiTepTin", "\"Https://h/x\""));
    ok(with("TaiLieuNop/0/DuongDanTaiTepTin",
            "\"https://u:p@files.example.vn:8443/a/b?x=1#f\""));
    ok(with("TaiLieuNop/0/DuongDanTaiTepTin",
            repeat("https://h/", "a", 2038, "")));

    expect(with("TaiLieuNop/0/DuongDanTaiTepTin",
                repeat("https://h/", "a", 2039, "")),
           "/TaiLieuNop/0/DuongDanTaiTepTin length\n");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect(with("TaiLieuNop/0/DuongDanTaiTepTin", bad[i]),
               "/TaiLieuNop/0/DuongDanTaiTepTin format\n");
    }
}


/* Pointers name the right item, by index. */
static void
test_attachment_pointers(void)
{
    expect(with("TaiLieuNop",
                "[{\"TepDinhKemId\":\"a\",\"TenTepDinhKem\":\"a\","
                "\"DuongDanTaiTepTin\":\"https://h/a\"},"
                "{\"TepDinhKemId\":\"b\",\"TenTepDinhKem\":\"b\","
                "\"DuongDanTaiTepTin\":\"https://h/b\"},"
                "{\"TepDinhKemId\":\"c\",\"TenTepDinhKem\":\"c\","
                "\"DuongDanTaiTepTin\":\"https://h/c\"},"
                "{\"TepDinhKemId\":\"d\",\"TenTepDinhKem\":\"d\","
                "\"DuongDanTaiTepTin\":\"http://h/d\"},"
                "{\"TepDinhKemId\":\"e\",\"TenTepDinhKem\":\"\","
                "\"DuongDanTaiTepTin\":\"https://h/e\",\"SHA256\":\"0\"}]"),
           "/TaiLieuNop/3/DuongDanTaiTepTin format\n"
           "/TaiLieuNop/4/TenTepDinhKem length\n"
           "/TaiLieuNop/4/SHA256 format\n");
}


static void
test_sector_data(void)
{
    ok(with("DuLieuChuyenNganh", "{\"ThuNhap\":[1,2]}"));
    expect(with("DuLieuChuyenNganh", "[]"), "/DuLieuChuyenNganh type\n");
    expect(with("DuLieuChuyenNganh", "\"x\""), "/DuLieuChuyenNganh type\n");
    expect(with("DuLieuChuyenNganh", "0"), "/DuLieuChuyenNganh type\n");
}


/* Every failed rule is listed, in the contract's field order. */
static void
test_many_at_once(void)
{
    json_t  *root;

    root = load(SAMPLE);

    json_object_set_new(root, "DuLieuChuyenNganh", json_integer(1));
    json_object_set_new(root, "Email", json_string("x"));
    json_object_set_new(root, "MaHoSo", json_string(""));
    json_object_set_new(root, "KenhThucHien", json_string("2"));
    json_object_set_new(root, "SoGiayToChuHoSo",
                        json_string("099485001234"));
    json_object_set_new(root, "MaTTHC", json_string("1.001193"));
    json_object_set_new(root, "NgayHenTra", json_string("20200101000000"));
    json_object_del(root, "TrangThaiHoSo");
    json_object_set_new(json_array_get(json_object_get(root, "TaiLieuNop"),
                                       0),
                        "SHA256", json_string("zz"));

    expect(root,
           "/MaHoSo length\n"
           "/MaLinhVuc sector.mismatch\n"
           "/KenhThucHien type\n"
           "/SoGiayToChuHoSo cccd.province\n"
           "/SoGiayToChuHoSo cccd.century\n"
           "/SoGiayToChuHoSo cccd.gender\n"
           "/Email format\n"
           "/NgayHenTra date.order\n"
           "/TrangThaiHoSo required\n"
           "/TaiLieuNop/0/SHA256 format\n"
           "/DuLieuChuyenNganh type\n");
}


static void
test_messages(void)
{
    json_t         *root;
    dg_problems_t   p;
    dg_dossier_t    d;

    root = with("SoGiayToChuHoSo", "\"099185001234\"");
    dg_problems_init(&p);

    CU_ASSERT_EQUAL(dg_dossier_validate(root, NOW, NULL, &d, &p), -1);
    CU_ASSERT_EQUAL_FATAL(p.n, 1);
    CU_ASSERT_STRING_EQUAL(p.items[0].message,
                           "Mã tỉnh 099 không hợp lệ / "
                           "unknown province code 099");

    dg_problems_free(&p);
    json_decref(root);
}


static void
test_hash(void)
{
    char     a[65], b[65], c[65];
    json_t  *x, *y, *z;

    x = load("{\"b\":[1,2,{\"d\":\"Đơn\",\"c\":null}],\"a\":\"x\"}");
    y = load(" { \"a\" : \"x\" ,\n \"b\" : [ 1 , 2 , { \"c\" : null ,"
             " \"d\" : \"\\u0110\\u01a1n\" } ] } ");
    z = load("{\"b\":[1,2,{\"d\":\"Đơn\",\"c\":null}],\"a\":\"y\"}");

    CU_ASSERT_EQUAL(dg_dossier_hash(x, a), 0);
    CU_ASSERT_EQUAL(dg_dossier_hash(y, b), 0);
    CU_ASSERT_EQUAL(dg_dossier_hash(z, c), 0);

    CU_ASSERT_EQUAL(strlen(a), 64);
    CU_ASSERT_EQUAL(strspn(a, "0123456789abcdef"), 64);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);

    json_decref(x);
    json_decref(y);
    json_decref(z);

    /* SHA-256 of the canonical text {"a":1}, computed independently */
    x = load("{ \"a\" : 1 }");
    CU_ASSERT_EQUAL(dg_dossier_hash(x, a), 0);
    CU_ASSERT_STRING_EQUAL(a, "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5"
                              "cebeae62276a97f862");
    json_decref(x);

    /* array order matters */
    x = load("{\"a\":[1,2]}");
    y = load("{\"a\":[2,1]}");
    dg_dossier_hash(x, a);
    dg_dossier_hash(y, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    json_decref(x);
    json_decref(y);
}


static CU_TestInfo  tests[] = {
    { "sample is valid", test_sample_valid },
    { "invalid leaves out alone", test_invalid_leaves_out_alone },
    { "not an object", test_not_an_object },
    { "required", test_required },
    { "optional and unknown", test_optional },
    { "string types", test_string_types },
    { "integer types", test_integer_types },
    { "MaHoSo", test_ma_ho_so },
    { "MaTTHC", test_ma_tthc },
    { "catalog rules", test_catalog_rules },
    { "TenTTHC", test_ten_tthc },
    { "MaLinhVuc", test_ma_linh_vuc },
    { "enums", test_enums },
    { "ChuHoSo", test_chu_ho_so },
    { "citizen id", test_citizen_id },
    { "organisation id", test_organisation_id },
    { "birth date", test_birth_date },
    { "phone", test_phone },
    { "email", test_email },
    { "TrichYeuHoSo", test_trich_yeu },
    { "NgayTiepNhan", test_received },
    { "NgayHenTra", test_due },
    { "attachments list", test_attachments_list },
    { "attachment members", test_attachment_members },
    { "attachment link", test_attachment_link },
    { "attachment pointers", test_attachment_pointers },
    { "sector data", test_sector_data },
    { "many at once", test_many_at_once },
    { "messages", test_messages },
    { "hash", test_hash },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(dossier, tests)
