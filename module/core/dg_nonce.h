/*
 * A node's store of signed requests' nonces (CONTRACT.md section 4): each
 * is recorded once and kept until its window ends, never forgotten
 * before.  One caller-provided memory block, meant to be nginx shared
 * memory used by every worker; it holds indices, no pointer; nothing is
 * allocated; the caller holds a lock around every call.
 *
 * Keys are DG_NONCE_KEY_LEN bytes (a SHA-256 of "keyid:nonce").  Entries
 * sit in a ring in the order they were recorded, and a hash table (its
 * hash keyed by a random secret of the table, so nobody can aim keys at
 * one bucket) finds them.  Recording first drops the oldest entries whose
 * window has ended; when every entry is still inside its window the table
 * is full and refuses (DG_NONCE_FULL): it never evicts one that is not.
 * Windows mostly end in the order nonces were recorded (created +/- 300 s,
 * the clients' clocks a little apart); one that ends later only holds the
 * entries behind it a little longer, which is safe.
 *
 * Size: each entry takes sizeof(dg_nonce_entry) = 48 bytes, and the hash
 * table 4 or 8 bytes more (a power of two of buckets, at least one per
 * entry): about 52 to 56 bytes, some 19 000 entries per MiB.  A node that
 * accepts R signed requests a second holds R x 600 entries at most (the
 * window is created +/- 300 s): 1 MiB covers about 31 requests/s.
 */

#ifndef DG_NONCE_H
#define DG_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "dg_limit.h"

#define DG_NONCE_KEY_LEN       32
#define DG_NONCE_MAX_CAPACITY  (1U << 26)


typedef enum {
    DG_NONCE_RECORDED = 0,      /* new: kept until it expires */
    DG_NONCE_SEEN,              /* recorded before, its window not over */
    DG_NONCE_FULL,              /* not recorded: every entry is live */
    DG_NONCE_ERROR              /* not recorded: not a table, bad key */
} dg_nonce_e;

/* Bytes for capacity entries; 0 when capacity is not 1..2^26. */
size_t dg_nonce_table_size(uint32_t capacity);

/* The most entries a table of size bytes holds (0: too small). */
uint32_t dg_nonce_table_capacity(size_t size);

/* Lays out an empty table of capacity entries in size bytes (at least
 * dg_nonce_table_size(capacity)), mem 8-byte aligned.  0, or -1 (also
 * when getrandom(2) cannot seed the hash). */
int dg_nonce_table_init(void *mem, size_t size, uint32_t capacity);

/* Whether mem holds a consistent table laid out in exactly size bytes
 * (a reload keeps it then; a worker that died inside an update may have
 * left one that is not). */
int dg_nonce_table_valid(const void *mem, size_t size);

/* Its capacity and the entries in use, as a limit table's stats (a nonce
 * is never evicted: the eviction counts stay 0). */
void dg_nonce_table_stats(const void *mem, dg_limit_stats_t *st);

/*
 * Records key (DG_NONCE_KEY_LEN bytes) until expires: it is refused as
 * seen while now <= expires.  Times in seconds, any epoch, the same for
 * every call.
 */
dg_nonce_e dg_nonce_record(void *mem, const unsigned char *key,
    int64_t now, int64_t expires);

#endif /* DG_NONCE_H */
