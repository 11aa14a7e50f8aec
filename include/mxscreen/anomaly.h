/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxscreen anomaly identifiers, shared by the dataplane (records,
 * observations), the control plane (anomaly_weights) and the CLI.
 * Contract: bit positions and names are stable once released; append only.
 * Header-only, no state: any thread may use it.
 */
#ifndef MXSCREEN_ANOMALY_H
#define MXSCREEN_ANOMALY_H

/* X(enum suffix, wire name) — the single definition of every anomaly. */
#define MXS_ANOMALY_LIST(X)                                                   \
	X(PREGREET, "pregreet")                                               \
	X(PIPELINING_VIOLATION, "pipelining_violation")                       \
	X(NON_SMTP_COMMAND, "non_smtp_command")                               \
	X(BARE_LF, "bare_lf")                                                 \
	X(NUL_BYTE, "nul_byte")                                               \
	X(LONG_LINE, "long_line")                                             \
	X(UNKNOWN_COMMAND, "unknown_command")                                 \
	X(STARTTLS_INJECTION, "starttls_injection")                           \
	X(BDAT_INVALID, "bdat_invalid")                                       \
	X(REASM_OVERLAP_CONFLICT, "reasm_overlap_conflict")                   \
	X(REASM_GAP, "reasm_gap")

enum mxs_anomaly {
#define MXS_ANOMALY_ENUM(e, s) MXS_ANOMALY_##e,
	MXS_ANOMALY_LIST(MXS_ANOMALY_ENUM)
#undef MXS_ANOMALY_ENUM
	MXS_ANOMALY_COUNT
};

#define MXS_ANOMALY_BIT(e) (1u << MXS_ANOMALY_##e)

_Static_assert(MXS_ANOMALY_COUNT <= 32, "anomaly bitmask is 32 bits");

/* Wire name of anomaly @a, or NULL when out of range. */
static inline const char *mxs_anomaly_name(unsigned a)
{
	static const char *const names[] = {
#define MXS_ANOMALY_NAME(e, s) s,
		MXS_ANOMALY_LIST(MXS_ANOMALY_NAME)
#undef MXS_ANOMALY_NAME
	};
	return a < MXS_ANOMALY_COUNT ? names[a] : (const char *)0;
}

#endif
