/*
 * The client registry file (dg_clients.h): loading, lookups, grants,
 * and errors reported with file and line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "dg_clients.h"


typedef struct {
    char  dir[64];
    char  path[128];
    char  err[512];
} tmp_t;


static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE  *f;

    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fputs(text, f) >= 0, 1);
    CU_ASSERT_EQUAL(fclose(f), 0);
    CU_ASSERT_EQUAL(chmod(path, mode), 0);
}


static void
tmp_init(tmp_t *t)
{
    strcpy(t->dir, "/tmp/dg-clients-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/clients.conf", t->dir);
}


static void
tmp_done(tmp_t *t)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}


/* Loads text; returns the error without the "path:" prefix ("" on
 * success, then the registry is freed). */
static const char *
load_error(tmp_t *t, const char *text)
{
    size_t         n;
    dg_clients_t  *cs;

    write_file(t->path, text, 0644);

    t->err[0] = '\0';
    cs = dg_clients_load(t->path, t->err, sizeof(t->err));

    if (cs != NULL) {
        dg_clients_free(cs);
        return "";
    }

    n = strlen(t->path);
    CU_ASSERT_EQUAL(strncmp(t->err, t->path, n), 0);
    CU_ASSERT_EQUAL(t->err[n], ':');

    return t->err + n + 1;
}


#define CLASS  "class portal rate=1000/s burst=2000\n"


