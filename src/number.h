/*
 * number.h: the long double parsing and formatting Redis uses for
 * INCRBYFLOAT and HINCRBYFLOAT (string2ld and ld2string in LD_STR_HUMAN mode),
 * shared so both commands accept and print exactly the same texts.
 *
 * Limits: texts of NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX bytes or more are not
 * parsed (Redis's MAX_LONG_DOUBLE_CHARS); a formatted value always fits a
 * buffer of that size ("%.17Lf" of the largest long double is ~4950 bytes).
 */
#pragma once

#include "base.h"

/* Redis's MAX_LONG_DOUBLE_CHARS: longer float texts are not parsed. */
#define NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX ((uint32_t)(5 * 1024))

/*
 * Redis's string2ld: strtold over the whole text (an embedded NUL ends it, as
 * in Redis), no leading space, no NaN, no overflow, no underflow to zero.
 * Infinity ("inf") parses; callers reject it where Redis does.
 */
bool number_parse_long_double(struct slice text, long double *value);

/*
 * Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf", trailing zeros after the
 * point removed (and the point if nothing follows), "-0" shown as "0".
 * value must be finite; buffer_size >= NUMBER_LONG_DOUBLE_TEXT_SIZE_MAX.
 * Returns the length (no terminating NUL is counted).
 */
uint32_t number_format_long_double(char *buffer, uint32_t buffer_size, long double value);
