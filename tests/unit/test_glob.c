/*
 * test_glob.c: unit tests for glob matching (src/glob.c).
 *
 * Expected answers are those of Redis 7's stringmatchlen (util.c). Besides
 * hand-picked cases, a seeded random search compares glob_match with a
 * line-by-line port of stringmatchlen kept here as the reference.
 */
#include "glob.h"

#include <criterion/criterion.h>
#include <time.h>

static bool match(const char *pattern, const char *text) {
    return glob_match(slice_from_cstr(pattern), slice_from_cstr(text), false);
}

static bool match_nocase(const char *pattern, const char *text) {
    return glob_match(slice_from_cstr(pattern), slice_from_cstr(text), true);
}

#define YES(pattern, text) \
    cr_assert(match((pattern), (text)), "'%s' should match '%s'", (pattern), (text))
#define NO(pattern, text) \
    cr_assert_not(match((pattern), (text)), "'%s' should not match '%s'", (pattern), (text))

/* ==== Reference: Redis's stringmatchlen_impl, with bounds made explicit ==== */

static int reference_impl(const uint8_t *pattern, int pattern_size, const uint8_t *string,
                          int string_size, int *skip_longer, int nesting) {
    if (nesting > 1000) {
        return 0;
    }
    while (pattern_size > 0 && string_size > 0) {
        switch (pattern[0]) {
        case '*':
            while (pattern_size > 1 && pattern[1] == '*') {
                pattern++;
                pattern_size--;
            }
            if (pattern_size == 1) {
                return 1;
            }
            while (string_size > 0) {
                if (reference_impl(pattern + 1, pattern_size - 1, string, string_size,
                                   skip_longer, nesting + 1)) {
                    return 1;
                }
                if (*skip_longer) {
                    return 0;
                }
                string++;
                string_size--;
            }
            *skip_longer = 1;
            return 0;
        case '?':
            string++;
            string_size--;
            break;
        case '[': {
            pattern++;
            pattern_size--;
            int negate = pattern_size > 0 && pattern[0] == '^';
            if (negate) {
                pattern++;
                pattern_size--;
            }
            int matched = 0;
            while (1) {
                if (pattern_size >= 2 && pattern[0] == '\\') {
                    pattern++;
                    pattern_size--;
                    if (pattern[0] == string[0]) {
                        matched = 1;
                    }
                } else if (pattern_size > 0 && pattern[0] == ']') {
                    break;
                } else if (pattern_size == 0) {
                    pattern--;
                    pattern_size++;
                    break;
                } else if (pattern_size >= 3 && pattern[1] == '-') {
                    int start = pattern[0];
                    int end = pattern[2];
                    int c = string[0];
                    if (start > end) {
                        int swap = start;
                        start = end;
                        end = swap;
                    }
                    pattern += 2;
                    pattern_size -= 2;
                    if (c >= start && c <= end) {
                        matched = 1;
                    }
                } else if (pattern[0] == string[0]) {
                    matched = 1;
                }
                pattern++;
                pattern_size--;
            }
            if (negate) {
                matched = !matched;
            }
            if (!matched) {
                return 0;
            }
            string++;
            string_size--;
            break;
        }
        case '\\':
            if (pattern_size >= 2) {
                pattern++;
                pattern_size--;
            }
            if (pattern[0] != string[0]) {
                return 0;
            }
            string++;
            string_size--;
            break;
        default:
            if (pattern[0] != string[0]) {
                return 0;
            }
            string++;
            string_size--;
            break;
        }
        pattern++;
        pattern_size--;
        if (string_size == 0) {
            while (pattern_size > 0 && pattern[0] == '*') {
                pattern++;
                pattern_size--;
            }
            break;
        }
    }
    return pattern_size == 0 && string_size == 0;
}

static bool reference_match(const uint8_t *pattern, uint32_t pattern_size, const uint8_t *text,
                            uint32_t text_size) {
    int skip_longer = 0;
    return reference_impl(pattern, (int)pattern_size, text, (int)text_size, &skip_longer, 0) != 0;
}

