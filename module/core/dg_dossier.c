/*
 * The dossier rules of CONTRACT.md section 2.
 *
 * Fields are checked in the contract's table order and every failed rule
 * adds a problem, so the problem list follows that order too.  A member
 * whose value is null counts as absent: fine when the field is optional,
 * "required" when it is not, so a sender may write an empty optional field
 * either way.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dg_check.h"
#include "dg_dossier.h"
#include "dg_json.h"
#include "dg_sha256.h"


#define DG_DIGITS           "0123456789"
#define DG_UPPER            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DG_ALNUM            DG_DIGITS DG_UPPER "abcdefghijklmnopqrstuvwxyz"
#define DG_HEX              DG_DIGITS "abcdefABCDEF"

#define DG_SECTOR_MAX       16
#define DG_ATTACHMENTS_MAX  100
#define DG_FUTURE_SLACK     300

/*
 * 1 when s has no control character (U+0000-U+001F, U+007F-U+009F; the
 * C1 range is C2 80-C2 9F in UTF-8) and, unless allowed, no space.
 */
static int
dg_clean(const char *s, size_t len, int allow_space)
{
    size_t          i;
    unsigned char   c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space)
            || (c == 0xc2 && i + 1 < len
                && (unsigned char) s[i + 1] >= 0x80
                && (unsigned char) s[i + 1] <= 0x9f))
        {
            return 0;
        }
    }

    return 1;
}


/* D.DDDDDD, then any number of "." + [A-Za-z0-9]+ local suffixes. */
static int
dg_procedure_ok(const char *s, size_t len)
{
    size_t  i, n;

    if (len < 8 || s[0] < '0' || s[0] > '9' || s[1] != '.'
        || strspn(s + 2, DG_DIGITS) != 6)
    {
        return 0;
    }

    for (i = 8; i < len; i += n + 1) {
        n = strspn(s + i + 1, DG_ALNUM);

        if (s[i] != '.' || n == 0) {
            return 0;
        }
    }

    return 1;
}


/* A sector code: 1-16 of A-Z 0-9 _. */
static int
dg_sector_ok(const char *s, size_t len)
{
    return len > 0 && len <= DG_SECTOR_MAX
           && strspn(s, DG_UPPER DG_DIGITS "_") == len;
}


/* An enterprise code: 10 digits, or 10 digits "-" 3 digits (a branch). */
static int
dg_enterprise_ok(const char *s, size_t len)
{
    if (strspn(s, DG_DIGITS) != 10) {
        return 0;
    }

    return len == 10
           || (len == 14 && s[10] == '-' && strspn(s + 11, DG_DIGITS) == 3);
}


static int
dg_phone_ok(const char *s, size_t len)
{
    return (len == 10 && s[0] == '0' && strspn(s + 1, DG_DIGITS) == 9)
           || (len == 12 && strncmp(s, "+84", 3) == 0
               && strspn(s + 3, DG_DIGITS) == 9);
}


/* local@domain: one '@', no space, a dot inside the domain. */
static int
dg_email_ok(const char *s, size_t len)
{
    const char  *at, *domain, *dot;
    size_t       dlen;

    if (!dg_clean(s, len, 0)) {
        return 0;
    }

    at = memchr(s, '@', len);
    if (at == NULL || at == s) {
        return 0;
    }

    domain = at + 1;
    dlen = (size_t) (s + len - domain);

    if (memchr(domain, '@', dlen) != NULL) {
        return 0;
    }

    dot = memchr(domain, '.', dlen);

    return dot != NULL && dot != domain && domain[dlen - 1] != '.';
}


/* https://[userinfo@]host[:port][/path...] with a non-empty host; the
 * scheme in any case (RFC 3986, section 3.1). */
static int
dg_https_ok(const char *s, size_t len)
{
    size_t       n, i;
    const char  *host;

    if (len < 8 || strncasecmp(s, "https://", 8) != 0
        || !dg_clean(s, len, 0))
    {
        return 0;
    }

    /* dg_clean refused NULs, so strcspn stays within the string */
    host = s + 8;
    n = strcspn(host, "/?#");

    for (i = n; i > 0 && host[i - 1] != '@'; i--) {
        /* void */
    }

    return n > i && host[i] != ':';
}


