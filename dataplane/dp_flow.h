/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_flow: bounded per-lcore TCP flow table. Pure C; memory is reserved once
 * at create time (untouched pages stay unresident), nothing is allocated
 * after. One table per lcore, never shared: no locks.
 *
 * Key: canonical 5-tuple (lower address/port side first), IPv4 and IPv6.
 * Index: open addressing with linear probing and backward-shift deletion.
 * Lookups come one at a time or a burst at a time (dp_flow_lookup_bulk:
 * index slots of the whole burst prefetched, then the flows, then the keys
 * compared, so the cache misses of N lookups overlap instead of adding up).
 * Memory is mapped with transparent huge pages where the kernel allows:
 * at a million flows the index and the flows span far more 4 KiB pages
 * than any TLB holds.
 * Flows sit on one LRU list per eviction class; when the table is full the
 * least recently used flow of the lowest non-empty class is evicted, so
 * half-open and closing flows go before established non-SMTP flows, and
 * those before established SMTP sessions. Each class has its own idle
 * timeout. Eviction and expiry call params.on_end before the slot is reused.
 */
#ifndef DP_FLOW_H
#define DP_FLOW_H

#include <stddef.h>
#include <stdint.h>

struct dp_flow_key {
	uint8_t addr[2][16];  /* side 0 < side 1 (address, then port) */
	uint16_t port[2];     /* host order */
	uint8_t family;       /* 4 or 6 */
	uint8_t pad[3];
};
_Static_assert(sizeof(struct dp_flow_key) == 40, "flow key layout");

enum dp_flow_class {
	DP_FLOW_CLS_HALF_OPEN = 0, /* no payload yet */
	DP_FLOW_CLS_CLOSING,       /* FIN/RST seen, or record already emitted */
	DP_FLOW_CLS_OTHER,         /* carries payload, not SMTP */
	DP_FLOW_CLS_SMTP,          /* established SMTP session */
	DP_FLOW_CLS_COUNT
};

enum dp_flow_end {
	DP_FLOW_END_EVICTED = 0,
	DP_FLOW_END_TIMEOUT,
	DP_FLOW_END_DRAIN,       /* end of capture / shutdown */
};

/* Flow flags. */
#define DP_FLOW_F_SYN 0x01        /* client SYN seen */
#define DP_FLOW_F_SYNACK 0x02     /* server SYN+ACK seen */
#define DP_FLOW_F_ESTABLISHED 0x04
#define DP_FLOW_F_FIN_C 0x08      /* client sent FIN */
#define DP_FLOW_F_FIN_S 0x10      /* server sent FIN */
#define DP_FLOW_F_RST 0x20
#define DP_FLOW_F_ON_PORT 0x40    /* server port is an SMTP port */
#define DP_FLOW_F_DONE 0x80       /* record emitted; lingering for stragglers */

/* Hot per-flow state; the cold parser state lives in a dp_conn slot.
 * Two cache lines: what a lookup and the decisions about a packet read
 * (key, flags, the owner's mirror fields) in the first, what every packet
 * writes (times, counters) and the LRU links in the second. */
struct dp_flow {
	struct dp_flow_key key;
	uint32_t hash;
	uint32_t conn;            /* connection slot + 1, 0 none (owner's use) */
	uint8_t client_side;      /* key side (0/1) of the client */
	uint8_t cls;              /* enum dp_flow_class */
	uint8_t flags;            /* DP_FLOW_F_* */
	uint8_t xflags;           /* owner's use */
	uint32_t seq[2];          /* owner's use */
	uint8_t end_state;        /* owner's use */
	uint8_t pad[3];
	/* second line */
	uint32_t lru_prev;
	uint32_t lru_next;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t bytes[2];        /* [0] to server, [1] to client (frame bytes) */
	uint32_t pkts[2];
	uint32_t lru_sec;         /* last_ns in seconds when last moved on LRU */
	uint32_t isn[2];          /* SYN sequence per direction (owner's use) */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct dp_flow) <= 128, "hot flow state must stay <= 128 B");
_Static_assert(offsetof(struct dp_flow, lru_prev) == 64, "lookup fields in the first line");

struct dp_flow_stats {
	uint64_t created;
	uint64_t evicted[DP_FLOW_CLS_COUNT];
	uint64_t expired;
	uint64_t removed;
	uint64_t drained;
	uint64_t active;
	uint64_t active_peak;     /* most flows in the table at once */
};

