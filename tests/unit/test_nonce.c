/*
 * The node's nonce store: a nonce is seen until its window ends and new
 * after; a full table refuses and never evicts a nonce inside its window
 * (the old table evicted the least recently used one: a replay hole);
 * refused nonces are not recorded; sizes; a reload's validity check.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "dg_nonce.h"
#include "unit.h"


#define NOW  1795489200LL


static void *
table(uint32_t capacity, size_t *size)
{
    void  *mem;

    *size = dg_nonce_table_size(capacity);
    CU_ASSERT_FATAL(*size > 0);

    mem = aligned_alloc(8, (*size + 7) & ~(size_t) 7);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
    CU_ASSERT_EQUAL_FATAL(dg_nonce_table_init(mem, *size, capacity), 0);

    return mem;
}


/* The key of a (keyid, nonce) pair, as the module makes it. */
static const unsigned char *
key(int i)
{
    char                  text[64];
    static unsigned char  md[SHA256_DIGEST_LENGTH];

    snprintf(text, sizeof(text), "demo-portal:nonce-%d", i);
    SHA256((unsigned char *) text, strlen(text), md);

    return md;
}


static void
sizes(void)
{
    uint32_t  c;

    CU_ASSERT_EQUAL(dg_nonce_table_size(0), 0);
    CU_ASSERT_EQUAL(dg_nonce_table_size(DG_NONCE_MAX_CAPACITY + 1), 0);
    CU_ASSERT_EQUAL(dg_nonce_table_capacity(16), 0);

    /* what README says: 52 to 56 bytes an entry, 19 000 per MiB */
    c = dg_nonce_table_capacity(1024 * 1024);
    CU_ASSERT(c >= 18700 && c <= 20200);
    CU_ASSERT(dg_nonce_table_size(c) <= 1024 * 1024);
    CU_ASSERT(dg_nonce_table_size(c + 1) > 1024 * 1024);

    /* the development default, 32 MiB: over 1 000 requests/s for 600 s */
    CU_ASSERT(dg_nonce_table_capacity(32 * 1024 * 1024) >= 600000);

    /* the smallest zone, 4k, as the integration test uses it */
    c = dg_nonce_table_capacity(4096);
    CU_ASSERT(c >= 64 && c <= 80);
}


static void
seen_until_window_ends(void)
{
    size_t  size;
    void   *mem;

    mem = table(8, &size);

    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW, NOW + 300),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW, NOW + 300),
                    DG_NONCE_SEEN);
    /* created - 300 is still inside the window: the last second too */
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 300, NOW + 600),
                    DG_NONCE_SEEN);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 301, NOW + 601),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 302, NOW + 602),
                    DG_NONCE_SEEN);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, NULL, NOW, NOW), DG_NONCE_ERROR);

    free(mem);
}


static void
full_never_evicts(void)
{
    int      i;
    size_t   size;
    void    *mem;

    mem = table(100, &size);

    /* 100 nonces, one a second, each kept 300 s */
    for (i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL(dg_nonce_record(mem, key(i), NOW + i, NOW + i + 300),
                        DG_NONCE_RECORDED);
    }

    /* full of live nonces: the next is refused, and not recorded */
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(100), NOW + 100, NOW + 400),
                    DG_NONCE_FULL);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(100), NOW + 100, NOW + 400),
                    DG_NONCE_FULL);

    /* every one still refused as a replay, the oldest included */
    for (i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL(dg_nonce_record(mem, key(i), NOW + 299, NOW + 599),
                        DG_NONCE_SEEN);
    }

    /* the first window ends (NOW + 300): exactly one place comes free */
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(100), NOW + 301, NOW + 601),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(101), NOW + 301, NOW + 601),
                    DG_NONCE_FULL);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 301, NOW + 601),
                    DG_NONCE_SEEN);
    /* the one whose window ended may come again */
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(0), NOW + 302, NOW + 602),
                    DG_NONCE_RECORDED);

    CU_ASSERT_TRUE(dg_nonce_table_valid(mem, size));
    free(mem);
}


