/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_smtp: SMTP dialogues (see gen_smtp.h).
 *
 * The client speaks in GEN_PH_CMD turns, one flight each: a command, or a
 * PIPELINING group (MAIL, RCPTs, DATA last), or BDAT with its chunk. The
 * server answers every line of the flight in one GEN_PH_REPLY turn and
 * then decides, from the replies, what the client does next. Nothing here
 * keeps more than the session's counters: addresses, names and reply
 * codes are recomputed from the seed whenever they are needed.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mxscreen/anomaly.h>

#include "gen_names.h"
#include "gen_rng.h"
#include "gen_plan.h"
#include "gen_smtp.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GROUP_MAX 16u  /* lines answered per pipelined flight, well inside any queue */
#define BDAT_CHUNK 32768u

static uint64_t hash(const struct gen_sess *s, uint32_t tag, uint32_t idx)
{
	return gen_hash(s->seed, tag, idx);
}

static int has(const struct gen_sess *s, unsigned f)
{
	return (s->flags & f) != 0;
}

static int srv_has(const struct gen_turn *c, uint32_t f)
{
	return (c->srv->features & f) != 0;
}

static int mta(const struct gen_sess *s)
{
	return s->kind == GEN_K_MTA || s->kind == GEN_K_SUBMIT;
}

static int use_bdat(const struct gen_turn *c)
{
	return has(c->s, GEN_F_BDAT) && (c->s->bits & GEN_B_EHLO) &&
	       srv_has(c, GEN_SRV_CHUNKING);
}

/* RFC 2920: a client may pipeline once EHLO was answered with PIPELINING. */
static int pipe_ok(const struct gen_turn *c)
{
	return (c->s->bits & GEN_B_EHLO) && srv_has(c, GEN_SRV_PIPELINING);
}

static int pipelined(const struct gen_turn *c)
{
	return has(c->s, GEN_F_PIPE_VIOL) || (has(c->s, GEN_F_PIPE) && pipe_ok(c));
}

static const char *eol(const struct gen_sess *s)
{
	return has(s, GEN_F_BARELF) ? "\n" : "\r\n";
}

/* ---- what the client says --------------------------------------------- */

/* A line the server answers as a command: counted, with the session's EOL. */
__attribute__((format(printf, 2, 3)))
static void cmd_line(struct gen_turn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_turn_vline(c, eol(c->s), fmt, ap);
	va_end(ap);
	if (c->tr) {
		gen_truth_command(c->tr);
		/* RFC 5321 2.3.8: lines end in CRLF; a bare LF is an anomaly. */
		if (has(c->s, GEN_F_BARELF))
			gen_truth_anomaly(c->tr, MXS_ANOMALY_BARE_LF);
	}
}

static const char *verb(const struct gen_sess *s, const char *upper, const char *lower)
{
	return has(s, GEN_F_SLOPPY) ? lower : upper;
}

static void say_greet(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	char name[GEN_NAME_MAX];
	size_t n = gen_plan_helo(c, name, s->item);
	int ehlo = !has(s, GEN_F_HELO);
	const char *sp = has(s, GEN_F_SLOPPY) && gen_chance(hash(s, GEN_T_HELO, 99), 500) ? "  " : " ";

	cmd_line(c, "%s%s%s", ehlo ? verb(s, "EHLO", "ehlo") : verb(s, "HELO", "helo"), sp, name);
	if (c->tr)
		gen_truth_helo(c->tr, ehlo, name, n);
	if (ehlo)
		s->bits |= GEN_B_EHLO;
	else
		s->bits &= (uint8_t)~GEN_B_EHLO;
	s->pend = GEN_P_GREET;
}

