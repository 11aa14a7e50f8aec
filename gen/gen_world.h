/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_world: the hosts of the synthetic capture. Clients are numbered
 * 0..clients-1 and derived on demand from the seed (address, family,
 * profile, round-trip time), so a million clients cost no memory; servers
 * are a small table built at create time (address, extensions offered,
 * banner style). Read-only after create: any caller may query it.
 *
 * Addresses: IPv4 clients in 100.64.0.0/10, IPv6 clients in
 * 2001:db8:1::/48, servers in 198.51.100.0/24 and 2001:db8:25::/64.
 */
#ifndef GEN_WORLD_H
#define GEN_WORLD_H

#include <stdint.h>

#define GEN_WORLD_MAX_CLIENTS (1u << 22)  /* distinct IPv4 addresses in a /10 */
#define GEN_WORLD_MAX_SERVERS 200u

enum gen_profile { GEN_PROF_MTA = 0, GEN_PROF_BOT, GEN_PROF_ATTACKER };

/* Server features (EHLO keywords and manners). */
#define GEN_SRV_PIPELINING 0x001u
#define GEN_SRV_STARTTLS 0x002u
#define GEN_SRV_AUTH 0x004u
#define GEN_SRV_CHUNKING 0x008u

struct gen_world_params {
	uint64_t seed;
	uint32_t clients;
	uint32_t servers;
	uint32_t ipv6_ppm;     /* share of IPv6 clients, parts per million */
	int vlan;              /* tag every frame */
};

struct gen_client {
	uint8_t family;
	uint8_t ttl;
	uint8_t profile;       /* enum gen_profile */
	uint8_t pad;
	uint16_t vlan;
	uint16_t pad2;
	uint32_t rtt_us;
	uint8_t addr[16];
};

struct gen_server {
	uint8_t addr4[4];
	uint8_t addr6[16];
	uint32_t features;     /* GEN_SRV_* */
	uint32_t style;        /* software personality, 0..3 */
	char name[48];         /* host name used in banner and replies */
	char domain[32];       /* mail domain it receives for (<= 23 chars) */
};

struct gen_world;

struct gen_world *gen_world_create(const struct gen_world_params *p);
void gen_world_free(struct gen_world *w);

void gen_world_client(const struct gen_world *w, uint32_t idx, struct gen_client *ret);
const struct gen_server *gen_world_server(const struct gen_world *w, uint32_t idx);
uint32_t gen_world_servers(const struct gen_world *w);
uint32_t gen_world_clients(const struct gen_world *w);
uint64_t gen_world_seed(const struct gen_world *w);
int gen_world_vlan(const struct gen_world *w);

/* EHLO reply lines after the first ("PIPELINING", "SIZE 52428800", ...), NULL-terminated. */
const char *const *gen_world_ehlo_lines(const struct gen_server *s);

#endif
