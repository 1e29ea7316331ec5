#ifndef CBROKERSUPPORT_H
#define CBROKERSUPPORT_H
#include <stddef.h>
#include <spawn.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/// Bytes the C allocator has handed out and not yet taken back (glibc's mallinfo2), or 0 where
/// the platform cannot tell.
size_t switchboard_heap_bytes_in_use(void);

/// Gives free memory at the top of the heap and in free pages back to the system (glibc's
/// malloc_trim(0), `MEMORY PURGE`); returns 1 if any was released, 0 otherwise or where unsupported.
int switchboard_heap_trim(void);

/// Adds "close every descriptor from `lowest` up" to `actions` (glibc's
/// posix_spawn_file_actions_addclosefrom_np, 2.34+; nothing elsewhere). Returns 0 or an errno.
int switchboard_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// 1 if the processor has an invariant time-stamp counter (constant rate in every power state;
/// CPUID 0x80000007 EDX bit 8), so `switchboard_ticks(1)` may read it; 0 otherwise.
int switchboard_tsc_is_invariant(void);

/// A tick count for timing short work: the time-stamp counter when `tsc` is nonzero (on x86-64;
/// a few cycles, no call into the vDSO), else CLOCK_MONOTONIC nanoseconds.
static inline uint64_t switchboard_ticks(int tsc) {
#if defined(__x86_64__)
    if (tsc) return __rdtsc();
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
