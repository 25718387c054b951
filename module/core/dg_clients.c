/*
 * The client registry file; the format is described in dg_clients.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dg_clients.h"


#define DG_CLIENT_MAX_FIELDS   8
#define DG_CLIENT_MAX_SECTORS  64
#define DG_CLIENT_MAX_RATE     1000000

#define DG_CLIENT_KEY_SECRET       0x01
#define DG_CLIENT_KEY_SECRET_FILE  0x02
#define DG_CLIENT_KEY_SECTORS      0x04
#define DG_CLIENT_KEY_READ         0x08
#define DG_CLIENT_KEY_CLASS        0x10
#define DG_CLIENT_KEY_CODES        0x20
#define DG_CLIENT_KEY_SECRETS      (DG_CLIENT_KEY_SECRET                   \
                                    | DG_CLIENT_KEY_SECRET_FILE)


struct dg_client_s {
    char                     *id;
    unsigned char            *secret;
    size_t                    secret_len;
    char                     *submit;   /* "*", "" (none) or "A,B" */
    char                     *read;
    char                     *codes;    /* "*", "" or "P1,P2": prefixes */
    const dg_client_class_t  *cls;
    unsigned                  line;
};

struct dg_clients_s {
    dg_client_t        *clients;        /* sorted by id once loaded */
    size_t              n;
    size_t              cap;
    dg_client_class_t   classes[DG_CLIENT_MAX_CLASSES];
    size_t              nclasses;
};

typedef struct {
    const char  *path;
    unsigned     line;
    char        *err;
    size_t       errlen;
} dg_clients_loader_t;

static const struct {
    const char  *name;
    unsigned     bit;
} dg_client_keys[] = {
    { "secret", DG_CLIENT_KEY_SECRET },
    { "secret-file", DG_CLIENT_KEY_SECRET_FILE },
    { "sectors", DG_CLIENT_KEY_SECTORS },
    { "read", DG_CLIENT_KEY_READ },
    { "class", DG_CLIENT_KEY_CLASS },
    { "codes", DG_CLIENT_KEY_CODES }
};


static int
dg_clients_fail(dg_clients_loader_t *ld, const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (ld->errlen == 0) {
        return -1;
    }

    /* line 0: about the file as a whole */
    n = ld->line ? snprintf(ld->err, ld->errlen, "%s:%u: ", ld->path,
                            ld->line)
                 : snprintf(ld->err, ld->errlen, "%s: ", ld->path);

    if (n >= 0 && (size_t) n < ld->errlen) {
        va_start(args, fmt);
        vsnprintf(ld->err + n, ld->errlen - n, fmt, args);
        va_end(args);
    }

    return -1;
}


static int
dg_clients_is_id(const char *s, size_t max)
{
    size_t  i;

    for (i = 0; s[i] != '\0'; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '.' || s[i] == '_' || s[i] == '-'))
        {
            return 0;
        }
    }

    return i > 0 && i <= max;
}


/* Up to 1000000, digits only; returns -1 otherwise. */
static long
dg_clients_number(const char *s, size_t len)
{
    long    v;
    size_t  i;

    if (len == 0 || len > 7) {
        return -1;
    }

    v = 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    return v <= DG_CLIENT_MAX_RATE ? v : -1;
}


/* A sector code's characters, or (codes) a MaHoSo's. */
static int
dg_clients_list_char(int c, int codes)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
           || (codes && ((c >= 'a' && c <= 'z') || c == '.' || c == '-'
                         || c == '/'));
}


/* ITEM[,ITEM]... with at most DG_CLIENT_MAX_SECTORS items of 1 to max of
 * those characters. */
static int
dg_clients_list_ok(const char *p, size_t max, int codes)
{
    size_t  n, len;

    n = 0;
    len = 0;

    for ( ;; p++) {
        if (*p == ',' || *p == '\0') {
            if (len == 0 || ++n > DG_CLIENT_MAX_SECTORS) {
                return 0;
            }

            if (*p == '\0') {
                return 1;
            }

            len = 0;
            continue;
        }

        if (!dg_clients_list_char((unsigned char) *p, codes) || ++len > max) {
            return 0;
        }
    }
}


