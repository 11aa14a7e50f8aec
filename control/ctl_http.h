/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_http: the smallest HTTP/1.x server that serves Prometheus: GET
 * /metrics answers 200 with what the body callback writes (text exposition
 * format 0.0.4); any other path 404, any other method 405; then the
 * connection is closed. Bounded: 16 connections, 8 KiB of request head,
 * 10 s to send it, 30 s in all. Never blocks. Main thread only.
 */
#ifndef CTL_HTTP_H
#define CTL_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_json.h"

struct ctl_http;

/* Write the /metrics body into @out (its text, via ctl_jw_raw). */
typedef void (*ctl_http_body_fn)(void *ctx, struct ctl_jw *out);

/* @listen: "ADDR:PORT" or "[V6]:PORT". NULL and the reason in @err. */
struct ctl_http *ctl_http_create(const char *listen, ctl_http_body_fn body, void *ctx,
				 char *err, size_t errlen);
void ctl_http_free(struct ctl_http *h);
int ctl_http_pollfds(struct ctl_http *h, struct pollfd *fds, int max);
void ctl_http_process(struct ctl_http *h, uint64_t now_ms);
uint64_t ctl_http_requests(const struct ctl_http *h);

#endif
