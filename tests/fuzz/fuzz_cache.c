/*
 * The status cache's entries (dg_cache.h).
 *
 *   - any bytes: an entry parsed lies inside them, as
 *     "<version>|<sector>|<owner>|<json>" with no '|' in sector or owner,
 *     and only the negative entry (version 0) is empty; the reply to the
 *     read script is a hit, an unknown code, a miss or an error just as
 *     the parse says;
 *   - a status chosen by the fuzzer: its entry (dg_cache_value of its
 *     dg_status_json) parses back to the same version, sector, owner and
 *     JSON, which is JSON with the status's fields.
 */

#include <string.h>

#include <jansson.h>

#include "dg_cache.h"
#include "fuzz.h"


static void
fuzz_parse(const char *v, size_t len)
{
    int                 rc;
    redisReply          reply, gen, entry, *element[2];
    dg_cache_entry_t    e;
    dg_cache_result_e   res;

    rc = dg_cache_parse(v, len, &e);

    /* {generation, entry}, as the get script answers */
    memset(&gen, 0, sizeof(gen));
    gen.type = REDIS_REPLY_STRING;
    gen.str = "12";
    gen.len = 2;
    memset(&entry, 0, sizeof(entry));
    entry.type = REDIS_REPLY_STRING;
    entry.str = (char *) v;
    entry.len = len;
    element[0] = &gen;
    element[1] = &entry;
    memset(&reply, 0, sizeof(reply));
    reply.type = REDIS_REPLY_ARRAY;
    reply.elements = 2;
    reply.element = element;
    res = dg_cache_reply(&reply, &e);

    if (rc != 0) {
        FUZZ_ASSERT(res == DG_CACHE_ERROR);
        return;
    }

    FUZZ_ASSERT(res == (e.version == 0 ? DG_CACHE_UNKNOWN : DG_CACHE_HIT));
    FUZZ_ASSERT(e.version >= 0);
    FUZZ_ASSERT(e.sector > v && e.owner > e.sector && e.json > e.owner);
    FUZZ_ASSERT(e.json + e.json_len == v + len);
    FUZZ_ASSERT(e.sector[-1] == '|' && e.owner[-1] == '|'
                && e.json[-1] == '|');
    FUZZ_ASSERT(memchr(e.sector, '|', e.sector_len) == NULL
                && memchr(e.owner, '|', e.owner_len) == NULL);
    FUZZ_ASSERT((e.version == 0) == (e.json_len == 0));
    FUZZ_ASSERT(e.gen == 12);

    entry.type = REDIS_REPLY_NIL;
    FUZZ_ASSERT(dg_cache_reply(&reply, &e) == DG_CACHE_MISS);
    entry.type = REDIS_REPLY_ERROR;
    FUZZ_ASSERT(dg_cache_reply(&reply, &e) == DG_CACHE_ERROR);
    reply.type = REDIS_REPLY_ERROR;
    FUZZ_ASSERT(dg_cache_reply(&reply, &e) == DG_CACHE_ERROR);
    FUZZ_ASSERT(dg_cache_reply(NULL, &e) == DG_CACHE_ERROR);
}


/* a field of the input without '|' (the entry's separator) */
static char *
field(fuzz_in_t *in)
{
    char  *s, *p;

    s = fuzz_field_dup(in, '\n');

    for (p = s; *p != '\0'; p++) {
        if (*p == '|') {
            *p = '/';
        }
    }

    return s;
}


static void
fuzz_entry(fuzz_in_t *in)
{
    int                i;
    char              *json, *value, *sector, *owner, *code, *tthc;
    json_t            *o;
    uint64_t           u;
    dg_status_t        s;
    dg_cache_entry_t   e;

    memset(&s, 0, sizeof(s));

    for (i = 0, u = 0; i < 8; i++) {
        u = u << 8 | fuzz_u8(in);
    }

    /* 1..10^18-1: 18 digits at most */
    s.version = (long long) (1 + u % 999999999999999999ULL);
    s.trang_thai = 1 + fuzz_u8(in) % 10;
    s.ngay_tiep_nhan = 1750000000 + fuzz_i16(in) * 1000;
    s.ngay_hen_tra = s.ngay_tiep_nhan + fuzz_u8(in) * 86400;
    s.ngay_tra = (fuzz_u8(in) & 1) ? s.ngay_hen_tra : 0;
    s.received_at = s.ngay_tiep_nhan;
    s.updated_at = s.received_at + fuzz_u8(in);

    sector = field(in);
    owner = field(in);
    code = field(in);
    tthc = field(in);
    s.ma_linh_vuc = sector;
    s.owner = owner;
    s.ma_ho_so = code;
    s.ma_tthc = tthc;

    json = dg_status_json(&s, DG_STATUS_VIEW_LOOKUP);

    /* names that are not UTF-8 have no JSON; they never reach here,
     * the dossier's rules refuse them */
    if (json == NULL) {
        goto done;
    }

    o = json_loads(json, 0, NULL);
    FUZZ_ASSERT(json_is_object(o));
    FUZZ_ASSERT(strcmp(json_string_value(json_object_get(o, "MaHoSo")),
                       code) == 0);
    FUZZ_ASSERT(json_integer_value(json_object_get(o, "TrangThaiHoSo"))
                == s.trang_thai);
    FUZZ_ASSERT((json_object_get(o, "NgayTra") != NULL) == (s.ngay_tra != 0));
    json_decref(o);

    value = dg_cache_value(&s, json);
    FUZZ_ASSERT(value != NULL);

    FUZZ_ASSERT(dg_cache_parse(value, strlen(value), &e) == 0);
    FUZZ_ASSERT(e.version == s.version);
    FUZZ_ASSERT(e.sector_len == strlen(sector)
                && memcmp(e.sector, sector, e.sector_len) == 0);
    FUZZ_ASSERT(e.owner_len == strlen(owner)
                && memcmp(e.owner, owner, e.owner_len) == 0);
    FUZZ_ASSERT(e.json_len == strlen(json)
                && memcmp(e.json, json, e.json_len) == 0);

    free(value);
    free(json);

done:

    free(sector);
    free(owner);
    free(code);
    free(tthc);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t  in;

    if (size == 0 || size > 4096) {
        return 0;
    }

    fuzz_parse((const char *) data + 1, size - 1);

    if (data[0] & 1) {
        in.p = data + 1;
        in.n = size - 1;
        fuzz_entry(&in);
    }

    return 0;
}
