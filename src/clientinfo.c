/*
 * clientinfo.c: the CLIENT LIST line (see clientinfo.h).
 *
 * Field by field, what keel reports where its client record differs from
 * Redis's:
 *   qbuf       bytes of the input buffer from the current (or next) command on;
 *   qbuf-free  the room left in the input buffer (fixed or enlarged);
 *   argv-mem   the bytes of the current command's arguments (0 between commands);
 *   rbs, rbp   0: keel has no per-client reply buffer; replies go straight
 *              into chunks of the shared output pool;
 *   obl        0 (same reason); oll is the number of output chunks the client
 *              holds and omem their bytes (OUTPUT_CHUNK_SIZE each);
 *   tot-mem    the client record, its input buffer, an enlarged argv array and
 *              omem;
 *   events     r while the connection is read, w while output is pending;
 *   redir      -1: keel has no client-side caching (CLIENT TRACKING);
 *   ssub       0: keel has no sharded pub/sub.
 * sub, psub, multi, multi-mem and resp come from the pub/sub, transaction and
 * RESP3 state in struct client (see the accessors below).
 */
#include "clientinfo.h"

#include "acl.h"
#include "blocking.h"
#include "commands.h"
#include "multi.h"
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* ==== State owned by other features ==== */

/* Channels subscribed to (sub=). */
static uint32_t info_channel_count(const struct client *client) {
    ASSERT(client != NULL);
    return client->pubsub.channel_count;
}

/* Patterns subscribed to (psub=). */
static uint32_t info_pattern_count(const struct client *client) {
    ASSERT(client != NULL);
    return client->pubsub.pattern_count;
}

/* Commands queued in MULTI (multi=), -1 outside a transaction. */
static int64_t info_multi_count(const struct client *client) {
    ASSERT(client != NULL);
    return (client->multi_flags & MULTI_ACTIVE) != 0 ? (int64_t)client->multi_count : -1;
}

/* Bytes of the queued commands (multi-mem=). */
static uint64_t info_multi_size(const struct client *client) {
    ASSERT(client != NULL);
    return client->multi_size;
}

/* Blocked by a blocking command, or holding a command during CLIENT PAUSE (flag b). */
static bool info_blocked(const struct client *client) {
    ASSERT(client != NULL);
    if (client->postponed) {
        return true;
    }
    /* A client record outside the server's table (unit tests) is never blocked. */
    return blocking_global.clients != NULL &&
           client->slot_index < blocking_global.client_capacity &&
           blocking_client_blocked(&blocking_global, client->slot_index);
}

/* ==== Pieces ==== */

void clientinfo_local_address(int fd, char *buffer, uint32_t size) {
    ASSERT(size >= INET6_ADDRSTRLEN + 8);
    buffer[0] = 0;
    struct sockaddr_storage address;
    socklen_t address_size = sizeof(address);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&address, &address_size) != 0) {
        return;
    }
    char host[INET6_ADDRSTRLEN] = { 0 };
    if (address.ss_family == AF_INET) {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)&address;
        inet_ntop(AF_INET, &ipv4->sin_addr, host, sizeof(host));
        snprintf(buffer, size, "%s:%u", host, ntohs(ipv4->sin_port));
    } else if (address.ss_family == AF_INET6) {
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)&address;
        inet_ntop(AF_INET6, &ipv6->sin6_addr, host, sizeof(host));
        snprintf(buffer, size, "[%s]:%u", host, ntohs(ipv6->sin6_port));
    }
}

void clientinfo_flags(const struct client *client, char *buffer, uint32_t size) {
    ASSERT(size >= 16);
    uint32_t length = 0;
    if (client->monitor) {
        buffer[length++] = 'O';
    }
    if (info_channel_count(client) + info_pattern_count(client) > 0) {
        buffer[length++] = 'P';
    }
    if (info_multi_count(client) >= 0) {
        buffer[length++] = 'x';
    }
    if (info_blocked(client)) {
        buffer[length++] = 'b';
    }
    if ((client->multi_flags & MULTI_DIRTY_CAS) != 0) {
        buffer[length++] = 'd';
    }
    if (client->state == CLIENT_DRAINING) {
        buffer[length++] = 'c';
    }
    if (client->state == CLIENT_CLOSING) {
        buffer[length++] = 'A';
    }
    if (client->no_evict) {
        buffer[length++] = 'e';
    }
    if (length == 0) {
        buffer[length++] = 'N';
    }
    ASSERT(length < size);
    buffer[length] = 0;
}

