/*
 * glob.h: Redis's glob-style pattern matching (KEYS, SCAN MATCH, CONFIG GET,
 * PSUBSCRIBE): `*`, `?`, `[abc]`, `[^a-z]`, and `\` escapes.
 *
 * Iterative: a star remembers where to resume, so the work is bounded by
 * pattern length times string length and the stack never grows.
 */
#pragma once

#include "base.h"

bool glob_match(struct slice pattern, struct slice text, bool nocase);