/*
 * "*", "-" or a list: sector codes (sectors=, read=) or MaHoSo prefixes
 * (codes=).  Returns the stored form ("-" stored as "") or NULL.
 */
static char *
dg_clients_list(dg_clients_loader_t *ld, const char *key, const char *value)
{
    int    codes;
    char  *list;

    codes = strcmp(key, "codes") == 0;

    if (strcmp(value, "*") != 0 && strcmp(value, "-") != 0
        && !dg_clients_list_ok(value, codes ? DG_CLIENT_MAX_CODE
                                            : DG_CLIENT_MAX_SECTOR, codes))
    {
        dg_clients_fail(ld, "%s: invalid %s list \"%.64s\" (\"*\", \"-\" "
                        "or %s)", key, codes ? "prefix" : "sector", value,
                        codes ? "MaHoSo prefixes like HP-,H31."
                              : "codes like BTXH,HT");
        return NULL;
    }

    list = strdup(strcmp(value, "-") == 0 ? "" : value);
    if (list == NULL) {
        dg_clients_fail(ld, "out of memory");
    }

    return list;
}


static int
dg_clients_secret_file(dg_clients_loader_t *ld, const char *value,
    dg_client_t *c)
{
    int            fd, rc;
    char           path[PATH_MAX];
    char           buf[DG_CLIENT_MAX_SECRET + 3];
    size_t         n, dirlen;
    ssize_t        r;
    struct stat    st;
    const char    *slash;

    slash = strrchr(ld->path, '/');
    dirlen = (value[0] != '/' && slash != NULL) ? slash - ld->path + 1 : 0;

    if (snprintf(path, sizeof(path), "%.*s%s", (int) dirlen, ld->path,
                 value)
        >= (int) sizeof(path))
    {
        return dg_clients_fail(ld, "secret-file: path too long");
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return dg_clients_fail(ld, "secret-file: cannot open \"%s\": %s",
                               path, strerror(errno));
    }

    rc = -1;
    n = 0;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dg_clients_fail(ld, "secret-file: \"%s\" is not a regular file",
                        path);
        goto done;
    }

    if (st.st_mode & S_IROTH) {
        dg_clients_fail(ld, "secret-file: \"%s\" is world-readable", path);
        goto done;
    }

    while (n < sizeof(buf)) {
        r = read(fd, buf + n, sizeof(buf) - n);
        if (r == 0) {
            break;
        }

        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }

            dg_clients_fail(ld, "secret-file: cannot read \"%s\": %s", path,
                            strerror(errno));
            goto done;
        }

        n += r;
    }

    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r') {
            n--;
        }
    }

    if (n > DG_CLIENT_MAX_SECRET || memchr(buf, '\n', n) != NULL
        || memchr(buf, '\r', n) != NULL)
    {
        dg_clients_fail(ld, "secret-file: \"%s\" must hold the secret alone "
                        "on one line of at most %d bytes", path,
                        DG_CLIENT_MAX_SECRET);
        goto done;
    }

    if (n < DG_CLIENT_MIN_SECRET) {
        dg_clients_fail(ld, "secret-file: the secret in \"%s\" is shorter "
                        "than %d bytes", path, DG_CLIENT_MIN_SECRET);
        goto done;
    }

    c->secret = malloc(n);
    if (c->secret == NULL) {
        dg_clients_fail(ld, "out of memory");
        goto done;
    }

    memcpy(c->secret, buf, n);
    c->secret_len = n;
    rc = 0;

done:

    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);

    return rc;
}


