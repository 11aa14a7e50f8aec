/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_vlog: verdict log lines (see ctl_vlog.h).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <mxscreen/verdict.h>

#include "ctl_vlog.h"

void ctl_vlog_str(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc((int)c, f);
		else
			fprintf(f, "\\u%04x", c); /* control or non-ASCII byte */
	}
	fputc('"', f);
}

static void put_cstr(FILE *f, const char *s)
{
	ctl_vlog_str(f, s, strlen(s));
}

static const char *fcrdns_name(int v)
{
	static const char *const n[] = { "pass", "fail", "none", "error" };

	return v >= 0 && v <= CTL_FCRDNS_ERROR ? n[v] : "error";
}

static void put_txt(FILE *f, int *first, const char *zone, const char *what,
		    const struct ctl_zone_result *z)
{
	char key[CTL_DNS_NAME_MAX + 16];

	if (z->state != CTL_LIST_LISTED || !z->txt[0])
		return;
	snprintf(key, sizeof(key), "%s%s", zone, what);
	fputs(*first ? "" : ",", f);
	*first = 0;
	put_cstr(f, key);
	fputc(':', f);
	put_cstr(f, z->txt);
}

/* Explain only: the lists' TXT per listing zone, and per PTR name the
 * addresses it resolves to and whether it confirms. */
static void put_explain(FILE *f, const struct ctl_lookup_detail *d)
{
	char ip[INET6_ADDRSTRLEN];
	int first = 1;

	fputs(",\"txt\":{", f);
	for (size_t z = 0; z < d->n_zones; z++)
		put_txt(f, &first, d->zone_names[z], "", &d->zones[z]);
	for (size_t z = 0; z < d->n_rhsbl_zones; z++) {
		put_txt(f, &first, d->rhsbl_zone_names[z], "(helo)", &d->rhsbl_helo[z]);
		put_txt(f, &first, d->rhsbl_zone_names[z], "(mail_from)", &d->rhsbl_mail[z]);
	}
	fputs("},\"fwd\":[", f);
	for (size_t i = 0; i < d->n_ptr; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		put_cstr(f, d->ptr[i]);
		fprintf(f, ",\"confirmed\":%s,\"addrs\":[", d->confirmed[i] ? "true" : "false");
		for (size_t a = 0; a < d->n_fwd[i]; a++) {
			inet_ntop(d->obs->family == 4 ? AF_INET : AF_INET6, d->fwd[i][a], ip, sizeof(ip));
			fprintf(f, "%s\"%s\"", a ? "," : "", ip);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

void ctl_vlog_write(FILE *f, const struct ctl_lookup_detail *d, uint64_t now_ns)
{
	const struct mxs_observation *o = d->obs;
	const struct ctl_decision *k = d->decision;
	char ip[INET6_ADDRSTRLEN], ts[40];
	time_t sec = (time_t)(now_ns / 1000000000ull);
	struct tm tm;
	int first;

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	inet_ntop(o->family == 4 ? AF_INET : AF_INET6, o->client, ip, sizeof(ip));
	fprintf(f, "{\"timestamp\":\"%s.%06" PRIu64 "Z\",\"event_type\":\"verdict\",\"src_ip\":\"%s\""
		",\"action\":\"%s\",\"score\":%d,\"reasons\":[", ts,
		(uint64_t)(now_ns % 1000000000ull / 1000), ip, mxs_action_name(k->action), k->score);
	for (size_t i = 0; i < k->n_reasons; i++) {
		if (i)
			fputc(',', f);
		put_cstr(f, k->reason[i]);
	}
	fputs("],\"weights\":[", f);
	for (size_t i = 0; i < k->n_reasons; i++)
		fprintf(f, "%s%d", i ? "," : "", k->weight[i]);
	fputs("],\"dnsbl\":{", f);
	first = 1;
	for (size_t z = 0; z < d->n_zones; z++) {
		if (d->zones[z].state != CTL_LIST_LISTED)
			continue;
		fprintf(f, "%s", first ? "" : ",");
		first = 0;
		put_cstr(f, d->zone_names[z]);
		fputs(":[", f);
		for (size_t a = 0; a < d->zones[z].n_a; a++)
			fprintf(f, "%s\"%u.%u.%u.%u\"", a ? "," : "", d->zones[z].a[a][0],
				d->zones[z].a[a][1], d->zones[z].a[a][2], d->zones[z].a[a][3]);
		fputc(']', f);
	}
	fputs("},\"dns_errors\":{", f);
	first = 1;
	for (size_t z = 0; z < d->n_zones; z++) {
		if (d->zones[z].state != CTL_LIST_ERROR)
			continue;
		fprintf(f, "%s", first ? "" : ",");
		first = 0;
		put_cstr(f, d->zone_names[z]);
		fputc(':', f);
		put_cstr(f, d->zones[z].error);
	}
	fprintf(f, "},\"fcrdns\":\"%s\",\"ptr\":[", fcrdns_name(d->evidence->fcrdns));
	for (size_t i = 0; i < d->n_ptr; i++) {
		if (i)
			fputc(',', f);
		put_cstr(f, d->ptr[i]);
	}
	fputc(']', f);
	if (d->explain)
		put_explain(f, d);
	fputs(",\"helo\":", f);
	ctl_vlog_str(f, o->helo, o->helo_len);
	fprintf(f, ",\"ttl\":%u,\"shadow\":%s", k->ttl_s, k->shadow ? "true" : "false");
	if (k->shadow)
		fprintf(f, ",\"would_be\":\"%s\"", mxs_action_name(k->would_be));
	fputs("}\n", f);
}
