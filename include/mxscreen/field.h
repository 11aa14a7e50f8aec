/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SMTP envelope fields that rules match and that records and observations
 * name: the single definition of their ids and wire names.
 * Header-only, no state: any thread may use it.
 */
#ifndef MXSCREEN_FIELD_H
#define MXSCREEN_FIELD_H

enum mxs_field {
	MXS_FIELD_HELO = 0,      /* HELO/EHLO argument, verbatim */
	MXS_FIELD_MAIL_FROM,     /* bare MAIL FROM address */
	MXS_FIELD_RCPT_TO,       /* each bare RCPT TO address */
	MXS_FIELD_COUNT
};

/* Wire name of field @f ("helo", "mail_from", "rcpt_to"), NULL if out of range. */
static inline const char *mxs_field_name(unsigned f)
{
	static const char *const names[MXS_FIELD_COUNT] = {
		"helo", "mail_from", "rcpt_to",
	};
	return f < MXS_FIELD_COUNT ? names[f] : (const char *)0;
}

#endif
