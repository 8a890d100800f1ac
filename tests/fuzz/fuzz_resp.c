/*
 * fuzz_resp.c: libFuzzer target for the request parser (src/resp.c).
 *
 * The input is split into fragments whose sizes come from the input itself
 * (first byte), then fed to the parser the way the connection layer does:
 * a growing buffer, argv that grows on RESP_ARGV_FULL, big arguments copied
 * out on RESP_BIG_ARG. Oracles: the parser never reads past `end` (ASan),
 * every argument lies inside the buffer or a big-argument copy, the same
 * commands come out whatever the fragmentation, and an error stops parsing.
 */
#include "resp.h"

#include <stdlib.h>

#define FUZZ_BUFFER_SIZE (256 * 1024)
#define FUZZ_ARGV_MAX 4096u
#define FUZZ_COMMANDS_MAX 512u

struct fuzz_run {
    uint64_t digest;          /* of every argument of every command, in order */
    uint32_t commands;
    bool error;
};

static uint64_t fuzz_mix(uint64_t digest, const uint8_t *bytes, uint32_t size) {
    for (uint32_t index = 0; index < size; index++) {
        digest = (digest ^ bytes[index]) * 1099511628211ull;
    }
    return (digest ^ size) * 1099511628211ull;
}

static void fuzz_parse(const uint8_t *data, size_t size, uint32_t fragment, struct fuzz_run *run) {
    static uint8_t buffer[FUZZ_BUFFER_SIZE];
    static uint8_t big[FUZZ_BUFFER_SIZE];
    static struct slice items[FUZZ_ARGV_MAX];
    struct resp_parser parser;
    struct resp_argv argv = { .items = items, .count = 0, .capacity = 4 };
    struct resp_limits limits = { .bulk_size_max = FUZZ_BUFFER_SIZE / 2, .big_arg_size = 64,
                                  .authenticated = (size & 1) == 0 };
    resp_parser_reset(&parser);
    uint32_t end = 0;
    uint32_t big_used = 0;
    size = size > FUZZ_BUFFER_SIZE ? FUZZ_BUFFER_SIZE : size;
    for (uint32_t offset = 0; offset < size && !run->error;) {
        uint32_t take = (uint32_t)((size - offset) < fragment ? size - offset : fragment);
        memcpy(buffer + end, data + offset, take);
        end += take;
        offset += take;
        for (uint32_t round = 0; round < 100000; round++) {
            enum resp_status status = resp_parse(&parser, buffer, end, &argv, &limits);
            if (status == RESP_AGAIN) {
                break;
            }
            if (status == RESP_ERROR) {
                run->error = true;
                break;
            }
            if (status == RESP_ARGV_FULL) {
                if (parser.argv_needed > FUZZ_ARGV_MAX) {
                    run->error = true;
                    break;
                }
                argv.capacity = parser.argv_needed > argv.capacity * 2 ? parser.argv_needed
                                                                       : argv.capacity * 2;
                argv.capacity = argv.capacity > FUZZ_ARGV_MAX ? FUZZ_ARGV_MAX : argv.capacity;
                continue;
            }
            if (status == RESP_BIG_ARG) {
                uint32_t want = (uint32_t)parser.bulk_size;
                if (end - parser.cursor < want || big_used + want > FUZZ_BUFFER_SIZE) {
                    /* Keep it simple: wait for the whole payload in the buffer. */
                    if (big_used + want > FUZZ_BUFFER_SIZE) {
                        run->error = true;
                    }
                    break;
                }
                memcpy(big + big_used, buffer + parser.cursor, want);
                argv.items[argv.count++] = (struct slice){ .ptr = big + big_used, .size = want };
                big_used += want;
                parser.cursor += want;
                resp_parser_big_arg_done(&parser);
                continue;
            }
            if (status == RESP_COMMAND) {
                for (uint32_t index = 0; index < argv.count; index++) {
                    struct slice arg = argv.items[index];
                    bool in_buffer = arg.ptr >= buffer && arg.ptr + arg.size <= buffer + end;
                    bool in_big = arg.ptr >= big && arg.ptr + arg.size <= big + big_used;
                    if (!in_buffer && !in_big) {
                        abort();
                    }
                    run->digest = fuzz_mix(run->digest, arg.ptr, arg.size);
                }
                run->commands++;
                big_used = 0;
            }
            if (status == RESP_COMMAND || status == RESP_EMPTY) {
                resp_parser_next_command(&parser, &argv);
                argv.capacity = 4;
            }
            if (run->commands >= FUZZ_COMMANDS_MAX) {
                return;
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) {
        return 0;
    }
    uint32_t fragment = (uint32_t)(data[0] % 64) + 1;
    struct fuzz_run whole = { .digest = 14695981039346656037ull };
    struct fuzz_run pieces = { .digest = 14695981039346656037ull };
    fuzz_parse(data + 1, size - 1, (uint32_t)size, &whole);
    fuzz_parse(data + 1, size - 1, fragment, &pieces);
    /* Fragmentation must not change what is parsed before any error. */
    if (!whole.error && !pieces.error &&
        (whole.commands != pieces.commands || whole.digest != pieces.digest)) {
        abort();
    }
    return 0;
}
