/*
 * clientinfo.h: one client described as Redis's CLIENT LIST line
 * (catClientInfoString), the single formatter behind CLIENT LIST, CLIENT INFO
 * and the client-info field of ACL LOG entries.
 *
 * The fields, their order and their names are Redis 7.0.15's. Where keel has
 * no counterpart the value is what is true for keel (see clientinfo.c).
 */
#pragma once

#include "base.h"

struct acl;
struct client;

/* A line is at most this long: every variable part is bounded (names, addresses). */
#define CLIENTINFO_LINE_SIZE_MAX 1024u

/*
 * Writes the line (no trailing newline) into buffer, NUL-terminated, cut to
 * size - 1 bytes; returns its length. age= and idle= are counted from now_ms;
 * user= and cmd= come from `acl` (server.acl, or a test's own).
 */
uint32_t clientinfo_format(const struct acl *acl, const struct client *client, int64_t now_ms,
                           char *buffer, uint32_t size);

/* "ip:port" or "[ip6]:port" of the socket's local end ("" when unknown). */
void clientinfo_local_address(int fd, char *buffer, uint32_t size);

/* Redis's client flags string (N when none): O x b c A e ... */
void clientinfo_flags(const struct client *client, char *buffer, uint32_t size);

/* INFO clients: the largest input buffer and output (omem=) held by a client now. */
void clientinfo_buffer_peaks(uint64_t *input_peak, uint64_t *output_peak);