static void
test_load(void)
{
    char                      path[160];
    size_t                    len;
    tmp_t                     t;
    dg_clients_t             *cs;
    const dg_client_t        *c;
    const unsigned char      *secret;
    const dg_client_class_t  *cls;

    tmp_init(&t);

    write_file(t.path,
               "# id  secret  sectors  read  class\n"
               "\n"
               "   # indented comment\n"
               CLASS
               "class sector rate=30/m\n"
               "class bulk rate=off\n"
               "client demo-portal secret=demo-portal-secret sectors=* "
               "read=* codes=* class=portal\n"
               "client\tbtxh-app\tsecret-file=btxh.secret  sectors=BTXH "
               "read=BTXH,HT codes=BTXH-,H31.0/ class=sector\r\n"
               "client reader secret=reader-secret-1 sectors=- class=bulk",
               0644);
    snprintf(path, sizeof(path), "%s/btxh.secret", t.dir);
    write_file(path, "btxh-secret-from-file\n", 0640);

    cs = dg_clients_load(t.path, t.err, sizeof(t.err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
    CU_ASSERT_EQUAL(dg_clients_count(cs), 3);

    c = dg_clients_find(cs, "demo-portal", 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(dg_client_id(c), "demo-portal");
    secret = dg_client_secret(c, &len);
    CU_ASSERT_EQUAL(len, 18);
    CU_ASSERT_EQUAL(memcmp(secret, "demo-portal-secret", 18), 0);
    CU_ASSERT(dg_client_may_submit(c, "BTXH", 4));
    CU_ASSERT(dg_client_may_read(c, "ANY", 3));
    cls = dg_client_class(c);
    CU_ASSERT_STRING_EQUAL(cls->name, "portal");
    CU_ASSERT_EQUAL(cls->rate, 1000);
    CU_ASSERT_EQUAL(cls->period, 1);
    CU_ASSERT_EQUAL(cls->burst, 2000);

    /* ids are compared with their length, not as prefixes */
    CU_ASSERT_PTR_NULL(dg_clients_find(cs, "demo-portal", 4));
    CU_ASSERT_PTR_NULL(dg_clients_find(cs, "demo-portalx", 12));
    CU_ASSERT_PTR_NULL(dg_clients_find(cs, "", 0));

    c = dg_clients_find(cs, "btxh-app-and-more", 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    secret = dg_client_secret(c, &len);
    CU_ASSERT_EQUAL(len, 21);
    CU_ASSERT_EQUAL(memcmp(secret, "btxh-secret-from-file", 21), 0);
    CU_ASSERT(dg_client_may_submit(c, "BTXH", 4));
    CU_ASSERT(!dg_client_may_submit(c, "HT", 2));
    CU_ASSERT(!dg_client_may_submit(c, "BTX", 3));
    CU_ASSERT(!dg_client_may_submit(c, "BTXHX", 5));
    CU_ASSERT(!dg_client_may_submit(c, "", 0));
    CU_ASSERT(dg_client_may_read(c, "HTxyz", 2));
    CU_ASSERT(dg_client_may_read(c, "BTXH", 4));
    CU_ASSERT(!dg_client_may_read(c, "DD", 2));
    CU_ASSERT_EQUAL(dg_client_class(c)->rate, 30);
    CU_ASSERT_EQUAL(dg_client_class(c)->period, 60);
    CU_ASSERT_EQUAL(dg_client_class(c)->burst, 30);
    CU_ASSERT_STRING_EQUAL(dg_client_read_sectors(c), "BTXH,HT");

    /* MaHoSo prefixes: whole prefixes, compared with the code's length */
    CU_ASSERT(dg_client_may_claim(c, "BTXH-2026-1", 11));
    CU_ASSERT(dg_client_may_claim(c, "BTXH-", 5));
    CU_ASSERT(dg_client_may_claim(c, "H31.0/7", 7));
    CU_ASSERT(!dg_client_may_claim(c, "BTXH-2026-1", 4));
    CU_ASSERT(!dg_client_may_claim(c, "BTXH2026", 8));
    CU_ASSERT(!dg_client_may_claim(c, "btxh-1", 6));
    CU_ASSERT(!dg_client_may_claim(c, "HT-1", 4));
    CU_ASSERT(!dg_client_may_claim(c, "H31.07", 6));
    CU_ASSERT(!dg_client_may_claim(c, "", 0));

    c = dg_clients_find(cs, "reader", 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(!dg_client_may_submit(c, "HT", 2));
    CU_ASSERT(!dg_client_may_read(c, "HT", 2));
    CU_ASSERT_STRING_EQUAL(dg_client_read_sectors(c), "");
    CU_ASSERT_EQUAL(dg_client_class(c)->rate, 0);

    /* no codes= line: no code may be claimed */
    CU_ASSERT(!dg_client_may_claim(c, "HP-1", 4));

    c = dg_clients_find(cs, "demo-portal", 11);
    CU_ASSERT(dg_client_may_claim(c, "anything/at-all", 15));
    CU_ASSERT_STRING_EQUAL(dg_client_read_sectors(c), "*");

    secret = NULL;
    CU_ASSERT_EQUAL(dg_clients_sig_key(cs, "reader", 6, &secret, &len), 0);
    CU_ASSERT_EQUAL(len, 15);
    CU_ASSERT_EQUAL(dg_clients_sig_key(cs, "nobody", 6, &secret, &len), -1);

    dg_clients_free(cs);
    tmp_done(&t);
}


static void
test_errors(void)
{
    tmp_t  t;

    tmp_init(&t);

    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS
        "# comment\n"
        "\n"
        "client a secret=0123456789abcdef sectors=* class=portal\n"
        "client b secret=0123456789abcdef sectors=* class=portal\n"
        "\n"
        "client c secert=0123456789abcdef sectors=* class=portal\n"),
        "7: unknown key \"secert\"");

    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* sectors=HT "
        "class=portal\n"), "2: duplicate key \"sectors\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef class=portal\n"),
        "2: missing key \"sectors\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=*\n"),
        "2: missing key \"class\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a sectors=* class=portal\n"),
        "2: missing key \"secret\" or \"secret-file\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        "client a secret=0123456789abcdef sectors=* class=portal\n" CLASS),
        "1: class \"portal\" is not defined (a \"class\" line must come "
        "first)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef secret-file=x sectors=* "
        "class=portal\n"),
        "2: \"secret\" and \"secret-file\" are exclusive");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=short sectors=* class=portal\n"),
        "2: secret: must be 12 to 1024 bytes");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a/b secret=0123456789abcdef sectors=* class=portal\n"),
        "2: client: the id must be 1 to 64 of A-Z a-z 0-9 . _ -");
    CU_ASSERT_STRING_EQUAL(load_error(&t, CLASS "client\n"),
        "2: client: the id must be 1 to 64 of A-Z a-z 0-9 . _ -");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=btxh class=portal\n"),
        "2: sectors: invalid sector list \"btxh\" (\"*\", \"-\" or codes "
        "like BTXH,HT)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=HT,,DD "
        "class=portal\n"),
        "2: sectors: invalid sector list \"HT,,DD\" (\"*\", \"-\" or codes "
        "like BTXH,HT)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=HT read=HT, "
        "class=portal\n"),
        "2: read: invalid sector list \"HT,\" (\"*\", \"-\" or codes "
        "like BTXH,HT)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=ABCDEFGHIJKLMNOPQ "
        "class=portal\n"),
        "2: sectors: invalid sector list \"ABCDEFGHIJKLMNOPQ\" (\"*\", \"-\" "
        "or codes like BTXH,HT)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=ABCDEFGHIJKLMNOP "
        "class=portal\n"), "");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* codes=HP-,,X "
        "class=portal\n"),
        "2: codes: invalid prefix list \"HP-,,X\" (\"*\", \"-\" or MaHoSo "
        "prefixes like HP-,H31.)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* codes=HP:1 "
        "class=portal\n"),
        "2: codes: invalid prefix list \"HP:1\" (\"*\", \"-\" or MaHoSo "
        "prefixes like HP-,H31.)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* codes=HP- "
        "codes=* class=portal\n"), "2: duplicate key \"codes\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* codes="
        "A123456789B123456789C123456789D123456789E123456789F123456789G1234 "
        "class=portal\n"),
        "2: codes: invalid prefix list \"A123456789B123456789C123456789"
        "D123456789E123456789F123456789G123\" (\"*\", \"-\" or MaHoSo "
        "prefixes like HP-,H31.)");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a secret=0123456789abcdef sectors=* codes="
        "A123456789B123456789C123456789D123456789E123456789F123456789G123 "
        "class=portal\n"), "");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "clients a secret=0123456789abcdef\n"),
        "2: unknown directive \"clients\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS "client a b c d e f g h\n"), "2: more than 8 fields");

    /* duplicates are reported at the second definition */
    CU_ASSERT_STRING_EQUAL(load_error(&t,
        CLASS
        "client b secret=0123456789abcdef sectors=* class=portal\n"
        "client a secret=0123456789abcdef sectors=* class=portal\n"
        "client b secret=0123456789abcdef sectors=* class=portal\n"),
        "4: client \"b\" defined twice (first at line 2)");
    CU_ASSERT_STRING_EQUAL(load_error(&t, CLASS CLASS),
        "2: class \"portal\" defined twice");

    /* classes */
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x\n"),
        "1: missing key \"rate\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=10\n"),
        "1: rate: expected N/s, N/m or off (1 <= N <= 1000000), got \"10\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=0/s\n"),
        "1: rate: expected N/s, N/m or off (1 <= N <= 1000000), got \"0/s\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=1000001/s\n"),
        "1: rate: expected N/s, N/m or off (1 <= N <= 1000000), got "
        "\"1000001/s\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/h\n"),
        "1: rate: expected N/s, N/m or off (1 <= N <= 1000000), got \"5/h\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/s burst=-1\n"),
        "1: burst: expected 0 to 1000000, got \"-1\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/s rate=6/s\n"),
        "1: duplicate key \"rate\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/s burst=1 "
                                      "burst=2\n"),
        "1: duplicate key \"burst\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/s limit=1\n"),
        "1: unknown key \"limit\"");
    CU_ASSERT_STRING_EQUAL(load_error(&t, "class x rate=5/s 7\n"),
        "1: field 4 is not key=value");

    tmp_done(&t);
}


