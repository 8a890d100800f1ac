/*
 * errorstats.h: error replies counted by their code (INFO errorstats and
 * total_error_replies), as Redis 7.0's afterErrorReply counts them.
 *
 * reply_error calls errorstats_count for every error it writes, so every
 * error reply counts, rejections and protocol errors included. The code is
 * the first word of the text when a space ends it within Redis's 32-byte
 * window, else "ERR". Codes are kept sorted by bytes (Redis's rax order) in a
 * fixed table of ERRORSTATS_CODES_MAX: keel's codes are compile-time strings
 * (ERR, WRONGTYPE, NOAUTH, NOPERM, OOM, WRONGPASS, ...), far fewer; a code that
 * would not fit still counts in the total.
 */
#pragma once

#include "base.h"

#define ERRORSTATS_CODES_MAX 64u
#define ERRORSTATS_CODE_SIZE_MAX 32u   /* Redis searches the first 32 bytes of "-CODE ..." */

struct errorstats_code {
    uint32_t size;
    char name[ERRORSTATS_CODE_SIZE_MAX];
    uint64_t count;
};

struct errorstats {
    uint64_t total;                    /* total_error_replies */
    uint32_t code_count;
    struct errorstats_code codes[ERRORSTATS_CODES_MAX];   /* sorted by name bytes */
};

/* The server's error counters (reply_error feeds them). */
extern struct errorstats errorstats_global;

/* Counts one error reply whose text (without the leading '-') is `text`. */
void errorstats_record(struct errorstats *stats, const char *text, uint32_t size);

/* reply_error's hook: errorstats_record on errorstats_global. */
void errorstats_count(const char *text, uint32_t size);

/* CONFIG RESETSTAT. */
void errorstats_reset(struct errorstats *stats);