static void say_mail(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	char bare[GEN_ADDR_MAX], path[GEN_NAME_MAX], params[64] = "";
	uint64_t h = hash(s, GEN_T_MAIL, 1000 + s->tx);

	gen_plan_mail_from(c, s->tx, bare, path);
	if ((s->bits & GEN_B_EHLO) && has(s, GEN_F_SIZE))
		snprintf(params, sizeof(params), " SIZE=%u%s", gen_plan_body_size(s, s->tx),
			 gen_chance(h, 300) ? " BODY=8BITMIME" : "");
	if (!has(s, GEN_F_SLOPPY))
		cmd_line(c, "MAIL FROM:%s%s", path, params);
	else if (gen_chance(h >> 10, 500))
		cmd_line(c, "mail from: %s", path);
	else
		cmd_line(c, "MAIL From:%s", path);
	if (c->tr)
		gen_truth_mail(c->tr, bare, strlen(bare));
}

static void say_rcpt(struct gen_turn *c, unsigned j)
{
	struct gen_sess *s = c->s;
	char bare[GEN_ADDR_MAX];

	gen_plan_rcpt_to(c, s->tx, j, bare);
	if (has(s, GEN_F_SLOPPY))
		cmd_line(c, "rcpt to: <%s>", bare);
	else
		cmd_line(c, "RCPT TO:<%s>", bare);
	if (c->tr)
		gen_truth_rcpt(c->tr, s->tx, bare, strlen(bare));
}

/* Does a pipelined group of this client end with DATA? */
static int group_data(const struct gen_turn *c)
{
	return mta(c->s) ? !use_bdat(c) : c->s->kind == GEN_K_BOT;
}

static void say_group(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	int with_mail = s->stage == GEN_G_MAIL, data = 0;
	uint32_t n = gen_plan_rcpts(s, s->tx), a = with_mail ? 0 : s->item, g;

	if (pipelined(c)) {
		g = n - a;
		if (g > GROUP_MAX - (uint32_t)with_mail)
			g = GROUP_MAX - (uint32_t)with_mail;
		data = a + g == n && group_data(c);
	} else {
		g = with_mail ? 0 : 1;
	}
	if (with_mail)
		say_mail(c);
	for (uint32_t j = a; j < a + g; j++)
		say_rcpt(c, j);
	if (data)
		cmd_line(c, "%s", verb(s, "DATA", "data"));
	s->pend = GEN_P_GROUP;
	s->pend_a = (uint16_t)a;
	s->pend_n = (uint16_t)g;
	s->pend_f = (uint8_t)(with_mail | data << 1);
}

/* BDAT and its chunk in one flight (RFC 3030); returns the command's length. */
static uint32_t say_bdat(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	char hdr[GEN_BODY_HDR_MAX];
	struct gen_msg m;
	uint32_t chunk, line;
	int last;

	gen_plan_message(c, 0, &m, s->bulk_off == 0 ? hdr : NULL);
	if (s->bulk_off == 0 && c->tr)
		gen_truth_data(c->tr, s->tx);
	chunk = m.total - s->bulk_off < BDAT_CHUNK ? m.total - s->bulk_off : BDAT_CHUNK;
	last = s->bulk_off + chunk == m.total;
	cmd_line(c, "BDAT %u%s", chunk, last ? " LAST" : "");
	line = c->len;
	if (c->e->wire)
		gen_body_fill(c->e->body, &m, hdr, s->bulk_off, chunk, c->buf + c->len);
	c->len += chunk;
	s->bulk_off += chunk;
	s->pend = GEN_P_BDAT;
	s->pend_f = (uint8_t)last;
	return line;
}

