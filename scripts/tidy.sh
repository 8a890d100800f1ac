#!/usr/bin/env bash
# House-style checks that a compiler does not make: line length (100 columns),
# function length (70 lines), and allocator names outside src/arena.c.
# Prints each finding as file:line: message; exits 1 if there is any.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for file in src/*.c src/*.h; do
    awk -v file="$file" '
        length($0) > 100 { printf "%s:%d: line longer than 100 columns\n", file, NR; bad = 1 }
        # A function body starts with "{" alone at the end of a top-level signature line.
        /^[a-z].*\) \{$/ { start = NR; name = $0 }
        /^\}$/ && start { if (NR - start - 1 > 70) {
            printf "%s:%d: function longer than 70 lines (%d)\n", file, start, NR - start - 1
            bad = 1 }
            start = 0 }
        END { exit bad }' "$file" || status=1
done
if grep -nE '\b(malloc|calloc|realloc|strdup|strndup|free|sbrk|posix_memalign|aligned_alloc)\s*\(' \
        src/*.c src/*.h | grep -vE '^src/arena\.c:' | grep -vE ':\s*(\*|/\*)'; then
    echo "allocator call outside src/arena.c"
    status=1
fi
exit $status