static int
dg_clients_secret(dg_clients_loader_t *ld, const char *value,
    dg_client_t *c)
{
    size_t  n;

    n = strlen(value);

    if (n < DG_CLIENT_MIN_SECRET || n > DG_CLIENT_MAX_SECRET) {
        return dg_clients_fail(ld, "secret: must be %d to %d bytes",
                               DG_CLIENT_MIN_SECRET, DG_CLIENT_MAX_SECRET);
    }

    c->secret = malloc(n);
    if (c->secret == NULL) {
        return dg_clients_fail(ld, "out of memory");
    }

    memcpy(c->secret, value, n);
    c->secret_len = n;

    return 0;
}


static void
dg_client_clear(dg_client_t *c)
{
    if (c->secret != NULL) {
        OPENSSL_cleanse(c->secret, c->secret_len);
    }

    free(c->secret);
    free(c->id);
    free(c->submit);
    free(c->read);
    free(c->codes);
}


static const dg_client_class_t *
dg_clients_class_find(const dg_clients_t *cs, const char *name)
{
    size_t  i;

    for (i = 0; i < cs->nclasses; i++) {
        if (strcmp(cs->classes[i].name, name) == 0) {
            return &cs->classes[i];
        }
    }

    return NULL;
}


static int
dg_clients_client_field(dg_clients_t *cs, dg_clients_loader_t *ld,
    dg_client_t *c, const char *key, const char *value)
{
    if (strcmp(key, "secret") == 0) {
        return dg_clients_secret(ld, value, c);
    }

    if (strcmp(key, "secret-file") == 0) {
        return dg_clients_secret_file(ld, value, c);
    }

    if (strcmp(key, "sectors") == 0) {
        c->submit = dg_clients_list(ld, key, value);
        return c->submit != NULL ? 0 : -1;
    }

    if (strcmp(key, "read") == 0) {
        c->read = dg_clients_list(ld, key, value);
        return c->read != NULL ? 0 : -1;
    }

    if (strcmp(key, "codes") == 0) {
        c->codes = dg_clients_list(ld, key, value);
        return c->codes != NULL ? 0 : -1;
    }

    c->cls = dg_clients_class_find(cs, value);
    if (c->cls == NULL) {
        return dg_clients_fail(ld, "class \"%.64s\" is not defined (a "
                               "\"class\" line must come first)", value);
    }

    return 0;
}