static void say_auth(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint64_t h = hash(s, GEN_T_AUTH, 100 + s->item);
	char user[GEN_NAME_MAX], pass[GEN_NAME_MAX], b64[256];
	uint8_t plain[2 * GEN_NAME_MAX + 2];
	size_t ul = gen_names_user(user, h), pl = gen_names_password(pass, h >> 1);
	unsigned m = gen_plan_auth_mech(s, s->item);
	const char *v = verb(s, "AUTH", "auth");

	if (s->sub == 1 || s->sub == 2) { /* SASL response: not a command */
		gen_base64(b64, (const uint8_t *)(s->sub == 1 ? user : pass), s->sub == 1 ? ul : pl);
		gen_turn_line(c, eol(s), "%s", b64);
		s->pend = GEN_P_SASL;
		return;
	}
	if (m == GEN_AM_PLAIN) {
		plain[0] = 0;
		memcpy(plain + 1, user, ul);
		plain[ul + 1] = 0;
		memcpy(plain + ul + 2, pass, pl);
		gen_base64(b64, plain, ul + pl + 2);
		cmd_line(c, "%s %s %s", v, verb(s, "PLAIN", "plain"), b64);
	} else if (m == GEN_AM_LOGIN_IR) {
		gen_base64(b64, (const uint8_t *)user, ul);
		cmd_line(c, "%s %s %s", v, verb(s, "LOGIN", "login"), b64);
	} else {
		cmd_line(c, "%s %s", v, verb(s, "LOGIN", "login"));
	}
	if (c->tr)
		gen_truth_auth(c->tr, m == GEN_AM_PLAIN ? "PLAIN" : "LOGIN");
	s->pend = GEN_P_AUTH;
}

/* Scanner probes; the last three are no SMTP command at all. */
static const char *const scan_line[] = {
	"VRFY root", "VRFY admin", "EXPN staff", "HELP", "NOOP", "XYZZY", "DEBUG", "WIZ",
};
#define SCAN_KNOWN 5u

static void say_scan(struct gen_turn *c)
{
	uint32_t i = gen_pick(hash(c->s, GEN_T_SCAN, c->s->item), N(scan_line));

	if (i < SCAN_KNOWN) {
		cmd_line(c, "%s", scan_line[i]);
	} else {
		gen_turn_line(c, eol(c->s), "%s", scan_line[i]);
		if (c->tr)
			gen_truth_anomaly(c->tr, MXS_ANOMALY_UNKNOWN_COMMAND);
	}
	c->s->pend = GEN_P_SCAN;
}

static void server_text(const struct gen_turn *c, char *buf)
{
	char tmp[INET6_ADDRSTRLEN];

	if (c->cl.family == 4) {
		inet_ntop(AF_INET, c->srv->addr4, buf, INET6_ADDRSTRLEN);
	} else {
		inet_ntop(AF_INET6, c->srv->addr6, tmp, sizeof(tmp));
		sprintf(buf, "[%s]", tmp);
	}
}

/* An HTTP request aimed at port 25 (RFC 5321 has no such commands). */
static void say_http(struct gen_turn *c)
{
	char ip[INET6_ADDRSTRLEN + 2];

	server_text(c, ip);
	if (gen_chance(hash(c->s, GEN_T_HTTP, 0), 500)) {
		gen_turn_line(c, "\r\n", "GET / HTTP/1.1");
		gen_turn_line(c, "\r\n", "Host: %s", ip);
		gen_turn_line(c, "\r\n", "User-Agent: Mozilla/5.0 (compatible; scan/2.1)");
		gen_turn_line(c, "\r\n", "Accept: */*");
	} else {
		gen_turn_line(c, "\r\n", "CONNECT %s:25 HTTP/1.1", ip);
		gen_turn_line(c, "\r\n", "Host: %s:25", ip);
	}
	gen_turn_blank(c, "\r\n");
	if (c->tr) {
		gen_truth_anomaly(c->tr, MXS_ANOMALY_NON_SMTP_COMMAND);
		if (!(c->s->bits & GEN_B_BANNER))
			gen_truth_anomaly(c->tr, MXS_ANOMALY_PREGREET);
	}
	c->s->pend = GEN_P_HTTP;
}

/*
 * Send the client's flight. RFC 2920: without PIPELINING offered in
 * answer to EHLO, a client waits for each reply; a flight holding a
 * second command line after the greeting is a violation.
 */
static uint64_t client_send(struct gen_turn *c, uint32_t tiny_head, uint32_t tiny_tail)
{
	if (c->tr && (c->s->bits & GEN_B_BANNER) && !pipe_ok(c) && c->lines >= 2)
		gen_truth_anomaly(c->tr, MXS_ANOMALY_PIPELINING_VIOLATION);
	return gen_turn_send(c, GEN_C, 0, tiny_head, tiny_tail);
}

