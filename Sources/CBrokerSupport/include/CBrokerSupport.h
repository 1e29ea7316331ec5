#ifndef CBROKERSUPPORT_H
#define CBROKERSUPPORT_H
#include <stddef.h>
#include <spawn.h>

/// Bytes the C allocator has handed out and not yet taken back (glibc's mallinfo2), or 0 where
/// the platform cannot tell.
size_t switchboard_heap_bytes_in_use(void);

/// Gives free memory at the top of the heap and in free pages back to the system (glibc's
/// malloc_trim(0), `MEMORY PURGE`); returns 1 if any was released, 0 otherwise or where unsupported.
int switchboard_heap_trim(void);

/// Adds "close every descriptor from `lowest` up" to `actions` (glibc's
/// posix_spawn_file_actions_addclosefrom_np, 2.34+; nothing elsewhere). Returns 0 or an errno.
int switchboard_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
