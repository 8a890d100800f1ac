/*
 * glob.c: glob-style matching (see glob.h).
 */
#include "glob.h"

static uint8_t glob_fold(uint8_t c, bool nocase) {
    if (nocase && c >= 'A' && c <= 'Z') {
        return (uint8_t)(c + ('a' - 'A'));
    }
    return c;
}

/*
 * Matches one character class starting after '[' at pattern index *position.
 * Leaves *position on the closing ']' (or the pattern's end). Returns whether c matched.
 */
static bool glob_class(struct slice pattern, uint32_t *position, uint8_t c, bool nocase) {
    uint32_t index = *position;
    bool negate = index < pattern.size && pattern.ptr[index] == '^';
    if (negate) {
        index++;
    }
    bool matched = false;
    uint8_t folded = glob_fold(c, nocase);
    while (index < pattern.size && pattern.ptr[index] != ']') {
        uint8_t current = pattern.ptr[index];
        if (current == '\\' && index + 1 < pattern.size) {
            index++;
            matched = matched || glob_fold(pattern.ptr[index], nocase) == folded;
        } else if (index + 2 < pattern.size && pattern.ptr[index + 1] == '-') {
            uint8_t start = glob_fold(current, nocase);
            uint8_t end = glob_fold(pattern.ptr[index + 2], nocase);
            if (start > end) {
                uint8_t swap = start;
                start = end;
                end = swap;
            }
            index += 2;
            matched = matched || (folded >= start && folded <= end);
        } else {
            matched = matched || glob_fold(current, nocase) == folded;
        }
        index++;
    }
    if (index == pattern.size) {
        index--; /* Redis treats an unterminated class as ending at the last byte. */
    }
    *position = index;
    return negate ? !matched : matched;
}

bool glob_match(struct slice pattern, struct slice text, bool nocase) {
    if (text.size == 0) {
        /* As Redis's stringmatchlen: an empty string matches only an empty pattern. */
        return pattern.size == 0;
    }
    uint32_t pattern_index = 0;
    uint32_t text_index = 0;
    uint32_t star_pattern = UINT32_MAX;
    uint32_t star_text = 0;
    uint64_t steps_max = ((uint64_t)pattern.size + 1) * ((uint64_t)text.size + 1) + 1;
    for (uint64_t step = 0; step < steps_max; step++) {
        if (pattern_index < pattern.size) {
            uint8_t p = pattern.ptr[pattern_index];
            if (p == '*') {
                star_pattern = ++pattern_index;
                star_text = text_index;
                continue;
            }
            if (text_index < text.size) {
                uint8_t c = text.ptr[text_index];
                bool matched;
                uint32_t next = pattern_index;
                if (p == '?') {
                    matched = true;
                } else if (p == '[') {
                    next = pattern_index + 1;
                    matched = next < pattern.size && glob_class(pattern, &next, c, nocase);
                } else if (p == '\\' && pattern_index + 1 < pattern.size) {
                    next = pattern_index + 1;
                    matched = glob_fold(pattern.ptr[next], nocase) == glob_fold(c, nocase);
                } else {
                    matched = glob_fold(p, nocase) == glob_fold(c, nocase);
                }
                if (matched) {
                    pattern_index = next + 1;
                    text_index++;
                    continue;
                }
            }
        } else if (text_index == text.size) {
            return true;
        }
        if (star_pattern == UINT32_MAX || star_text >= text.size) {
            return false;
        }
        /* Backtrack: the last star absorbs one more character. */
        pattern_index = star_pattern;
        text_index = ++star_text;
    }
    return false;
}