struct dp_flow_params {
	uint32_t max_flows;                       /* > 0 */
	uint64_t timeout_ns[DP_FLOW_CLS_COUNT];   /* idle timeout by class */
	void (*on_end)(void *ctx, struct dp_flow *f, enum dp_flow_end why);
	void *ctx;
};

struct dp_flow_table;

struct dp_flow_table *dp_flow_table_create(const struct dp_flow_params *p);
void dp_flow_table_free(struct dp_flow_table *t);

/* Keyed (per process, random): equal keys hash alike within a process,
 * tuples cannot be chosen to collide. The low 32 bits of dp_flow_hash64
 * are dp_flow_hash (table index, worker steering); the high 32 bits are
 * a check independent of them (dp_syn matches handshakes by both). */
uint64_t dp_flow_hash64(const struct dp_flow_key *k);
uint32_t dp_flow_hash(const struct dp_flow_key *k);
/* Hint: the index slot for @hash will be needed soon. */
void dp_flow_prefetch(const struct dp_flow_table *t, uint32_t hash);

struct dp_flow *dp_flow_lookup(struct dp_flow_table *t,
			       const struct dp_flow_key *k, uint32_t hash);

#define DP_FLOW_BULK_MAX 64u
/*
 * Look up @n (<= DP_FLOW_BULK_MAX) keys at once: @ret_flows[i] is what
 * dp_flow_lookup(@keys[i], @hashes[i]) would return now. Results stay
 * valid while dp_flow_generation() is unchanged: any insert, remove,
 * eviction or expiry bumps it (then look up again; the lines are warm).
 */
void dp_flow_lookup_bulk(struct dp_flow_table *t, const struct dp_flow_key *keys,
			 const uint32_t *hashes, uint32_t n, struct dp_flow **ret_flows);
/* Changes whenever a flow enters or leaves the table. */
uint64_t dp_flow_generation(const struct dp_flow_table *t);
/*
 * Insert a new zeroed flow (key, hash, class HALF_OPEN, first/last = now).
 * When full, evicts first (on_end is called). Never fails.
 */
struct dp_flow *dp_flow_insert(struct dp_flow_table *t,
			       const struct dp_flow_key *k, uint32_t hash,
			       uint64_t now_ns);
/* dp_flow_touch(@f, @now_ns) is coming: start loading the LRU neighbours
 * it will relink, if it will (once a second of a flow's time). */
void dp_flow_prefetch_touch(const struct dp_flow_table *t, const struct dp_flow *f,
			    uint64_t now_ns);
/* Packet seen on @f at @now_ns: refresh its LRU position. */
void dp_flow_touch(struct dp_flow_table *t, struct dp_flow *f, uint64_t now_ns);
/* Move @f to another eviction class (becomes most recent there). */
void dp_flow_set_class(struct dp_flow_table *t, struct dp_flow *f,
		       enum dp_flow_class cls);
/* Remove @f without calling on_end (the owner already ended it). */
void dp_flow_remove(struct dp_flow_table *t, struct dp_flow *f);
/*
 * Expire flows idle past their class timeout at @now_ns; returns count.
 * Examines at most DP_FLOW_EXPIRE_BUDGET flows per class per call, so one
 * call stays short; callers run it often (dp_conn does every second of
 * traffic time, and again at once while a call expires a full budget).
 */
#define DP_FLOW_EXPIRE_BUDGET 256u
uint32_t dp_flow_expire(struct dp_flow_table *t, uint64_t now_ns);
/* End every flow (on_end with DP_FLOW_END_DRAIN). */
void dp_flow_drain(struct dp_flow_table *t);

const struct dp_flow_stats *dp_flow_table_stats(const struct dp_flow_table *t);
uint32_t dp_flow_table_capacity(const struct dp_flow_table *t);
/* Bytes reserved for the table (flows + index). */
uint64_t dp_flow_table_memory(const struct dp_flow_table *t);
/* Of those, bytes in memory now (mincore; not for the hot path). */
uint64_t dp_flow_table_resident(const struct dp_flow_table *t);
/*
 * @bytes of zeroed memory whose pages are faulted in only when touched, or
 * NULL; @huge asks for transparent huge pages (random access over
 * megabytes: a TLB miss and a fault spared per 4 KiB; only a hint, maps
 * under 2 MiB skip it). Give it back with dp_flow_unreserve (NULL: none).
 */
void *dp_flow_reserve(uint64_t bytes, int huge);
void dp_flow_unreserve(void *p, uint64_t bytes);
/* Bytes in memory of the mapping [@p, @p + @bytes) (page-aligned @p). */
uint64_t dp_flow_resident_bytes(const void *p, uint64_t bytes);

#endif
