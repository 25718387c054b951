/*
 * The staged submission: each stage once, refusals with their status and
 * absolute pointers, the catalog wait, grants, the MaHoSo a caller may
 * claim and the VNeID stamp.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dg_submission.h"
#include "unit.h"


/* 2026-11-24 10:00:00 +07:00 */
#define NOW  ((time_t) 1795489200)

#define SAMPLE(id)  SAMPLE_CODE("HP-1", id)

#define SAMPLE_CODE(code, id)                                               \
    "{\"MaHoSo\":\"" code "\",\"MaTTHC\":\"2.000815\","                     \
    "\"MaLinhVuc\":\"CT\","                                                 \
    "\"KenhThucHien\":2,\"ChuHoSo\":\"Nguyễn Thị Lan\",\"LoaiDoiTuong\":1,"  \
    "\"SoGiayToChuHoSo\":\"" id "\","                                        \
    "\"NgayTiepNhan\":\"20261124093000\",\"NgayHenTra\":\"20261208170000\"," \
    "\"TrangThaiHoSo\":1}"


static dg_catalog_t *
catalog(void)
{
    dg_catalog_t  *cat;

    cat = dg_catalog_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    CU_ASSERT_EQUAL(dg_catalog_add(cat, "2.000815", "CT"), 0);

    return cat;
}


static void
parse(dg_submission_t *s, const char *text)
{
    CU_ASSERT_EQUAL(dg_submission_parse(s, text, strlen(text)), 0);
    CU_ASSERT_EQUAL(s->stage, DG_SUBMISSION_PARSED);
}


static void
malformed_is_400(void)
{
    dg_submission_t  s;

    dg_submission_init(&s, "");

    CU_ASSERT_EQUAL(dg_submission_parse(&s, "{\"a\":", 5), -1);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_REFUSED);
    CU_ASSERT_EQUAL(s.status, 400);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "json.syntax");

    /* a refused submission stays refused whatever is asked of it */
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, NULL), -1);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), -1);

    dg_submission_free(&s);
}


static void
stages_in_order(void)
{
    dg_caller_t       caller = { DG_CALLER_OPEN, "anonymous", NULL, "" };
    dg_catalog_t     *cat;
    dg_submission_t   s;

    cat = catalog();
    dg_submission_init(&s, "");
    parse(&s, SAMPLE("031185001234"));

    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_VALID);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_CHECKED);
    CU_ASSERT_EQUAL(dg_submission_allow(&s, &caller), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_ALLOWED);
    CU_ASSERT_EQUAL(dg_submission_prepare(&s, &caller, "rid-1"), 0);
    CU_ASSERT_EQUAL_FATAL(s.stage, DG_SUBMISSION_READY);

    CU_ASSERT_EQUAL(strlen(s.hash), 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s.item);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.item, s.hash));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.item, "rid-1"));
    CU_ASSERT_STRING_EQUAL(s.dossier.ma_ho_so, "HP-1");
    CU_ASSERT_EQUAL(s.problems.n, 0);

    /* asking again does nothing again */
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_READY);

    /* the store's answer: a retry is 200 with the first id */
    CU_ASSERT_EQUAL(dg_submission_stored(&s, 0, 17), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_STORED);
    CU_ASSERT_EQUAL(s.status, 200);
    CU_ASSERT_EQUAL(s.id, 17);
    CU_ASSERT_EQUAL(dg_submission_stored(&s, 1, 18), -1);
    CU_ASSERT_EQUAL(s.id, 17);
    CU_ASSERT_STRING_EQUAL(dg_submission_code(&s), "HP-1");

    dg_submission_free(&s);
    dg_catalog_free(cat);
}


/* Only a dossier ready for the store can be stored; a conflict is the
 * store's refusal; a refused dossier still names its MaHoSo. */
