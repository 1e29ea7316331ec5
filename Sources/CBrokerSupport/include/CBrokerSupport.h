#ifndef CBROKERSUPPORT_H
#define CBROKERSUPPORT_H
#include <stddef.h>
#include <spawn.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/// The CPUs this process may run on: its affinity mask (taskset, cpusets) on Linux, else the
/// processors online. At least 1.
int switchboard_allowed_cpus(void);

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

/// The broker's own socket layer (Linux epoll; elsewhere every call fails with ENOSYS).
/// Readiness bits, as epoll's.
enum {
    SWITCHBOARD_POLL_IN = 0x001,
    SWITCHBOARD_POLL_OUT = 0x004,
    SWITCHBOARD_POLL_ERR = 0x008,
    SWITCHBOARD_POLL_HUP = 0x010,
};

/// A close-on-exec epoll descriptor, or -1 with errno set.
int switchboard_poll_create(void);

/// Adds (`op` 0), changes (1) or removes (2) `fd`'s interest in `events`, level-triggered. 0 or -1.
int switchboard_poll_control(int poller, int op, int fd, uint32_t events);

/// Waits up to `timeout_ms` (-1: forever) for at most `max` (at most 512) ready descriptors;
/// writes each one's descriptor and readiness bits and returns how many, or -1 with errno set.
int switchboard_poll_wait(int poller, int32_t *fds, uint32_t *events, int max, int timeout_ms);

/// A non-blocking, close-on-exec eventfd, or -1.
int switchboard_wake_create(void);

/// A non-blocking, close-on-exec TCP socket for `family` (AF_INET or AF_INET6) with SO_REUSEADDR
/// (and IPV6_V6ONLY for AF_INET6, as Redis sets), or -1 with errno set.
int switchboard_listen_socket(int family);

/// Accepts one connection as a non-blocking, close-on-exec descriptor with TCP_NODELAY, and
/// SO_KEEPALIVE when `keepalive` is nonzero; writes its peer's address. The descriptor or -1.
int switchboard_accept(int listener, void *address, uint32_t *address_length, int keepalive);

/// send(2) with MSG_NOSIGNAL: a peer that went away gives EPIPE, not SIGPIPE.
long switchboard_send(int fd, const void *bytes, size_t count);

#endif
