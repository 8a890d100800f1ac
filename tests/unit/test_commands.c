/*
 * test_commands.c: the argument parsers handlers share (commands.h).
 */
#include "commands.h"

#include <criterion/criterion.h>

static bool cursor_of(const char *text, uint32_t size, uint64_t *cursor) {
    return argument_cursor((struct slice){ .ptr = (const uint8_t *)text, .size = size }, cursor);
}

Test(commands, cursor_strtoul_rules) {
    uint64_t cursor = 7;
    cr_assert(cursor_of("0", 1, &cursor) && cursor == 0);
    cr_assert(cursor_of("", 0, &cursor) && cursor == 0);
    cr_assert(cursor_of("+7", 2, &cursor) && cursor == 7);
    cr_assert(cursor_of("-1", 2, &cursor) && cursor == UINT64_MAX);
    cr_assert(cursor_of("007", 3, &cursor) && cursor == 7);
    cr_assert(cursor_of("12\0x", 4, &cursor) && cursor == 12); /* strtoul stops at NUL */
    cr_assert(cursor_of("\0" "5", 2, &cursor) && cursor == 0);
    cr_assert_not(cursor_of(" 1", 2, &cursor));
    cr_assert_not(cursor_of("\t1", 2, &cursor));
    cr_assert_not(cursor_of("1 ", 2, &cursor));
    cr_assert_not(cursor_of("1x", 2, &cursor));
    cr_assert_not(cursor_of("+", 1, &cursor));
    cr_assert_not(cursor_of("x", 1, &cursor));
}

Test(commands, cursor_at_the_limit_and_one_past) {
    uint64_t cursor = 0;
    cr_assert(cursor_of("18446744073709551615", 20, &cursor));
    cr_assert_eq(cursor, UINT64_MAX);
    cr_assert_not(cursor_of("18446744073709551616", 20, &cursor));
    cr_assert_not(cursor_of("99999999999999999999", 20, &cursor));
}