/* A nonce with a later end ahead of others holds them, never frees a live
 * one: the table is then full sooner, which is safe. */
static void
windows_out_of_order(void)
{
    size_t  size;
    void   *mem;

    mem = table(3, &size);

    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(0), NOW, NOW + 600),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW, NOW + 10),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(2), NOW, NOW + 10),
                    DG_NONCE_RECORDED);

    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(3), NOW + 20, NOW + 320),
                    DG_NONCE_FULL);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(0), NOW + 20, NOW + 320),
                    DG_NONCE_SEEN);
    /* key 1's window is over: it is new again, in its old place */
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 20, NOW + 320),
                    DG_NONCE_RECORDED);
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW + 21, NOW + 321),
                    DG_NONCE_SEEN);

    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(3), NOW + 601, NOW + 901),
                    DG_NONCE_RECORDED);
    CU_ASSERT_TRUE(dg_nonce_table_valid(mem, size));
    free(mem);
}


/* Thousands of nonces expiring while new ones come: the ring wraps, the
 * chains stay consistent. */
static void
steady_traffic(void)
{
    int     i, t, n;
    size_t  size;
    void   *mem;

    mem = table(1000, &size);
    n = 0;

    /* 3 a second, each kept 300 s: 900 live at most */
    for (t = 0; t < 3000; t++) {
        for (i = 0; i < 3; i++, n++) {
            CU_ASSERT_EQUAL_FATAL(dg_nonce_record(mem, key(n), NOW + t,
                                                  NOW + t + 300),
                                  DG_NONCE_RECORDED);
        }

        if (t % 100 == 0) {
            CU_ASSERT_FATAL(dg_nonce_table_valid(mem, size));
            CU_ASSERT_EQUAL(dg_nonce_record(mem, key(n - 1), NOW + t,
                                            NOW + t + 300),
                            DG_NONCE_SEEN);
        }
    }

    free(mem);
}


static void
reload_validity(void)
{
    int      i;
    size_t   size;
    void    *mem;
    uint8_t *raw;

    mem = table(50, &size);
    CU_ASSERT_TRUE(dg_nonce_table_valid(mem, size));
    CU_ASSERT_FALSE(dg_nonce_table_valid(mem, size + 8));

    for (i = 0; i < 40; i++) {
        dg_nonce_record(mem, key(i), NOW, NOW + 300);
    }

    CU_ASSERT_TRUE(dg_nonce_table_valid(mem, size));

    /* a damaged entry (a worker killed inside an update) is noticed: the
     * bucket field of entry 20 */
    raw = mem;
    raw[size - 48 * 30 + 12] ^= 0x01;
    CU_ASSERT_FALSE(dg_nonce_table_valid(mem, size));

    CU_ASSERT_EQUAL(dg_nonce_table_init(mem, size, 50), 0);
    CU_ASSERT_TRUE(dg_nonce_table_valid(mem, size));
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW, NOW + 300),
                    DG_NONCE_RECORDED);

    memset(mem, 0, size);
    CU_ASSERT_FALSE(dg_nonce_table_valid(mem, size));
    CU_ASSERT_EQUAL(dg_nonce_record(mem, key(1), NOW, NOW + 300),
                    DG_NONCE_ERROR);

    free(mem);
}


static CU_TestInfo  tests[] = {
    { "sizes: bytes per entry, entries per MiB", sizes },
    { "seen until its window ends, new after", seen_until_window_ends },
    { "full: refuses, never evicts a live nonce", full_never_evicts },
    { "windows ending out of order", windows_out_of_order },
    { "steady traffic: the ring wraps", steady_traffic },
    { "reload: a damaged table is noticed", reload_validity },
    CU_TEST_INFO_NULL
};

DG_UNIT_SUITE(nonce, tests)