static void
stored_and_conflict(void)
{
    dg_caller_t       caller = { DG_CALLER_OPEN, "anonymous", NULL, "" };
    dg_catalog_t     *cat;
    dg_submission_t   s;

    cat = catalog();
    dg_submission_init(&s, "/data/1");
    parse(&s, SAMPLE("031185001234"));

    CU_ASSERT_EQUAL(dg_submission_stored(&s, 1, 5), -1);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_PARSED);

    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(dg_submission_allow(&s, &caller), 0);
    CU_ASSERT_EQUAL(dg_submission_prepare(&s, &caller, NULL), 0);
    CU_ASSERT_EQUAL(dg_submission_stored(&s, 1, 5), 0);
    CU_ASSERT_EQUAL(s.status, 201);
    dg_submission_free(&s);

    parse(&s, SAMPLE("031185001234"));
    CU_ASSERT_EQUAL(dg_submission_refuse(&s, DG_ERR_CONFLICT), -1);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_REFUSED);
    CU_ASSERT_EQUAL(s.status, 409);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].pointer, "/data/1");
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "conflict");
    CU_ASSERT_STRING_EQUAL(dg_submission_code(&s), "HP-1");
    dg_submission_free(&s);

    /* no MaHoSo, or not a string, or not even an object */
    parse(&s, "{\"MaHoSo\":7}");
    CU_ASSERT_PTR_NULL(dg_submission_code(&s));
    dg_submission_free(&s);
    parse(&s, "[]");
    CU_ASSERT_PTR_NULL(dg_submission_code(&s));
    dg_submission_free(&s);

    dg_catalog_free(cat);
}


/* A worker without its catalog yet: the other rules now, the catalog's
 * once it is there, and only those. */
static void
catalog_later(void)
{
    dg_catalog_t     *cat;
    dg_submission_t   s;

    cat = catalog();

    dg_submission_init(&s, "");
    parse(&s, SAMPLE("031185001234"));
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, NULL), 1);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_VALID);
    /* no plugin runs before the catalog rules */
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(s.stage, DG_SUBMISSION_VALID);
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(s.problems.n, 0);
    dg_submission_free(&s);

    /* an unknown procedure is caught by the catalog stage */
    dg_submission_init(&s, "");
    parse(&s, "{\"MaHoSo\":\"HP-1\",\"MaTTHC\":\"1.000001\","
              "\"MaLinhVuc\":\"CT\",\"KenhThucHien\":2,\"ChuHoSo\":\"A\","
              "\"LoaiDoiTuong\":1,\"SoGiayToChuHoSo\":\"031185001234\","
              "\"NgayTiepNhan\":\"20261124093000\","
              "\"NgayHenTra\":\"20261208170000\",\"TrangThaiHoSo\":1}");
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, NULL), 1);
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), -1);
    CU_ASSERT_EQUAL(s.status, 422);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].pointer, "/MaTTHC");
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "procedure.unknown");
    dg_submission_free(&s);

    dg_catalog_free(cat);
}


/* A batch item reports where it is in the request. */
static void
item_pointers_are_absolute(void)
{
    json_t           *v;
    dg_catalog_t     *cat;
    dg_submission_t   s;

    cat = catalog();
    v = json_loads(SAMPLE("099185001234"), 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);

    dg_submission_init(&s, "/data/3");
    dg_submission_take(&s, v);
    json_decref(v);

    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), -1);
    CU_ASSERT_EQUAL(s.status, 422);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].pointer,
                           "/data/3/SoGiayToChuHoSo");
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "cccd.province");

    dg_submission_refuse(&s, DG_ERR_STORAGE_SATURATED);
    CU_ASSERT_EQUAL(s.status, 503);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].pointer, "/data/3");

    dg_submission_free(&s);
    dg_catalog_free(cat);
}


static void
citizen_grants_and_stamp(void)
{
    dg_caller_t       caller = { DG_CALLER_CITIZEN, "vneid", NULL,
                                 "031185001234" };
    dg_catalog_t     *cat;
    dg_submission_t   s;

    cat = catalog();

    dg_submission_init(&s, "");
    parse(&s, SAMPLE_CODE("VNEID-031185001234-1", "031185001234"));
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(dg_submission_allow(&s, &caller), 0);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(s.root,
                        "TaiKhoanDuocXacThucVoiVNeID")), 1);
    dg_submission_free(&s);

    /* someone else's dossier */
    dg_submission_init(&s, "");
    parse(&s, SAMPLE("031185009999"));
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);
    CU_ASSERT_EQUAL(dg_submission_allow(&s, &caller), -1);
    CU_ASSERT_EQUAL(s.status, 403);
    CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
    CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "auth.subject");
    CU_ASSERT_PTR_NULL(json_object_get(s.root, "TaiKhoanDuocXacThucVoiVNeID"));
    dg_submission_free(&s);

    dg_catalog_free(cat);
}


