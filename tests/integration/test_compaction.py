"""
Fragmentation under churn: when the sizes in use change, memory must flow to
the size classes that now need it. A workload whose live data stays at most
80% of maxmemory is never refused with -OOM, whatever sizes it used before,
because items are moved out of sparse slabs (MEMORY STATS compaction.*).
"""
import random

import pytest

pytestmark = pytest.mark.keel_only  # MEMORY STATS compaction fields are keel's

MAXMEMORY = 16 * 1024 * 1024
BATCH = 500


def memory_stats(client):
    reply = client.execute_command("MEMORY", "STATS")
    return {reply[i].decode(): reply[i + 1] for i in range(0, len(reply), 2)}


def used(client):
    return client.info("memory")["used_memory"]


def write_batch(client, names, size, tag):
    """SETs every name to a value of `size` bytes tagged with the name; returns -OOM count."""
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.set(name, (tag + name + ":").ljust(size, "x")[:size])
    refused = 0
    for result in pipe.execute(raise_on_error=False):
        if isinstance(result, Exception):
            assert "OOM" in str(result), result
            refused += 1
    return refused


def delete_batch(client, names):
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.delete(name)
    pipe.execute()


def shift(client, old_names, new_prefix, new_size, limit):
    """Replaces old_names by keys of new_size, deleting first so live data stays <= limit."""
    new_names = []
    refused = 0
    old = list(old_names)
    # Random order: every old slab thins out together, none empties on its own.
    random.Random(len(old)).shuffle(old)
    serial = 0
    while old:
        delete_batch(client, old[:BATCH])
        del old[:BATCH]
        batch = []
        while used(client) + BATCH * (new_size + 40) <= limit and len(batch) < 50 * BATCH:
            names = [f"{new_prefix}:{serial + i}" for i in range(BATCH)]
            serial += BATCH
            refused += write_batch(client, names, new_size, new_prefix)
            batch.extend(names)
        new_names.extend(batch)
    assert used(client) <= limit
    return new_names, refused


def check_values(client, names, size, tag):
    for start in range(0, len(names), 5000):
        chunk = names[start:start + 5000]
        values = client.mget(chunk)
        for name, value in zip(chunk, values):
            assert value == (tag + name + ":").ljust(size, "x")[:size].encode(), name


def test_size_shifts_below_80_percent_are_never_refused(server_factory):
    server = server_factory("--maxmemory", MAXMEMORY, "--maxmemory-policy", "noeviction")
    client = server.client()
    limit = MAXMEMORY * 75 // 100
    names = []
    serial = 0
    refused = 0
    while used(client) + BATCH * 140 <= limit:
        batch = [f"a:{serial + i}" for i in range(BATCH)]
        serial += BATCH
        refused += write_batch(client, batch, 100, "a")
        names.extend(batch)
    assert refused == 0
    # Ten times larger, then twenty times smaller, twice: each shift strands the
    # previous class's slabs half-empty unless items move out of them.
    sizes = [("b", 1000), ("c", 50), ("d", 1000), ("e", 50)]
    current_size, current_tag = 100, "a"
    for tag, size in sizes:
        names, shift_refused = shift(client, names, tag, size, limit)
        stats = memory_stats(client)
        assert shift_refused == 0, (tag, shift_refused, used(client), stats)
        check_values(client, names, size, tag)
        current_size, current_tag = size, tag
    assert refused == 0
    stats = memory_stats(client)
    assert stats["compaction.objects.moved"] > 0
    assert stats["compaction.slabs.emptied"] > 0
    assert client.dbsize() == len(names)
    check_values(client, names, current_size, current_tag)