static void
dg_check_catalog(dg_check_t *ck, json_t *root, const dg_catalog_t *cat,
    const char *s)
{
    json_t      *v;
    const char  *sector;

    /* the catalog knows national codes only: the local suffix is ours */
    sector = dg_catalog_sector(cat, s, 8);

    if (sector == NULL) {
        dg_fail(ck, "/MaTTHC", "procedure.unknown",
                "Thủ tục %.8s không có trong danh mục",
                "procedure %.8s is not in the catalog", s);
        return;
    }

    /* a malformed sector code fails this rule too: every failed rule is
     * listed, and this one names the sector expected */
    v = json_object_get(root, "MaLinhVuc");

    if (json_is_string(v) && strcmp(json_string_value(v), sector) != 0) {
        dg_fail(ck, "/MaLinhVuc", "sector.mismatch",
                "Thủ tục %.8s thuộc lĩnh vực %s",
                "procedure %.8s belongs to sector %s", s, sector);
    }
}


static void
dg_check_procedure(dg_check_t *ck, json_t *root, const dg_catalog_t *cat,
    dg_dossier_t *d)
{
    size_t       len;
    const char  *s;

    s = dg_check_string(ck, root, "/MaTTHC", 1, 0, DG_NO_LIMIT, &len);
    if (s == NULL) {
        return;
    }

    if (!dg_procedure_ok(s, len)) {
        dg_fail(ck, "/MaTTHC", "format", "Phải có dạng D.DDDDDD[.hậu tố]",
                "must be D.DDDDDD[.suffix]");
        return;
    }

    d->ma_tthc = s;

    if (cat != NULL) {
        dg_check_catalog(ck, root, cat, s);
    }
}


static void
dg_check_holder_id(dg_check_t *ck, json_t *root, time_t now,
    dg_dossier_t *d)
{
    int          gender;
    size_t       len;
    time_t       t;
    dg_check_t   peek;
    const char  *s, *birth;

    s = dg_check_string(ck, root, "/SoGiayToChuHoSo", 1, 0, DG_NO_LIMIT,
                        &len);
    if (s == NULL) {
        return;
    }

    d->so_giay_to = s;

    if (d->loai_doi_tuong == 1) {
        /*
         * The ID is compared with the birth date and gender only when they
         * are valid; their own problems come later, in table order, so
         * peek at them without reporting.
         */
        peek.problems = NULL;
        peek.nfail = 0;

        birth = dg_check_time(&peek, root, "/NgaySinhChuHoSo", 0, 8, now,
                              &t);

        if (!dg_check_integer(&peek, root, "/GioiTinhChuHoSo", 0, 1, 2,
                              &gender))
        {
            gender = 0;
        }

        ck->nfail += dg_cccd_check(s, birth, gender, now, "/SoGiayToChuHoSo",
                                   ck->problems);

    } else if (d->loai_doi_tuong == 2 && !dg_enterprise_ok(s, len)) {
        dg_fail(ck, "/SoGiayToChuHoSo", "format",
                "Mã số doanh nghiệp phải gồm 10 chữ số hoặc 10-3 chữ số",
                "an enterprise code must be 10 digits or 10-3 digits");
    }
}


static void
dg_check_attachment(dg_check_t *ck, json_t *item, const char *base)
{
    int          flag;
    char         ptr[64];
    size_t       len;
    json_t      *v;
    const char  *s;

    dg_pointer_append(ptr, sizeof(ptr), base, "TepDinhKemId");
    v = dg_check_member(ck, item, ptr, 1);

    if (json_is_string(v)) {
        dg_check_string(ck, item, ptr, 1, 1, DG_NO_LIMIT, &len);

    } else if (v != NULL && !json_is_integer(v)) {
        dg_fail(ck, ptr, "type", "Phải là chuỗi hoặc số nguyên",
                "must be a string or an integer");
    }

    dg_pointer_append(ptr, sizeof(ptr), base, "TenTepDinhKem");
    dg_check_string(ck, item, ptr, 1, 1, 512, &len);

    dg_pointer_append(ptr, sizeof(ptr), base, "MaThanhPhanHoSo");
    dg_check_string(ck, item, ptr, 0, 0, DG_NO_LIMIT, &len);

    dg_pointer_append(ptr, sizeof(ptr), base, "DuongDanTaiTepTin");
    s = dg_check_string(ck, item, ptr, 1, 0, 2048, &len);

    if (s != NULL && !dg_https_ok(s, len)) {
        dg_fail(ck, ptr, "format", "Phải là liên kết https:// có máy chủ",
                "must be an https:// link with a host");
    }

    dg_pointer_append(ptr, sizeof(ptr), base, "DuocSoHoa");
    v = dg_check_member(ck, item, ptr, 0);

    if (v != NULL && !json_is_boolean(v)) {
        dg_check_integer(ck, item, ptr, 0, 0, 1, &flag);
    }

    dg_pointer_append(ptr, sizeof(ptr), base, "SHA256");
    s = dg_check_string(ck, item, ptr, 0, 0, DG_NO_LIMIT, &len);

    if (s != NULL && (len != 64 || strspn(s, DG_HEX) != 64)) {
        dg_fail(ck, ptr, "format", "Phải gồm 64 chữ số thập lục phân",
                "must be 64 hexadecimal digits");
    }
}