/* An error never quotes a value that may be a secret. */
static void
test_errors_hide_secrets(void)
{
    tmp_t        t;
    const char  *err;

    tmp_init(&t);

    err = load_error(&t, CLASS "client a secret TopSecretValue123 "
                     "sectors=* class=portal\n");
    CU_ASSERT_STRING_EQUAL(err, "2: field 3 is not key=value");
    CU_ASSERT_PTR_NULL(strstr(t.err, "TopSecret"));

    err = load_error(&t, CLASS "client a TopSecretValue123 sectors=* "
                     "class=portal\n");
    CU_ASSERT_PTR_NULL(strstr(t.err, "TopSecret"));

    err = load_error(&t, CLASS "client a secret=TopSecretValue123 "
                     "secret=TopSecretValue123 sectors=* class=portal\n");
    CU_ASSERT_STRING_EQUAL(err, "2: duplicate key \"secret\"");
    CU_ASSERT_PTR_NULL(strstr(t.err, "TopSecret"));

    tmp_done(&t);
}


static void
test_secret_files(void)
{
    char          secret[192], text[512], big[1100];
    tmp_t         t;
    const char   *err;

    tmp_init(&t);
    snprintf(secret, sizeof(secret), "%s/s.secret", t.dir);

    /* an absolute path, readable by its group but not by others */
    snprintf(text, sizeof(text), CLASS "client a secret-file=%s sectors=* "
             "class=portal\n", secret);
    write_file(secret, "0123456789abcdef\r\n", 0640);
    CU_ASSERT_STRING_EQUAL(load_error(&t, text), "");

    write_file(secret, "0123456789abcdef\n", 0644);
    err = load_error(&t, text);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is world-readable"));
    CU_ASSERT_EQUAL(strncmp(err, "2: secret-file: ", 16), 0);

    write_file(secret, "0123456789abcdef\nsecond line\n", 0600);
    CU_ASSERT_PTR_NOT_NULL(strstr(load_error(&t, text),
                                  "must hold the secret alone on one line"));

    write_file(secret, "short\n", 0600);
    CU_ASSERT_PTR_NOT_NULL(strstr(load_error(&t, text), "shorter than 12"));
    CU_ASSERT_PTR_NULL(strstr(t.err, "short\n"));

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    write_file(secret, big, 0600);
    CU_ASSERT_PTR_NOT_NULL(strstr(load_error(&t, text), "at most 1024"));

    CU_ASSERT_EQUAL(unlink(secret), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(load_error(&t, text), "cannot open"));

    snprintf(text, sizeof(text), CLASS "client a secret-file=%s sectors=* "
             "class=portal\n", t.dir);
    CU_ASSERT_PTR_NOT_NULL(strstr(load_error(&t, text),
                                  "is not a regular file"));

    tmp_done(&t);
}