/* ---- what the server answers ------------------------------------------ */

static void final_stage(struct gen_sess *s)
{
	s->stage = has(s, GEN_F_NOQUIT) ? GEN_G_END : GEN_G_QUIT;
}

static void start_mail(struct gen_sess *s)
{
	s->tx = 0;
	s->item = 0;
	if (s->n_tx)
		s->stage = GEN_G_MAIL;
	else
		final_stage(s);
}

static void tx_done(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	int failed = !gen_plan_accepted(s, s->tx);

	s->tx++;
	s->item = 0;
	s->bulk_off = 0;
	if (s->tx < s->n_tx)
		s->stage = s->kind == GEN_K_DICT || has(s, GEN_F_RSET) || (mta(s) && failed)
				   ? GEN_G_RSET : GEN_G_MAIL;
	else if (has(s, GEN_F_RSET))
		s->stage = GEN_G_RSET;
	else
		final_stage(s);
}

static void after_greet(struct gen_turn *c)
{
	struct gen_sess *s = c->s;

	if (has(s, GEN_F_DOUBLE) && s->item == 0) {
		s->item = 1;
		s->stage = GEN_G_GREET;
		return;
	}
	s->item = 0;
	s->sub = 0;
	switch (s->kind) {
	case GEN_K_MTA:
		if (has(s, GEN_F_STARTTLS) && (s->bits & GEN_B_EHLO) &&
		    srv_has(c, GEN_SRV_STARTTLS))
			s->stage = GEN_G_STARTTLS;
		else
			start_mail(s);
		break;
	case GEN_K_SUBMIT:
		s->stage = GEN_G_STARTTLS;
		break;
	case GEN_K_AUTH:
		s->stage = GEN_G_AUTH;
		break;
	case GEN_K_SCAN:
		s->stage = GEN_G_SCAN;
		break;
	default: /* MTA-like senders */
		start_mail(s);
		break;
	}
}

static void reply_greet(struct gen_turn *c)
{
	if (c->s->bits & GEN_B_EHLO) {
		const char *const *ext = gen_world_ehlo_lines(c->srv);

		gen_turn_line(c, "\r\n", "250-%s", c->srv->name);
		for (; *ext; ext++) {
			gen_turn_line(c, "\r\n", "250%c%s", ext[1] ? '-' : ' ', *ext);
			if (c->tr)
				gen_truth_ext(c->tr, *ext);
		}
	} else {
		gen_turn_line(c, "\r\n", "250 %s", c->srv->name);
	}
	after_greet(c);
}

static void rcpt_reply(struct gen_turn *c, int code, const char *bare)
{
	switch (code) {
	case 250:
		gen_turn_line(c, "\r\n", "250 2.1.5 Ok");
		break;
	case 550:
		gen_turn_line(c, "\r\n", "550 5.1.1 <%s>: Recipient address rejected: "
			      "User unknown in virtual mailbox table", bare);
		break;
	case 554:
		gen_turn_line(c, "\r\n", "554 5.7.1 <%s>: Relay access denied", bare);
		break;
	default:
		gen_turn_line(c, "\r\n", "450 4.2.0 <%s>: Recipient address rejected: "
			      "Greylisted, try again later", bare);
		break;
	}
}

/* The answer to DATA: 354 starts the body, 554 ends the transaction. */
static void reply_data(struct gen_turn *c)
{
	struct gen_sess *s = c->s;

	if (!gen_plan_accepted(s, s->tx)) {
		gen_turn_line(c, "\r\n", "554 5.5.1 Error: no valid recipients");
		if (c->tr)
			gen_truth_reply(c->tr, s->tx, 554, 0);
		tx_done(c);
		return;
	}
	gen_turn_line(c, "\r\n", "354 End data with <CR><LF>.<CR><LF>");
	if (c->tr) {
		gen_truth_reply(c->tr, s->tx, 354, 0);
		gen_truth_data(c->tr, s->tx);
	}
	/* The size is settled when the first chunk is composed (0: not yet);
	 * the record does not depend on it. */
	gen_sess_bulk(s, GEN_BK_BODY, GEN_C, c->e->wire ? 0 : 1);
}