static void
dg_check_attachments(dg_check_t *ck, json_t *root)
{
    char     base[32];
    size_t   i;
    json_t  *list, *item;

    list = dg_check_member(ck, root, "/TaiLieuNop", 0);
    if (list == NULL) {
        return;
    }

    if (!json_is_array(list)) {
        dg_fail(ck, "/TaiLieuNop", "type", "Phải là mảng",
                "must be an array");
        return;
    }

    /* the items of an oversized list are not judged: one problem, not
     * thousands */
    if (json_array_size(list) > DG_ATTACHMENTS_MAX) {
        dg_fail(ck, "/TaiLieuNop", "length", "Không được quá %d tệp",
                "must have at most %d files", DG_ATTACHMENTS_MAX);
        return;
    }

    json_array_foreach(list, i, item) {
        dg_pointer_append_index(base, sizeof(base), "/TaiLieuNop", i);

        if (!json_is_object(item)) {
            dg_fail(ck, base, "type", "Phải là đối tượng",
                    "must be an object");
            continue;
        }

        dg_check_attachment(ck, item, base);
    }
}


/*
 * Whether GET /v1/dossiers/{code} reaches the code.  "batch" is the batch
 * route's, and a ".." segment with no segment of the code left to remove
 * takes the path out of /v1/dossiers/: nginx resolves the URI's dot
 * segments, percent-encoded or not, before it chooses the location.
 */
static int
dg_mahoso_addressable(const char *s, size_t len)
{
    size_t       depth, n;
    const char  *p, *end, *slash;

    if (len == sizeof("batch") - 1 && memcmp(s, "batch", len) == 0) {
        return 0;
    }

    depth = 0;
    end = s + len;

    for (p = s; /* void */; p = slash + 1) {
        slash = memchr(p, '/', end - p);
        if (slash == NULL) {
            slash = end;
        }

        n = slash - p;

        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (depth == 0) {
                return 0;
            }

            depth--;

        } else if (n > 1 || (n == 1 && p[0] != '.')) {
            depth++;                /* "" and "." stay: nginx merges
                                       slashes and drops "." */
        }

        if (slash == end) {
            return 1;
        }
    }
}