/* Allows (0) or refuses (-1) the dossier text from caller. */
static int
claim(const dg_caller_t *caller, dg_catalog_t *cat, const char *text)
{
    int               rc;
    dg_submission_t   s;

    dg_submission_init(&s, "");
    parse(&s, text);
    CU_ASSERT_EQUAL(dg_submission_validate(&s, NOW, cat), 0);
    CU_ASSERT_EQUAL(dg_submission_check(&s, NULL, NOW), 0);

    rc = dg_submission_allow(&s, caller);

    if (rc != 0) {
        CU_ASSERT_EQUAL(s.status, 403);
        CU_ASSERT_EQUAL_FATAL(s.problems.n, 1);
        CU_ASSERT_STRING_EQUAL(s.problems.items[0].code, "auth.code_prefix");
    }

    dg_submission_free(&s);

    return rc;
}


static void
code_prefix(void)
{
    int                 fd;
    char                path[] = "/tmp/dg-test-submission-XXXXXX";
    char                err[256];
    const char         *text;
    dg_caller_t         client = { DG_CALLER_CLIENT, "ct-app", NULL, "" };
    dg_caller_t         open_ = { DG_CALLER_OPEN, "anonymous", NULL, "" };
    dg_caller_t         citizen = { DG_CALLER_CITIZEN, "vneid", NULL,
                                    "031185001234" };
    dg_catalog_t       *cat;
    dg_clients_t       *cs;

    text = "class c rate=off\n"
           "client ct-app secret=ct-app-secret sectors=CT codes=CT-,HP-2 "
           "class=c\n"
           "client any-app secret=any-app-secret sectors=CT codes=* class=c\n"
           "client no-app secret=no-app-secret sectors=CT class=c\n";

    fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(write(fd, text, strlen(text)),
                          (ssize_t) strlen(text));
    close(fd);

    cs = dg_clients_load(path, err, sizeof(err));
    unlink(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cs);

    cat = catalog();

    /* a client: its prefixes only */
    client.client = dg_clients_find(cs, "ct-app", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(client.client);
    CU_ASSERT_EQUAL(claim(&client, cat,
                          SAMPLE_CODE("CT-7", "031185001234")), 0);
    CU_ASSERT_EQUAL(claim(&client, cat,
                          SAMPLE_CODE("HP-21", "031185001234")), 0);
    CU_ASSERT_EQUAL(claim(&client, cat, SAMPLE("031185001234")), -1);

    /* "*": any code; no codes=: none */
    client.client = dg_clients_find(cs, "any-app", 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(client.client);
    CU_ASSERT_EQUAL(claim(&client, cat, SAMPLE("031185001234")), 0);

    client.client = dg_clients_find(cs, "no-app", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(client.client);
    CU_ASSERT_EQUAL(claim(&client, cat, SAMPLE("031185001234")), -1);

    /* a citizen: VNEID-{sub}-... only, even for their own dossier */
    CU_ASSERT_EQUAL(claim(&citizen, cat,
                          SAMPLE_CODE("VNEID-031185001234-9",
                                      "031185001234")), 0);
    CU_ASSERT_EQUAL(claim(&citizen, cat,
                          SAMPLE_CODE("VNEID-031185001235-9",
                                      "031185001234")), -1);
    CU_ASSERT_EQUAL(claim(&citizen, cat, SAMPLE("031185001234")), -1);

    /* dossier_auth off: any code */
    CU_ASSERT_EQUAL(claim(&open_, cat, SAMPLE("031185001234")), 0);

    dg_catalog_free(cat);
    dg_clients_free(cs);
}


static CU_TestInfo  tests[] = {
    { "malformed body: 400, stays refused", malformed_is_400 },
    { "stages in order, each once", stages_in_order },
    { "stored from ready only; conflict refused", stored_and_conflict },
    { "catalog rules once the catalog arrives", catalog_later },
    { "batch items: absolute pointers", item_pointers_are_absolute },
    { "citizen: own dossier stamped, other 403", citizen_grants_and_stamp },
    { "MaHoSo a caller may not claim: 403 auth.code_prefix", code_prefix },
    CU_TEST_INFO_NULL
};


DG_UNIT_SUITE(submission, tests)
