/*
 * HT: birth registration (đăng ký khai sinh, Law on Civil Status 2014).
 * The child's name, birth date and place; the parents' personal IDs and
 * the ages they imply; a late-registration flag once the statutory window
 * (60 days by default) has passed.
 */

#include <stdio.h>
#include <stdlib.h>

#include "dossier_plugin.h"

#define P  "/DuLieuChuyenNganh"

struct dossier_state_s {
    long long  registration_days;
    long long  parent_age_min;
    long long  mother_age_max;
};


/*
 * A person's name: letters (any non-ASCII byte counts as part of a letter,
 * the gateway has already checked the UTF-8) in at least two words with
 * single spaces between them, at most 100 characters.
 */
static int
ht_name_ok(const char *s, size_t len)
{
    size_t       i, chars, words;
    unsigned     c, prev;

    chars = 0;
    words = 0;
    prev = ' ';

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == ' ') {
            if (prev == ' ') {
                return 0;
            }

        } else if (c < 0x80 && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
            return 0;

        } else if (prev == ' ') {
            words++;
        }

        /* count code points: every byte but continuation bytes */
        chars += (c & 0xc0) != 0x80;
        prev = c;
    }

    return prev != ' ' && words >= 2 && chars <= 100;
}


static void
ht_child(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc, int64_t *birth)
{
    int          late;
    size_t       len;
    int64_t      t, now;
    long long    gender;
    const char  *s;

    if (!host->expect(doc, P "/Tre", DOSSIER_T_OBJECT, 1)) {
        return;
    }

    if (host->expect(doc, P "/Tre/HoTen", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/Tre/HoTen", &s, &len);

        if (!ht_name_ok(s, len)) {
            host->report(doc, P "/Tre/HoTen", "child_name",
                         "Họ tên trẻ phải gồm họ và tên, chỉ chữ cái, tối "
                         "đa 100 ký tự", "the child's name must be a family "
                         "and a given name, letters only, at most 100 "
                         "characters");
        }
    }

    if (host->expect(doc, P "/Tre/GioiTinh", DOSSIER_T_INTEGER, 1)
        && host->get_integer(doc, P "/Tre/GioiTinh", &gender) == DOSSIER_OK
        && gender != 1 && gender != 2)
    {
        host->report(doc, P "/Tre/GioiTinh", "child_gender",
                     "Giới tính phải là 1 (nam) hoặc 2 (nữ)",
                     "gender must be 1 (male) or 2 (female)");
    }

    if (host->expect(doc, P "/Tre/NoiSinh", DOSSIER_T_STRING, 1)) {
        host->get_string(doc, P "/Tre/NoiSinh", &s, &len);

        if (len == 0 || len > 512) {
            host->report(doc, P "/Tre/NoiSinh", "place_of_birth",
                         "Nơi sinh phải được ghi rõ (tối đa 512 byte)",
                         "the place of birth must be given (at most 512 "
                         "bytes)");
        }
    }

    if (!host->expect(doc, P "/Tre/NgaySinh", DOSSIER_T_STRING, 1)) {
        return;
    }

    host->get_string(doc, P "/Tre/NgaySinh", &s, &len);

    if (len != 8 || host->date_parse(s, len, &t) != DOSSIER_OK) {
        host->report(doc, P "/Tre/NgaySinh", "birth_date",
                     "Ngày sinh \"%s\" không phải ngày yyyyMMdd có thật",
                     "birth date \"%s\" is not a real yyyyMMdd date", s);
        return;
    }

    now = host->now(doc);

    if (t > now) {
        host->report(doc, P "/Tre/NgaySinh", "birth_date_future",
                     "Ngày sinh %s ở tương lai", "birth date %s is in the "
                     "future", s);
        return;
    }

    *birth = t;

    /* the day of birth plus registration_days whole days */
    if (now - t < (st->registration_days + 1) * 86400) {
        return;
    }

    late = 0;

    if (host->expect(doc, P "/DangKyMuon", DOSSIER_T_BOOLEAN, 0)) {
        host->get_boolean(doc, P "/DangKyMuon", &late);
    }

    if (!late) {
        host->report(doc, P "/DangKyMuon", "late_registration_required",
                     "Quá %lld ngày kể từ ngày sinh: phải đăng ký khai sinh "
                     "quá hạn (DangKyMuon = true)",
                     "more than %lld days after the birth: a late "
                     "registration (DangKyMuon = true) is required",
                     st->registration_days);
    }
}


/*
 * One parent: name and personal ID; the ID's birth year against the
 * child's.  Returns nothing: every finding is a report.
 */
static void
ht_parent(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc, const char *ptr, const char *who, long child_year)
{
    int          year, mother;
    char         p[64], vi[128], en[128];
    size_t       len;
    const char  *s;

    mother = who[0] == 'm';

    snprintf(p, sizeof(p), "%s/HoTen", ptr);

    if (host->expect(doc, p, DOSSIER_T_STRING, 1)) {
        host->get_string(doc, p, &s, &len);

        if (len == 0) {
            snprintf(vi, sizeof(vi), "Thiếu họ tên %s", mother ? "mẹ" : "cha");
            snprintf(en, sizeof(en), "the %s's name is missing", who);
            host->report_text(doc, p, "parent_name", vi, en);
        }
    }

    snprintf(p, sizeof(p), "%s/SoDinhDanh", ptr);

    if (!host->expect(doc, p, DOSSIER_T_STRING, 1)) {
        return;
    }

    host->get_string(doc, p, &s, &len);
    year = host->cccd_birth_year(s, len);

    if (year < 0) {
        host->report(doc, p, mother ? "mother_id" : "father_id",
                     "Số định danh \"%s\" không hợp lệ (12 chữ số)",
                     "personal ID \"%s\" is not valid (12 digits)", s);
        return;
    }

    if (child_year == 0) {
        return;
    }

    if (year >= child_year) {
        host->report(doc, p, "parent_birth_year",
                     "Năm sinh %d (theo số định danh) không trước năm sinh "
                     "của trẻ %ld", "birth year %d (from the personal ID) "
                     "is not before the child's, %ld", year, child_year);

    } else if (child_year - year < st->parent_age_min
               || (mother && child_year - year > st->mother_age_max))
    {
        snprintf(vi, sizeof(vi), "Tuổi %ld khi sinh con không hợp lý (%s)",
                 child_year - year, mother ? "mẹ" : "cha");
        snprintf(en, sizeof(en), "age %ld at the birth is not plausible (%s)",
                 child_year - year, who);
        host->report_text(doc, p, mother ? "mother_age" : "father_age", vi,
                          en);
    }
}


static int
ht_validate(dossier_state_t *st, const dossier_plugin_host_t *host,
    dossier_doc_t *doc)
{
    long     child_year;
    int64_t  birth;

    if (!host->expect(doc, P, DOSSIER_T_OBJECT, 1)) {
        return DOSSIER_OK;
    }

    birth = 0;
    ht_child(st, host, doc, &birth);

    child_year = birth != 0 ? host->date_ymd(birth) / 10000 : 0;

    if (host->expect(doc, P "/Me", DOSSIER_T_OBJECT, 1)) {
        ht_parent(st, host, doc, P "/Me", "mother", child_year);
    }

    /* the father is optional (unknown father) */
    if (host->expect(doc, P "/Cha", DOSSIER_T_OBJECT, 0)) {
        ht_parent(st, host, doc, P "/Cha", "father", child_year);
    }

    return DOSSIER_OK;
}


static void
ht_fini(dossier_state_t *st, const dossier_plugin_host_t *host)
{
    free(st);
}


static int
ht_init(const dossier_plugin_host_t *host, dossier_ctx_t *ctx,
    dossier_state_t **state, char *err, size_t errlen)
{
    dossier_state_t  *st;

    st = calloc(1, sizeof(dossier_state_t));
    if (st == NULL) {
        snprintf(err, errlen, "out of memory");
        return DOSSIER_ERROR;
    }

    if (host->config_integer(ctx, "registration_days", 60, 1, 3650,
                             &st->registration_days) != DOSSIER_OK
        || host->config_integer(ctx, "parent_age_min", 12, 1, 100,
                                &st->parent_age_min) != DOSSIER_OK
        || host->config_integer(ctx, "mother_age_max", 60, 1, 150,
                                &st->mother_age_max) != DOSSIER_OK)
    {
        free(st);
        return DOSSIER_ERROR;
    }

    *state = st;
    return DOSSIER_OK;
}


DOSSIER_PLUGIN_MAGIC("ht", "1.0.0", "HT", ht_init, ht_validate, ht_fini)