static int
dg_clients_client(dg_clients_t *cs, dg_clients_loader_t *ld, char **tok,
    size_t ntok)
{
    char         *eq;
    size_t        i, k;
    unsigned      seen;
    dg_client_t   c, *grown;

    memset(&c, 0, sizeof(dg_client_t));
    c.line = ld->line;

    if (ntok < 2 || !dg_clients_is_id(tok[1], DG_CLIENT_MAX_ID)) {
        return dg_clients_fail(ld, "client: the id must be 1 to %d of "
                               "A-Z a-z 0-9 . _ -", DG_CLIENT_MAX_ID);
    }

    if (cs->n == DG_CLIENT_MAX_CLIENTS) {
        return dg_clients_fail(ld, "more than %d clients",
                               DG_CLIENT_MAX_CLIENTS);
    }

    seen = 0;

    for (i = 2; i < ntok; i++) {
        /* values are never echoed: one of them may be a secret */
        eq = strchr(tok[i], '=');
        if (eq == NULL) {
            dg_clients_fail(ld, "field %zu is not key=value", i + 1);
            goto failed;
        }

        *eq = '\0';

        for (k = 0; k < sizeof(dg_client_keys) / sizeof(dg_client_keys[0]);
             k++)
        {
            if (strcmp(tok[i], dg_client_keys[k].name) == 0) {
                break;
            }
        }

        if (k == sizeof(dg_client_keys) / sizeof(dg_client_keys[0])) {
            dg_clients_fail(ld, "unknown key \"%.32s\"", tok[i]);
            goto failed;
        }

        if (seen & dg_client_keys[k].bit) {
            dg_clients_fail(ld, "duplicate key \"%s\"", tok[i]);
            goto failed;
        }

        seen |= dg_client_keys[k].bit;

        if ((seen & DG_CLIENT_KEY_SECRETS) == DG_CLIENT_KEY_SECRETS) {
            dg_clients_fail(ld, "\"secret\" and \"secret-file\" are "
                            "exclusive");
            goto failed;
        }

        if (dg_clients_client_field(cs, ld, &c, tok[i], eq + 1) != 0) {
            goto failed;
        }
    }

    if (!(seen & DG_CLIENT_KEY_SECRETS)) {
        dg_clients_fail(ld, "missing key \"secret\" or \"secret-file\"");
        goto failed;
    }

    if (!(seen & DG_CLIENT_KEY_SECTORS)) {
        dg_clients_fail(ld, "missing key \"sectors\"");
        goto failed;
    }

    if (!(seen & DG_CLIENT_KEY_CLASS)) {
        dg_clients_fail(ld, "missing key \"class\"");
        goto failed;
    }

    if (c.read == NULL) {
        c.read = strdup("");
    }

    if (c.codes == NULL) {
        c.codes = strdup("");
    }

    c.id = strdup(tok[1]);

    if (c.read == NULL || c.codes == NULL || c.id == NULL) {
        dg_clients_fail(ld, "out of memory");
        goto failed;
    }

    if (cs->n == cs->cap) {
        grown = realloc(cs->clients,
                        (cs->cap ? cs->cap * 2 : 16) * sizeof(dg_client_t));
        if (grown == NULL) {
            dg_clients_fail(ld, "out of memory");
            goto failed;
        }

        cs->clients = grown;
        cs->cap = cs->cap ? cs->cap * 2 : 16;
    }

    cs->clients[cs->n++] = c;

    return 0;

failed:

    dg_client_clear(&c);

    return -1;
}


static int
dg_clients_rate(const char *value, dg_client_class_t *cls)
{
    long         n;
    const char  *slash;

    if (strcmp(value, "off") == 0) {
        cls->rate = 0;
        cls->period = 1;
        return 0;
    }

    slash = strchr(value, '/');
    if (slash == NULL) {
        return -1;
    }

    n = dg_clients_number(value, slash - value);
    if (n <= 0) {
        return -1;
    }

    if (strcmp(slash, "/s") == 0) {
        cls->period = 1;

    } else if (strcmp(slash, "/m") == 0) {
        cls->period = 60;

    } else {
        return -1;
    }

    cls->rate = n;

    return 0;
}


static int
dg_clients_class(dg_clients_t *cs, dg_clients_loader_t *ld, char **tok,
    size_t ntok)
{
    long                n;
    char               *eq;
    size_t              i;
    dg_client_class_t   cls;

    if (ntok < 2 || !dg_clients_is_id(tok[1], 32)) {
        return dg_clients_fail(ld, "class: the name must be 1 to 32 of "
                               "A-Z a-z 0-9 . _ -");
    }

    if (dg_clients_class_find(cs, tok[1]) != NULL) {
        return dg_clients_fail(ld, "class \"%s\" defined twice", tok[1]);
    }

    if (cs->nclasses == DG_CLIENT_MAX_CLASSES) {
        return dg_clients_fail(ld, "more than %d classes",
                               DG_CLIENT_MAX_CLASSES);
    }

    memset(&cls, 0, sizeof(dg_client_class_t));
    n = -1;

    for (i = 2; i < ntok; i++) {
        eq = strchr(tok[i], '=');
        if (eq == NULL) {
            return dg_clients_fail(ld, "field %zu is not key=value", i + 1);
        }

        *eq++ = '\0';

        if (strcmp(tok[i], "rate") == 0) {
            if (cls.period != 0) {
                return dg_clients_fail(ld, "duplicate key \"rate\"");
            }

            if (dg_clients_rate(eq, &cls) != 0) {
                return dg_clients_fail(ld, "rate: expected N/s, N/m or off "
                                       "(1 <= N <= %d), got \"%.32s\"",
                                       DG_CLIENT_MAX_RATE, eq);
            }

        } else if (strcmp(tok[i], "burst") == 0) {
            if (n >= 0) {
                return dg_clients_fail(ld, "duplicate key \"burst\"");
            }

            n = dg_clients_number(eq, strlen(eq));
            if (n < 0) {
                return dg_clients_fail(ld, "burst: expected 0 to %d, got "
                                       "\"%.32s\"", DG_CLIENT_MAX_RATE, eq);
            }

        } else {
            return dg_clients_fail(ld, "unknown key \"%.32s\"", tok[i]);
        }
    }

    if (cls.period == 0) {
        return dg_clients_fail(ld, "missing key \"rate\"");
    }

    cls.burst = n >= 0 ? (unsigned) n : cls.rate;

    cls.name = strdup(tok[1]);
    if (cls.name == NULL) {
        return dg_clients_fail(ld, "out of memory");
    }

    cs->classes[cs->nclasses++] = cls;

    return 0;
}


