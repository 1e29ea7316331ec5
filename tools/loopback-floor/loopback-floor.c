// loopback-floor: what the kernel alone costs for a broadcast's shape on this machine.
//
// Opens --connections connected TCP pairs on 127.0.0.1. A writer process (pinned to --writer-cpu)
// sends --rate bursts a second for --seconds: each burst writes one --size byte frame to every
// connection, one write(2) each, and every frame carries the burst's start time. A reader process
// (pinned to --reader-cpu) waits in epoll_wait, reads each ready socket once per event (as
// hub-bench does: one read per socket per wake-up) and takes every frame's latency (read time -
// burst start). Nothing else happens in either process: no framing, no parsing, no allocation.
// After the last burst the writer closes its ends, and the reader reads every connection to its
// end, so frames that should not be there are counted too.
//
// It prints one JSON object: the writer's and the reader's user + system CPU per frame (µs), the
// frames written, the whole frames read and the bytes left over in incomplete ones, how long the
// writer took (s), and the latency's p50/p99/p999 (µs, nearest rank). tools/bench-hub-ab runs it
// (its `floor` variant); the numbers are the floor under a hub node's CPU per delivery and
// hub-bench's CPU per message in tools/bench-hub's broadcast at a fixed rate.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        exit(1);
    }
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void *allocate(size_t bytes) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// The nearest-rank percentile (per thousand) of `count` sorted values.
static uint64_t percentile(const uint64_t *sorted, uint64_t count, unsigned per_thousand) {
    uint64_t rank = (count * per_thousand + 999) / 1000;
    return sorted[rank > 0 ? rank - 1 : 0];
}

// What the reader sends back to the parent through a pipe.
struct reader_result {
    double cpu_seconds;
    uint64_t frames, leftover_bytes;
    uint64_t p50, p99, p999;
};

static void write_all(int fd, const void *bytes, size_t length) {
    const char *p = bytes;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            perror("write");
            exit(1);
        }
        p += n;
        length -= (size_t)n;
    }
}

static void reader(int *sockets, int connections, uint64_t expected, int size, int out) {
    int ep = epoll_create1(0);
    // Per socket: the bytes of a frame that came in more than one read.
    int *have = allocate((size_t)connections * sizeof(int));
    char *partial = allocate((size_t)connections * (size_t)size);
    for (int i = 0; i < connections; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, sockets[i], &e) != 0) {
            perror("epoll_ctl");
            exit(1);
        }
    }
    uint64_t *latency = allocate(expected * sizeof(uint64_t));
    uint64_t frames = 0, leftover = 0;
    char buffer[65536];
    struct epoll_event events[256];
    double cpu_before = cpu_seconds();
    int open = connections;
    while (open > 0) {
        int ready = epoll_wait(ep, events, 256, 2000);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            fprintf(stderr, "reader: %s after %llu of %llu frames\n", ready == 0 ? "nothing for 2 s" : strerror(errno),
                    (unsigned long long)frames, (unsigned long long)expected);
            exit(1);
        }
        for (int j = 0; j < ready; j++) {
            int i = (int)events[j].data.u32;
            ssize_t n = read(sockets[i], buffer, sizeof buffer);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (n < 0) {
                perror("reader: read");
                exit(1);
            }
            if (n == 0) {  // the writer closed its end after its last burst
                leftover += (uint64_t)have[i];
                close(sockets[i]);  // which also takes it out of the epoll set
                open -= 1;
                continue;
            }
            uint64_t at = now_ns();
            for (ssize_t k = 0; k < n; k++) {
                partial[(size_t)i * (size_t)size + (size_t)have[i]] = buffer[k];
                if (++have[i] == size) {
                    uint64_t sent;
                    memcpy(&sent, partial + (size_t)i * (size_t)size, sizeof sent);
                    if (frames < expected) latency[frames] = at - sent;
                    frames += 1;
                    have[i] = 0;
                }
            }
        }
    }
    struct reader_result result = {
        .cpu_seconds = cpu_seconds() - cpu_before, .frames = frames, .leftover_bytes = leftover};
    uint64_t samples = frames < expected ? frames : expected;
    if (samples > 0) {
        qsort(latency, samples, sizeof(uint64_t), compare);
        result.p50 = percentile(latency, samples, 500) / 1000;
        result.p99 = percentile(latency, samples, 990) / 1000;
        result.p999 = percentile(latency, samples, 999) / 1000;
    }
    write_all(out, &result, sizeof result);
}