int
dg_dossier_validate(json_t *root, time_t now, const dg_catalog_t *cat,
    dg_dossier_t *out, dg_problems_t *problems)
{
    int           gender, received, due;
    size_t        len;
    time_t        t;
    json_t       *v;
    dg_check_t    ck;
    const char   *s;
    dg_dossier_t  d;

    if (!json_is_object(root)) {
        dg_problems_add(problems, "", "type", "Hồ sơ phải là đối tượng JSON",
                        "the dossier must be a JSON object");
        return -1;
    }

    ck.problems = problems;
    ck.nfail = 0;
    memset(&d, 0, sizeof(dg_dossier_t));

    s = dg_check_string(&ck, root, "/MaHoSo", 1, 1, DG_MAHOSO_MAX, &len);

    if (s != NULL && strspn(s, DG_ALNUM "._-/") != len) {
        dg_fail(&ck, "/MaHoSo", "format", "Chỉ gồm A-Z a-z 0-9 . _ - /",
                "only A-Z a-z 0-9 . _ - / are allowed");

    } else if (s != NULL && !dg_mahoso_addressable(s, len)) {
        dg_fail(&ck, "/MaHoSo", "format",
                "Không thể là \"batch\" hay ra ngoài /v1/dossiers/ bằng "
                "\"..\": không tra cứu được",
                "must not be \"batch\" nor climb out of /v1/dossiers/ by "
                "\"..\": it could not be looked up");
    }

    d.ma_ho_so = s;

    dg_check_procedure(&ck, root, cat, &d);

    dg_check_string(&ck, root, "/TenTTHC", 0, 0, 512, &len);

    s = dg_check_string(&ck, root, "/MaLinhVuc", 1, 0, DG_NO_LIMIT, &len);

    if (s != NULL && !dg_sector_ok(s, len)) {
        dg_fail(&ck, "/MaLinhVuc", "format", "Phải gồm 1-%d ký tự A-Z 0-9 _",
                "must be 1-%d of A-Z 0-9 _", DG_SECTOR_MAX);
    }

    d.ma_linh_vuc = s;

    dg_check_integer(&ck, root, "/KenhThucHien", 1, 1, 3, &d.kenh_thuc_hien);

    s = dg_check_string(&ck, root, "/ChuHoSo", 1, 1, 256, &len);

    if (s != NULL && !dg_clean(s, len, 1)) {
        dg_fail(&ck, "/ChuHoSo", "format", "Không được chứa ký tự điều khiển",
                "must not contain control characters");
    }

    dg_check_integer(&ck, root, "/LoaiDoiTuong", 1, 1, 2, &d.loai_doi_tuong);

    dg_check_holder_id(&ck, root, now, &d);

    /* a date is its midnight (+07:00): after now means after today */
    dg_check_time(&ck, root, "/NgaySinhChuHoSo", 0, 8, now, &t);

    dg_check_integer(&ck, root, "/GioiTinhChuHoSo", 0, 1, 2, &gender);

    s = dg_check_string(&ck, root, "/SoDienThoai", 0, 0, DG_NO_LIMIT, &len);

    if (s != NULL && !dg_phone_ok(s, len)) {
        dg_fail(&ck, "/SoDienThoai", "format",
                "Phải là 0 + 9 chữ số hoặc +84 + 9 chữ số",
                "must be 0 + 9 digits or +84 + 9 digits");
    }

    s = dg_check_string(&ck, root, "/Email", 0, 0, 254, &len);

    if (s != NULL && !dg_email_ok(s, len)) {
        dg_fail(&ck, "/Email", "format", "Không phải địa chỉ email",
                "not an email address");
    }

    dg_check_string(&ck, root, "/TrichYeuHoSo", 0, 0, 2000, &len);

    received = dg_check_time(&ck, root, "/NgayTiepNhan", 1, 14,
                             now + DG_FUTURE_SLACK, &d.ngay_tiep_nhan)
               != NULL;

    due = dg_check_time(&ck, root, "/NgayHenTra", 1, 14, DG_TIME_MAX,
                        &d.ngay_hen_tra)
          != NULL;

    if (received && due && d.ngay_hen_tra < d.ngay_tiep_nhan) {
        dg_fail(&ck, "/NgayHenTra", "date.order",
                "Không được trước NgayTiepNhan",
                "must not be before NgayTiepNhan");
    }

    dg_check_integer(&ck, root, "/TrangThaiHoSo", 1, 1, 10, &d.trang_thai);

    dg_check_attachments(&ck, root);

    v = dg_check_member(&ck, root, "/DuLieuChuyenNganh", 0);

    if (v != NULL && !json_is_object(v)) {
        dg_fail(&ck, "/DuLieuChuyenNganh", "type", "Phải là đối tượng",
                "must be an object");
    }

    if (ck.nfail > 0) {
        return -1;
    }

    *out = d;

    return 0;
}


int
dg_dossier_check_catalog(json_t *root, const dg_catalog_t *cat,
    dg_problems_t *problems)
{
    dg_check_t  ck;

    ck.problems = problems;
    ck.nfail = 0;

    dg_check_catalog(&ck, root, cat,
                     json_string_value(json_object_get(root, "MaTTHC")));

    return ck.nfail > 0 ? -1 : 0;
}


int
dg_dossier_hash(json_t *root, char out[65])
{
    int    rc;
    char  *text;

    text = dg_dossier_canonical(root);
    if (text == NULL) {
        return -1;
    }

    rc = dg_dossier_hash_text(text, out);
    free(text);

    return rc;
}


char *
dg_dossier_canonical(json_t *root)
{
    /* jansson escapes one way only, so equal values dump to equal text */
    return json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
}


int
dg_dossier_hash_text(const char *text, char out[65])
{
    return dg_sha256_hex(text, strlen(text), out);
}
