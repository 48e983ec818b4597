/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict number and size parsing for command-line values. */
#pragma once

#include <stdint.h>

/*
 * Parse an unsigned decimal (or 0x hex) integer: no sign, no trailing
 * garbage, no overflow. Returns 0, -EINVAL or -ERANGE.
 */
int ctl_parse_u64(const char *s, uint64_t *out);

/* ctl_parse_u64() bounded to [MIN, MAX]; -ERANGE outside. */
int ctl_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Parse a size: plain bytes, 0x hex, or a K/M/G/T/P suffix (powers of
 * 1024; "KiB", "K" and "k" are the same). Returns 0, -EINVAL or -ERANGE.
 */
int ctl_parse_size(const char *s, uint64_t *out);

/* Parse a strictly positive decimal with optional fraction ("0.5"). */
int ctl_parse_seconds(const char *s, double *out);
