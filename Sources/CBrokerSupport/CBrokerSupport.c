#define _GNU_SOURCE
#include "CBrokerSupport.h"
#include <stdlib.h>
#include <spawn.h> /* defines __GLIBC__ (stddef.h alone does not), so the checks below see it */
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif
#include <unistd.h>

int switchboard_tsc_is_invariant(void) {
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) return (edx >> 8) & 1;
#endif
    return 0;
}

int switchboard_allowed_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

size_t switchboard_heap_bytes_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

int switchboard_heap_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}

int switchboard_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
#else
    (void)actions;
    (void)lowest;
    return 0;
#endif
}

#if defined(__linux__)
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

int switchboard_poll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int switchboard_poll_control(int poller, int op, int fd, uint32_t events) {
    struct epoll_event event = {0};
    event.events = events;
    event.data.fd = fd;
    int operation = op == 0 ? EPOLL_CTL_ADD : op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    return epoll_ctl(poller, operation, fd, &event);
}

int switchboard_poll_wait(int poller, int32_t *fds, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event ready[512];
    if (max > 512) max = 512;
    int count = epoll_wait(poller, ready, max, timeout_ms);
    for (int i = 0; i < count; i++) {
        fds[i] = ready[i].data.fd;
        events[i] = ready[i].events;
    }
    return count;
}

int switchboard_wake_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int switchboard_listen_socket(int family) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int yes = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0 ||
        (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof yes) != 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int switchboard_accept(int listener, void *address, uint32_t *address_length, int keepalive) {
    socklen_t length = *address_length;
    int fd = accept4(listener, (struct sockaddr *)address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return -1;
    *address_length = length;
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (keepalive) setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof yes);
    return fd;
}
long switchboard_send(int fd, const void *bytes, size_t count) { return send(fd, bytes, count, MSG_NOSIGNAL); }
#else
#include <errno.h>
int switchboard_poll_create(void) { errno = ENOSYS; return -1; }
long switchboard_send(int fd, const void *bytes, size_t count) {
    (void)fd; (void)bytes; (void)count;
    errno = ENOSYS;
    return -1;
}
int switchboard_poll_control(int poller, int op, int fd, uint32_t events) {
    (void)poller; (void)op; (void)fd; (void)events;
    errno = ENOSYS;
    return -1;
}
int switchboard_poll_wait(int poller, int32_t *fds, uint32_t *events, int max, int timeout_ms) {
    (void)poller; (void)fds; (void)events; (void)max; (void)timeout_ms;
    errno = ENOSYS;
    return -1;
}
int switchboard_wake_create(void) { errno = ENOSYS; return -1; }
int switchboard_listen_socket(int family) { (void)family; errno = ENOSYS; return -1; }
int switchboard_accept(int listener, void *address, uint32_t *address_length, int keepalive) {
    (void)listener; (void)address; (void)address_length; (void)keepalive;
    errno = ENOSYS;
    return -1;
}
#endif