int main(int argc, char **argv) {
    int connections = 1000, rate = 100, size = 120, writer_cpu = -1, reader_cpu = -1;
    double seconds = 5;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 == argc) {
            fprintf(stderr, "option %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--connections")) connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--writer-cpu")) writer_cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reader-cpu")) reader_cpu = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    uint64_t bursts = (uint64_t)(seconds * rate + 0.5);
    if (connections < 1 || rate < 1 || seconds <= 0 || bursts < 1 || size < 8) {
        fprintf(stderr, "usage: loopback-floor [--connections 1000] [--rate 100] [--seconds 5] [--size 120] "
                        "[--writer-cpu N] [--reader-cpu N]  (size at least 8, at least one burst)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);  // a reader that failed ends the writer's writes with EPIPE instead
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("listen");
        return 1;
    }
    int *clients = allocate((size_t)connections * sizeof(int)), *servers = allocate((size_t)connections * sizeof(int));
    for (int i = 0; i < connections; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (clients[i] < 0 || connect(clients[i], (struct sockaddr *)&address, sizeof address) != 0 ||
            (servers[i] = accept(listener, NULL, NULL)) < 0) {
            perror("connect/accept (raise the open-file limit for many connections)");
            return 1;
        }
        int one = 1;
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    close(listener);
    uint64_t expected = bursts * (uint64_t)connections;
    int result_pipe[2];
    if (pipe(result_pipe) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        // Never outlive the writer (a killed run must not leave a reader behind on its core).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) _exit(1);
        pin(reader_cpu);
        close(result_pipe[0]);
        for (int i = 0; i < connections; i++) close(servers[i]);
        reader(clients, connections, expected, size, result_pipe[1]);
        _exit(0);
    }
    pin(writer_cpu);
    close(result_pipe[1]);  // so a reader that fails ends the read below instead of leaving it waiting
    for (int i = 0; i < connections; i++) close(clients[i]);
    char *frame = allocate((size_t)size);
    memset(frame, 'x', (size_t)size);
    uint64_t interval = 1000000000u / (uint64_t)rate, tick = now_ns() + interval;
    double cpu_before = cpu_seconds();
    uint64_t first = now_ns();
    for (uint64_t b = 0; b < bursts; b++) {
        uint64_t start = now_ns();
        memcpy(frame, &start, sizeof start);
        for (int i = 0; i < connections; i++) write_all(servers[i], frame, (size_t)size);
        uint64_t now = now_ns();
        if (tick > now) {
            struct timespec wait = {.tv_sec = (time_t)((tick - now) / 1000000000u),
                                    .tv_nsec = (long)((tick - now) % 1000000000u)};
            nanosleep(&wait, NULL);
        }
        tick += interval;
    }
    double writer_cpu_seconds = cpu_seconds() - cpu_before;
    // From the first burst to the last burst's pause: the nominal --seconds unless the bursts took
    // longer than their interval.
    double writer_seconds = (double)(now_ns() - first) / 1e9;
    for (int i = 0; i < connections; i++) close(servers[i]);  // the reader reads each to its end
    struct reader_result result;
    ssize_t got = read(result_pipe[0], &result, sizeof result);
    int status;
    waitpid(child, &status, 0);
    if (got != (ssize_t)sizeof result) {
        fprintf(stderr, "the reader gave no result\n");
        return 1;
    }
    printf("{\"connections\": %d, \"rate\": %d, \"size\": %d, \"framesWritten\": %llu, \"framesRead\": %llu, "
           "\"leftoverBytes\": %llu, \"writerSeconds\": %.3f, \"writerMicrosecondsPerFrame\": %.3f, "
           "\"readerMicrosecondsPerFrame\": %.3f, \"latencyMicroseconds\": {\"p50\": %llu, \"p99\": %llu, "
           "\"p999\": %llu}}\n",
           connections, rate, size, (unsigned long long)expected, (unsigned long long)result.frames,
           (unsigned long long)result.leftover_bytes, writer_seconds,
           writer_cpu_seconds / (double)expected * 1e6, result.cpu_seconds / (double)expected * 1e6,
           (unsigned long long)result.p50, (unsigned long long)result.p99, (unsigned long long)result.p999);
    return 0;
}