static void reply_group(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint32_t n = gen_plan_rcpts(s, s->tx);

	if (s->pend_f & 1) {
		gen_turn_line(c, "\r\n", "250 2.1.0 Ok");
		if (c->tr)
			gen_truth_reply(c->tr, s->tx, 250, 0);
	}
	for (uint32_t j = s->pend_a; j < (uint32_t)s->pend_a + s->pend_n; j++) {
		char bare[GEN_ADDR_MAX];
		int code = gen_plan_rcpt_code(s, s->tx, j);

		if (c->e->wire)
			gen_plan_rcpt_to(c, s->tx, j, bare);
		rcpt_reply(c, code, bare);
		if (c->tr)
			gen_truth_reply(c->tr, s->tx, code, 1);
	}
	if (s->pend_f & 2) {
		reply_data(c);
	} else if ((uint32_t)s->pend_a + s->pend_n < n) {
		s->stage = GEN_G_RCPT;
		s->item = (uint16_t)(s->pend_a + s->pend_n);
	} else if (s->kind == GEN_K_DICT || (mta(s) && !gen_plan_accepted(s, s->tx))) {
		tx_done(c);
	} else {
		s->stage = mta(s) && use_bdat(c) ? GEN_G_BDAT : GEN_G_DATA;
		s->bulk_off = 0;
	}
}

static void reply_auth(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	unsigned m = gen_plan_auth_mech(s, s->item);

	s->stage = GEN_G_AUTH;
	if (!srv_has(c, GEN_SRV_AUTH)) {
		gen_turn_line(c, "\r\n", "503 5.5.1 Error: authentication not enabled");
		final_stage(s);
	} else if (s->pend == GEN_P_AUTH && m == GEN_AM_LOGIN) {
		gen_turn_line(c, "\r\n", "334 VXNlcm5hbWU6");
		s->sub = 1;
	} else if ((s->pend == GEN_P_AUTH && m == GEN_AM_LOGIN_IR) || s->sub == 1) {
		gen_turn_line(c, "\r\n", "334 UGFzc3dvcmQ6");
		s->sub = 2;
	} else {
		gen_turn_line(c, "\r\n", "535 5.7.8 Error: authentication failed: authentication failure");
		s->sub = 0;
		if (++s->item >= s->n_auth)
			final_stage(s);
	}
}

static void reply_scan(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint32_t i = gen_pick(hash(s, GEN_T_SCAN, s->item), N(scan_line));

	if (i < 2)
		gen_turn_line(c, "\r\n", "252 2.0.0 %s", scan_line[i] + 5);
	else if (i == 4)
		gen_turn_line(c, "\r\n", "250 2.0.0 Ok");
	else
		gen_turn_line(c, "\r\n", "502 5.5.2 Error: command not recognized");
	if (++s->item >= s->n_auth)
		final_stage(s);
}

static void reply_end(struct gen_turn *c, const char *text)
{
	gen_turn_line(c, "\r\n", "%s", text);
	c->s->phase = GEN_PH_CLOSE;
	c->s->sub = has(c->s, GEN_F_RST) ? GEN_CL_C_RST : GEN_CL_C_FIN;
}