/* cmd=: the command running (or held by a pause), else the last one run, else NULL. */
static void info_command_name(const struct acl *acl, const struct client *client, char *name,
                              uint32_t size) {
    ASSERT(size > 0);
    if (client->argv.count > 0) {
        const struct command *command = commands_lookup(client->argv.items[0]);
        if (command != NULL) {
            uint32_t id = acl_resolve(acl, command, client->argv.items, client->argv.count,
                                      NULL);
            acl_id_name(acl, id, name, size);
            return;
        }
    }
    if (client->last_command_index == 0) {
        snprintf(name, size, "NULL");
        return;
    }
    ASSERT(client->last_command_index <= acl->id_count);
    acl_id_name(acl, client->last_command_index - 1, name, size);
}

/* The output chunks the client holds (oll=), counted along its chain. */
static uint64_t info_output_chunks(const struct client *client) {
    uint64_t count = 0;
    if (client->output.pending_size == 0) {
        return 0;
    }
    uint32_t index = client->output.head_index;
    for (; index != OUTPUT_NONE && count < server.output_pool.chunk_count; count++) {
        index = server.output_pool.chunks[index].next_index;
    }
    ASSERT(index == OUTPUT_NONE || server.output_pool.chunk_count == 0);
    return count;
}

static uint64_t info_argv_size(const struct client *client) {
    uint64_t size = 0;
    for (uint32_t index = 0; index < client->argv.count; index++) {
        size += client->argv.items[index].size;
    }
    return size;
}

/* ==== The line ==== */

uint32_t clientinfo_format(const struct acl *acl, const struct client *client, int64_t now_ms,
                           char *buffer, uint32_t size) {
    ASSERT(client != NULL);
    ASSERT(size > 0);
    char local[INET6_ADDRSTRLEN + 16];
    clientinfo_local_address(client->fd, local, sizeof(local));
    char flags[32];
    clientinfo_flags(client, flags, sizeof(flags));
    char command[ACL_ID_NAME_SIZE_MAX];
    info_command_name(acl, client, command, sizeof(command));
    uint64_t chunks = info_output_chunks(client);
    uint64_t output_size = chunks * OUTPUT_CHUNK_SIZE;
    uint64_t argv_array_size = client->argv.items == client->argv_inline
                                   ? 0 : (uint64_t)client->argv.capacity * sizeof(struct slice);
    uint64_t total_size = sizeof(*client) + client->input_capacity + argv_array_size +
                          output_size;
    /* A held command's bytes are consumed (Redis trims the buffer of a blocked client). */
    uint32_t start = info_blocked(client) ? client->parser.cursor : client->parser.command_start;
    start = MIN(start, client->input_end);
    bool reading = client->state != CLIENT_DRAINING && client->state != CLIENT_CLOSING;
    const struct acl_user *user = acl_client_user(acl, client);
    int written = snprintf(
        buffer, size,
        "id=%llu addr=%s laddr=%s fd=%d name=%.*s age=%lld idle=%lld flags=%s db=%u sub=%u "
        "psub=%u ssub=0 multi=%lld qbuf=%u qbuf-free=%u argv-mem=%llu multi-mem=%llu rbs=0 "
        "rbp=0 obl=0 oll=%llu omem=%llu tot-mem=%llu events=%s%s cmd=%s user=%.*s redir=-1 "
        "resp=%u",
        (unsigned long long)client->id, client->address, local, client->fd,
        (int)strnlen(client->name, sizeof(client->name)), client->name,
        (long long)((now_ms - client->created_ms) / 1000),
        (long long)((now_ms - client->last_interaction_ms) / 1000), flags, client->db_index,
        info_channel_count(client), info_pattern_count(client),
        (long long)info_multi_count(client), client->input_end - start,
        client->input_capacity - client->input_end,
        (unsigned long long)info_argv_size(client),
        (unsigned long long)info_multi_size(client), (unsigned long long)chunks,
        (unsigned long long)output_size, (unsigned long long)total_size, reading ? "r" : "",
        client->output.pending_size > 0 ? "w" : "", command, (int)user->name_size, user->name,
        client->reply.protocol);
    ASSERT(written > 0);
    return (uint32_t)MIN((uint32_t)written, size - 1);
}

/*
 * INFO's client_recent_max_input_buffer and client_recent_max_output_buffer.
 * Redis keeps the peaks of the last few seconds; keel reports the largest
 * buffers held right now: an input buffer's capacity (the fixed one or an
 * enlarged one) and the bytes of the output chunks a client holds (omem=).
 */
void clientinfo_buffer_peaks(uint64_t *input_peak, uint64_t *output_peak) {
    ASSERT(input_peak != NULL);
    ASSERT(output_peak != NULL);
    *input_peak = 0;
    *output_peak = 0;
    for (uint32_t index = 0; index < server.untouched_client_index; index++) {
        const struct client *client = &server.clients[index];
        if (client->state == CLIENT_FREE) {
            continue;
        }
        *input_peak = MAX(*input_peak, (uint64_t)client->input_capacity);
        *output_peak = MAX(*output_peak, info_output_chunks(client) * OUTPUT_CHUNK_SIZE);
    }
}