static int
dg_clients_line(dg_clients_t *cs, dg_clients_loader_t *ld, char *line)
{
    char    *tok[DG_CLIENT_MAX_FIELDS], *save, *t;
    size_t   ntok;

    ntok = 0;

    for (t = strtok_r(line, " \t\r\n", &save); t != NULL;
         t = strtok_r(NULL, " \t\r\n", &save))
    {
        if (ntok == 0 && t[0] == '#') {
            return 0;
        }

        if (ntok == DG_CLIENT_MAX_FIELDS) {
            return dg_clients_fail(ld, "more than %d fields",
                                   DG_CLIENT_MAX_FIELDS);
        }

        tok[ntok++] = t;
    }

    if (ntok == 0) {
        return 0;
    }

    if (strcmp(tok[0], "client") == 0) {
        return dg_clients_client(cs, ld, tok, ntok);
    }

    if (strcmp(tok[0], "class") == 0) {
        return dg_clients_class(cs, ld, tok, ntok);
    }

    return dg_clients_fail(ld, "unknown directive \"%.32s\"", tok[0]);
}


static int
dg_clients_cmp(const void *a, const void *b)
{
    int                 rc;
    const dg_client_t  *x, *y;

    x = a;
    y = b;

    rc = strcmp(x->id, y->id);
    if (rc != 0) {
        return rc;
    }

    return x->line < y->line ? -1 : x->line > y->line;
}


dg_clients_t *
dg_clients_load(const char *path, char *err, size_t errlen)
{
    int                   rc;
    FILE                 *f;
    char                  line[DG_CLIENT_MAX_LINE + 2];
    size_t                i, len;
    dg_clients_t         *cs;
    dg_clients_loader_t   ld;

    ld.path = path;
    ld.line = 0;
    ld.err = err;
    ld.errlen = errlen;

    cs = calloc(1, sizeof(dg_clients_t));
    if (cs == NULL) {
        dg_clients_fail(&ld, "out of memory");
        return NULL;
    }

    f = fopen(path, "re");
    if (f == NULL) {
        dg_clients_fail(&ld, "cannot open: %s", strerror(errno));
        free(cs);
        return NULL;
    }

    rc = 0;

    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        ld.line++;
        len = strlen(line);

        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            rc = dg_clients_fail(&ld, "line longer than %d bytes",
                                 DG_CLIENT_MAX_LINE);
            break;
        }

        rc = dg_clients_line(cs, &ld, line);
    }

    if (rc == 0 && ferror(f)) {
        rc = dg_clients_fail(&ld, "read error");
    }

    OPENSSL_cleanse(line, sizeof(line));
    fclose(f);

    if (rc == 0 && cs->n > 1) {
        qsort(cs->clients, cs->n, sizeof(dg_client_t), dg_clients_cmp);

        for (i = 1; i < cs->n; i++) {
            if (strcmp(cs->clients[i - 1].id, cs->clients[i].id) == 0) {
                ld.line = cs->clients[i].line;
                rc = dg_clients_fail(&ld, "client \"%s\" defined twice "
                                     "(first at line %u)",
                                     cs->clients[i].id,
                                     cs->clients[i - 1].line);
                break;
            }
        }
    }

    if (rc != 0) {
        dg_clients_free(cs);
        return NULL;
    }

    return cs;
}