static void banner(struct gen_turn *c)
{
	const char *name = c->srv->name;
	char line[160];
	int n;

	switch (c->srv->style & 3) {
	case 0:
		n = snprintf(line, sizeof(line), "220 %s ESMTP Postfix", name);
		break;
	case 1:
		n = snprintf(line, sizeof(line), "220 %s ESMTP Exim 4.96 Mon, 01 Jan 2024 09:12:44 +0000",
			     name);
		break;
	case 2:
		n = snprintf(line, sizeof(line), "220-%s ESMTP service ready", name);
		break;
	default:
		n = snprintf(line, sizeof(line), "220 %s Microsoft ESMTP MAIL Service ready at "
			     "Mon, 1 Jan 2024 09:12:44 +0000", name);
		break;
	}
	gen_turn_line(c, "\r\n", "%s", line);
	if (c->tr) /* the record keeps the first line, without its CRLF */
		gen_truth_banner(c->tr, line, n > 0 ? (size_t)n : 0);
	if ((c->srv->style & 3) == 2)
		gen_turn_line(c, "\r\n", "220 No UCE/UBE, see our policy");
	c->s->bits |= GEN_B_BANNER;
}

/* Time the server takes to answer what is pending. */
static uint64_t server_delay(struct gen_turn *c)
{
	const struct gen_sess *s = c->s;

	switch (s->pend) {
	case GEN_P_GREET:
		return gen_turn_rand(c, 300, 3000);
	case GEN_P_EOD:
		return gen_turn_rand(c, 5000, 40000);
	case GEN_P_SASL:
		return s->sub == 2 ? gen_turn_rand(c, 200000, 900000) : gen_turn_rand(c, 100, 900);
	case GEN_P_AUTH:
		return gen_plan_auth_mech(s, s->item) == GEN_AM_PLAIN ? gen_turn_rand(c, 200000, 900000)
							  : gen_turn_rand(c, 100, 900);
	default:
		return gen_turn_rand(c, 100, 900);
	}
}

/* ---- turns ------------------------------------------------------------ */

static uint64_t turn_early(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint64_t t;

	if (s->kind == GEN_K_HTTP) {
		say_http(c);
	} else { /* Postfix postscreen's pregreet: talking before the banner */
		say_greet(c);
		if (c->tr)
			gen_truth_anomaly(c->tr, MXS_ANOMALY_PREGREET);
	}
	s->bits |= GEN_B_EARLY;
	t = client_send(c, ~0u, 0);
	s->phase = GEN_PH_BANNER;
	return t + gen_turn_rand(c, 1000, 8000);
}

static uint64_t turn_banner(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint64_t t;

	banner(c);
	t = gen_turn_send(c, GEN_S, 0, ~0u, 0);
	if (s->bits & GEN_B_EARLY) { /* answer what was said before it */
		s->phase = GEN_PH_REPLY;
		return t + gen_turn_rand(c, 100, 500);
	}
	s->phase = GEN_PH_CMD;
	s->stage = s->kind == GEN_K_HTTP ? GEN_G_HTTP : GEN_G_GREET;
	s->item = 0;
	return gen_turn_client_at(c, t);
}

static uint64_t turn_cmd(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	uint32_t head = ~0u, tail = 0;
	uint64_t t;

	switch (s->stage) {
	case GEN_G_GREET:
		say_greet(c);
		break;
	case GEN_G_STARTTLS:
		cmd_line(c, "STARTTLS");
		s->pend = GEN_P_STARTTLS;
		break;
	case GEN_G_AUTH:
		say_auth(c);
		break;
	case GEN_G_SCAN:
		say_scan(c);
		break;
	case GEN_G_MAIL:
	case GEN_G_RCPT:
		say_group(c);
		break;
	case GEN_G_DATA:
		cmd_line(c, "%s", verb(s, "DATA", "data"));
		s->pend = GEN_P_DATA;
		break;
	case GEN_G_BDAT:
		/* Tiny segments around the command and the chunk's ends only. */
		head = say_bdat(c) + 64;
		tail = 64;
		break;
	case GEN_G_RSET:
		cmd_line(c, "%s", verb(s, "RSET", "rset"));
		s->pend = GEN_P_RSET;
		break;
	case GEN_G_QUIT:
		cmd_line(c, "%s", verb(s, "QUIT", "quit"));
		s->pend = GEN_P_QUIT;
		break;
	case GEN_G_HTTP:
		say_http(c);
		break;
	default: /* GEN_G_END: leave without QUIT */
		if (has(s, GEN_F_RST)) {
			if (c->tr)
				gen_truth_state(c->tr, "reset");
			gen_turn_ctl(c, GEN_C, GEN_TCP_RST | GEN_TCP_ACK);
			s->phase = GEN_PH_DONE;
			return GEN_SESS_DONE;
		}
		t = gen_turn_ctl(c, GEN_C, GEN_TCP_FIN | GEN_TCP_ACK);
		s->phase = GEN_PH_CLOSE;
		s->sub = GEN_CL_S_FIN;
		return t + gen_turn_rand(c, 100, 900);
	}
	t = client_send(c, head, tail);
	s->phase = GEN_PH_REPLY;
	return t + server_delay(c);
}