static void
test_file_limits(void)
{
    char           *text;
    tmp_t           t;
    dg_clients_t   *cs;

    tmp_init(&t);

    text = malloc(DG_CLIENT_MAX_LINE + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);

    memset(text, '#', DG_CLIENT_MAX_LINE);
    strcpy(text + DG_CLIENT_MAX_LINE, "\n" CLASS);
    CU_ASSERT_STRING_EQUAL(load_error(&t, text), "");

    memset(text, '#', DG_CLIENT_MAX_LINE + 1);
    strcpy(text + DG_CLIENT_MAX_LINE + 1, "\n" CLASS);
    CU_ASSERT_STRING_EQUAL(load_error(&t, text),
                           "1: line longer than 4096 bytes");
    free(text);

    CU_ASSERT_STRING_EQUAL(load_error(&t, ""), "");

    cs = dg_clients_load("/nonexistent/clients.conf", t.err, sizeof(t.err));
    CU_ASSERT_PTR_NULL(cs);
    CU_ASSERT_STRING_EQUAL(t.err, "/nonexistent/clients.conf: cannot "
                           "open: No such file or directory");

    tmp_done(&t);
}


/* The development registry of CONTRACT.md section 5. */
static void
test_dev_clients(void)
{
    char                      err[256];
    size_t                    len;
    dg_clients_t             *cs;
    const dg_client_t        *c;
    const unsigned char      *secret;
    const dg_client_class_t  *cls;

    cs = dg_clients_load("conf/dev/clients.conf", err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cs);

    c = dg_clients_find(cs, "demo-portal", 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    secret = dg_client_secret(c, &len);
    CU_ASSERT(len == 18 && memcmp(secret, "demo-portal-secret", 18) == 0);
    CU_ASSERT(dg_client_may_submit(c, "HKD", 3));
    CU_ASSERT(dg_client_may_read(c, "CT", 2));
    cls = dg_client_class(c);
    CU_ASSERT(cls->rate >= 500 && cls->period == 1);

    c = dg_clients_find(cs, "loadtest", 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    secret = dg_client_secret(c, &len);
    CU_ASSERT(len == 15 && memcmp(secret, "loadtest-secret", 15) == 0);
    CU_ASSERT(dg_client_may_submit(c, "BTXH", 4));
    CU_ASSERT(dg_client_may_read(c, "BTXH", 4));
    CU_ASSERT_EQUAL(dg_client_class(c)->rate, 0);

    /* section 5 (1.1): both may claim any MaHoSo */
    CU_ASSERT(dg_client_may_claim(c, "X", 1));
    CU_ASSERT(dg_client_may_claim(dg_clients_find(cs, "demo-portal", 11),
                                  "HP-2026-000001", 14));

    dg_clients_free(cs);
}


/* A citizen may claim only codes starting VNEID-{sub}-: their own. */
static void
test_citizen_claim(void)
{
    const char  *sub = "031185001234";

    CU_ASSERT(dg_citizen_may_claim(sub, "VNEID-031185001234-1", 20));
    CU_ASSERT(dg_citizen_may_claim(sub, "VNEID-031185001234-2026/7", 25));
    CU_ASSERT(dg_citizen_may_claim(sub, "VNEID-031185001234-", 19));
    CU_ASSERT(!dg_citizen_may_claim(sub, "VNEID-031185001234", 18));
    CU_ASSERT(!dg_citizen_may_claim(sub, "VNEID-0311850012345-1", 21));
    CU_ASSERT(!dg_citizen_may_claim(sub, "VNEID-031185009999-1", 20));
    CU_ASSERT(!dg_citizen_may_claim(sub, "vneid-031185001234-1", 20));
    CU_ASSERT(!dg_citizen_may_claim(sub, "HP-031185001234-1", 17));
    CU_ASSERT(!dg_citizen_may_claim(sub, "VNEID-031185001234-1", 12));
    CU_ASSERT(!dg_citizen_may_claim(sub, "", 0));
}


static CU_TestInfo  tests[] = {
    { "load and look up", test_load },
    { "errors with line numbers", test_errors },
    { "errors hide secrets", test_errors_hide_secrets },
    { "secret files", test_secret_files },
    { "file limits", test_file_limits },
    { "dev clients", test_dev_clients },
    { "citizen MaHoSo claims", test_citizen_claim },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(clients, tests)