/* ==== Hand-picked cases ==== */

Test(glob, literals) {
    YES("hello", "hello");
    NO("hello", "hell");
    NO("hell", "hello");
    NO("hello", "Hello");
    YES("", "");
    NO("", "a");
    NO("a", "");
}

Test(glob, star) {
    YES("*", "anything");
    YES("*", "a");
    YES("h*o", "hello");
    YES("h*o", "ho");
    NO("h*o", "hellx");
    YES("*llo", "hello");
    YES("he*", "he");
    YES("**", "x");
    YES("a**b", "ab");
    YES("*a*b*", "xxaxxbxx");
    NO("*a*b*", "xxbxxaxx");
    YES("user:*:name", "user:1000:name");
    NO("user:*:name", "user:1000:email");
    YES("a*", "a");
    YES("a***", "a");
}

Test(glob, question_mark) {
    YES("h?llo", "hello");
    YES("h?llo", "hallo");
    NO("h?llo", "hllo");
    NO("?", "");
    YES("???", "abc");
    NO("???", "ab");
    YES("?*", "a");
    NO("?*", "");
}

Test(glob, classes) {
    YES("h[ae]llo", "hello");
    YES("h[ae]llo", "hallo");
    NO("h[ae]llo", "hillo");
    YES("h[^e]llo", "hallo");
    NO("h[^e]llo", "hello");
    YES("h[a-b]llo", "hbllo");
    NO("h[a-b]llo", "hcllo");
    YES("[a-z]", "m");
    NO("[a-z]", "M");
    YES("[0-9][0-9]", "42");
    YES("[^0-9]", "x");
    NO("[^0-9]", "5");
    /* As in Redis, "c-]" is a range from 'c' to ']' and the class is unterminated. */
    NO("[abc-]", "-");
    YES("[abc-]", "_");
    NO("[]", "]");
    NO("[]", "a");
}

Test(glob, reversed_ranges_swap) {
    YES("[z-a]", "m");
    YES("[z-a]", "a");
    YES("[z-a]", "z");
    NO("[z-a]", "A");
    YES("[9-0]", "5");
    NO("[^z-a]", "q");
}

Test(glob, escapes) {
    YES("\\*", "*");
    NO("\\*", "a");
    YES("a\\?b", "a?b");
    NO("a\\?b", "axb");
    YES("\\[a]", "[a]");
    YES("[\\]]", "]");
    YES("[\\-a]", "-");
    NO("[\\-a]", "b");
    YES("\\\\", "\\");
    /* A lone trailing backslash is a literal backslash. */
    YES("a\\", "a\\");
    NO("a\\", "a");
}

Test(glob, unterminated_class) {
    /* Redis ends an unterminated class at the pattern's last byte. */
    YES("[abc", "a");
    YES("[abc", "c");
    NO("[abc", "d");
    YES("x[^", "xq");
    NO("x[", "x[");
    NO("[", "a");
}

Test(glob, nocase) {
    cr_assert(match_nocase("HELLO", "hello"));
    cr_assert(match_nocase("h*O", "HellO"));
    cr_assert(match_nocase("[A-C]x", "bX"));
    cr_assert(match_nocase("[a-c]x", "BX"));
    cr_assert(match_nocase("[^A-C]", "d"));
    cr_assert_not(match_nocase("[^A-C]", "b"));
    cr_assert(match_nocase("maxmemory*", "MaxMemory-Policy"));
    cr_assert_not(match("HELLO", "hello"));
    cr_assert_not(match_nocase("hello", "hellx"));
}

Test(glob, binary_text) {
    static const uint8_t text[] = { 'a', 0, 'b', 0xff };
    static const uint8_t pattern[] = { 'a', '?', 'b', '*' };
    static const uint8_t literal[] = { 'a', 0, 'b', 0xff };
    struct slice text_slice = { .ptr = text, .size = 4 };
    cr_assert(glob_match((struct slice){ .ptr = pattern, .size = 4 }, text_slice, false));
    cr_assert(glob_match((struct slice){ .ptr = literal, .size = 4 }, text_slice, false));
    cr_assert_not(glob_match((struct slice){ .ptr = literal, .size = 3 }, text_slice, false));
}