static uint64_t turn_reply(struct gen_turn *c)
{
	struct gen_sess *s = c->s;
	int fin = 0;
	uint64_t t;

	s->phase = GEN_PH_CMD;
	switch (s->pend) {
	case GEN_P_GREET:
		reply_greet(c);
		break;
	case GEN_P_STARTTLS:
		gen_turn_line(c, "\r\n", "220 2.0.0 Ready to start TLS");
		if (c->tr)
			gen_truth_tls(c->tr);
		s->phase = GEN_PH_TLS;
		s->item = 0;
		break;
	case GEN_P_AUTH:
	case GEN_P_SASL:
		reply_auth(c);
		break;
	case GEN_P_SCAN:
		reply_scan(c);
		break;
	case GEN_P_GROUP:
		reply_group(c);
		break;
	case GEN_P_DATA:
		reply_data(c);
		break;
	case GEN_P_EOD: {
		uint64_t h = hash(s, GEN_T_EOD, s->tx);
		int code = gen_chance(h, s->kind == GEN_K_BOT ? 400 : 5) ? 554 : 250;

		if (code == 250)
			gen_turn_line(c, "\r\n", "250 2.0.0 Ok: queued as %010llX",
				      (unsigned long long)(hash(s, GEN_T_QID, s->tx) >> 24));
		else
			gen_turn_line(c, "\r\n", "554 5.7.1 Message rejected as spam");
		if (c->tr)
			gen_truth_reply(c->tr, s->tx, code, 0);
		tx_done(c);
		break;
	}
	case GEN_P_BDAT:
		if (s->pend_f)
			gen_turn_line(c, "\r\n", "250 2.0.0 Ok: queued as %010llX",
				      (unsigned long long)(hash(s, GEN_T_QID, s->tx) >> 24));
		else
			gen_turn_line(c, "\r\n", "250 2.0.0 Ok: %u octets", s->bulk_off);
		if (c->tr)
			gen_truth_reply(c->tr, s->tx, 250, 0);
		if (s->pend_f)
			tx_done(c);
		break;
	case GEN_P_RSET:
		gen_turn_line(c, "\r\n", "250 2.0.0 Ok");
		if (s->tx < s->n_tx)
			s->stage = GEN_G_MAIL;
		else
			final_stage(s);
		break;
	case GEN_P_QUIT:
		reply_end(c, "221 2.0.0 Bye");
		fin = 1;
		break;
	default: /* GEN_P_HTTP: Postfix postscreen's answer to a web client */
		reply_end(c, "221 2.7.0 Error: I can break rules, too. Goodbye.");
		fin = 1;
		break;
	}
	t = gen_turn_send(c, GEN_S, fin, ~0u, 0);
	return gen_turn_client_at(c, t);
}

uint64_t gen_smtp_turn(struct gen_turn *c)
{
	switch (c->s->phase) {
	case GEN_PH_EARLY:
		return turn_early(c);
	case GEN_PH_BANNER:
		return turn_banner(c);
	case GEN_PH_CMD:
		return turn_cmd(c);
	default:
		return turn_reply(c);
	}
}

void gen_smtp_body_done(struct gen_sess *s)
{
	s->pend = GEN_P_EOD;
	s->phase = GEN_PH_REPLY;
}