void
dg_clients_free(dg_clients_t *cs)
{
    size_t  i;

    if (cs == NULL) {
        return;
    }

    for (i = 0; i < cs->n; i++) {
        dg_client_clear(&cs->clients[i]);
    }

    for (i = 0; i < cs->nclasses; i++) {
        free(cs->classes[i].name);
    }

    free(cs->clients);
    free(cs);
}


size_t
dg_clients_count(const dg_clients_t *cs)
{
    return cs->n;
}


const dg_client_t *
dg_clients_find(const dg_clients_t *cs, const char *id, size_t len)
{
    int                 rc;
    size_t              lo, hi, mid, n;
    const dg_client_t  *c;

    lo = 0;
    hi = cs->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = &cs->clients[mid];

        n = strlen(c->id);
        rc = memcmp(id, c->id, len < n ? len : n);
        if (rc == 0) {
            rc = len < n ? -1 : len > n;
        }

        if (rc == 0) {
            return c;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


int
dg_clients_sig_key(void *clients, const char *keyid, size_t len,
    const unsigned char **secret, size_t *secret_len)
{
    const dg_client_t  *c;

    c = dg_clients_find(clients, keyid, len);
    if (c == NULL) {
        return -1;
    }

    *secret = c->secret;
    *secret_len = c->secret_len;

    return 0;
}


const char *
dg_client_id(const dg_client_t *c)
{
    return c->id;
}


const unsigned char *
dg_client_secret(const dg_client_t *c, size_t *len)
{
    *len = c->secret_len;

    return c->secret;
}


const dg_client_class_t *
dg_client_class(const dg_client_t *c)
{
    return c->cls;
}


static int
dg_client_granted(const char *list, const char *sector, size_t len)
{
    const char  *p, *end;

    if (list[0] == '*') {
        return 1;
    }

    for (p = list; *p != '\0'; p = *end ? end + 1 : end) {
        end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }

        if ((size_t) (end - p) == len && memcmp(p, sector, len) == 0) {
            return 1;
        }
    }

    return 0;
}


int
dg_client_may_submit(const dg_client_t *c, const char *sector, size_t len)
{
    return dg_client_granted(c->submit, sector, len);
}


const char *
dg_client_submit_sectors(const dg_client_t *c)
{
    return c->submit;
}


int
dg_client_may_read(const dg_client_t *c, const char *sector, size_t len)
{
    return dg_client_granted(c->read, sector, len);
}


const char *
dg_client_read_sectors(const dg_client_t *c)
{
    return c->read;
}


int
dg_client_may_claim(const dg_client_t *c, const char *code, size_t len)
{
    size_t       n;
    const char  *p, *end;

    if (c->codes[0] == '*') {
        return 1;
    }

    for (p = c->codes; *p != '\0'; p = *end ? end + 1 : end) {
        end = strchr(p, ',');
        if (end == NULL) {
            end = p + strlen(p);
        }

        n = (size_t) (end - p);

        if (n <= len && memcmp(p, code, n) == 0) {
            return 1;
        }
    }

    return 0;
}


int
dg_citizen_may_claim(const char *sub, const char *code, size_t len)
{
    size_t  n;

    n = strlen(sub);

    return len >= sizeof("VNEID-") + n
           && memcmp(code, "VNEID-", sizeof("VNEID-") - 1) == 0
           && memcmp(code + sizeof("VNEID-") - 1, sub, n) == 0
           && code[sizeof("VNEID-") - 1 + n] == '-';
}