/*
 * BUG (reported, minor): stringmatchlen answers "no" for any non-empty
 * pattern against the empty string, "*" included (its loop needs both to be
 * non-empty); Redis's KEYS and SCAN short-circuit a bare "*" before calling
 * it. glob_match("*", "") is true, so `KEYS **` or `SCAN MATCH **` would
 * return an empty key that Redis does not.
 */
Test(glob, empty_text_matches_only_empty_pattern) {
    YES("", "");
    NO("*", "");
    NO("**", "");
    NO("?", "");
    NO("[a]", "");
}

/* ==== Performance: patterns that make naive backtracking exponential ==== */

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

Test(glob, pathological_patterns_finish_quickly) {
    static char text[20001];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = 0;
    double start = seconds_now();
    NO("*a*a*a*a*b", text);
    NO("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text);
    NO("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*?b", text);
    YES("*a*a*a*a*a", text);
    YES("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", text);
    text[sizeof(text) - 2] = 'b';
    YES("*a*a*a*a*b", text);
    YES("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text);
    double elapsed = seconds_now() - start;
    cr_assert_lt(elapsed, 2.0, "took %.3f s", elapsed);
}

/* ==== Random comparison with the reference ==== */

static uint64_t xorshift(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static uint32_t random_string(uint64_t *state, const char *alphabet, uint32_t size_max,
                              uint8_t *out) {
    uint32_t alphabet_size = (uint32_t)strlen(alphabet);
    uint32_t size = (uint32_t)(xorshift(state) % (size_max + 1));
    for (uint32_t index = 0; index < size; index++) {
        out[index] = (uint8_t)alphabet[xorshift(state) % alphabet_size];
    }
    return size;
}

Test(glob, agrees_with_stringmatchlen) {
    uint64_t state = 0x9e3779b97f4a7c15u;
    uint8_t pattern[16];
    uint8_t text[16];
    uint32_t mismatches = 0;
    for (uint32_t round = 0; round < 400000; round++) {
        uint32_t pattern_size = random_string(&state, "ab*?[]^-\\c", 12, pattern);
        uint32_t text_size = random_string(&state, "abc-]^\\*", 10, text);
        if (text_size == 0) {
            continue; /* covered by empty_text_matches_only_empty_pattern */
        }
        bool expected = reference_match(pattern, pattern_size, text, text_size);
        bool actual = glob_match((struct slice){ .ptr = pattern, .size = pattern_size },
                                 (struct slice){ .ptr = text, .size = text_size }, false);
        if (expected != actual && mismatches++ < 5) {
            cr_log_error("pattern '%.*s' text '%.*s': expected %d", (int)pattern_size,
                         (const char *)pattern, (int)text_size, (const char *)text,
                         (int)expected);
        }
    }
    cr_assert_eq(mismatches, 0);
}

Test(glob, agrees_with_stringmatchlen_on_star_heavy_patterns) {
    uint64_t state = 12345;
    uint8_t pattern[40];
    uint8_t text[64];
    uint32_t mismatches = 0;
    for (uint32_t round = 0; round < 100000; round++) {
        uint32_t pattern_size = random_string(&state, "**a?b", 40, pattern);
        uint32_t text_size = random_string(&state, "aab", 64, text);
        if (text_size == 0) {
            continue;
        }
        bool expected = reference_match(pattern, pattern_size, text, text_size);
        bool actual = glob_match((struct slice){ .ptr = pattern, .size = pattern_size },
                                 (struct slice){ .ptr = text, .size = text_size }, false);
        if (expected != actual && mismatches++ < 5) {
            cr_log_error("pattern '%.*s' text '%.*s': expected %d", (int)pattern_size,
                         (const char *)pattern, (int)text_size, (const char *)text,
                         (int)expected);
        }
    }
    cr_assert_eq(mismatches, 0);
}
