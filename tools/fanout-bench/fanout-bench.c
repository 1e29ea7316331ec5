// fanout-bench: pub/sub fan-out throughput and latency of a Redis-protocol server.
//
// One publisher and N subscribers of one channel, all on loopback, driven by one epoll loop.
// The publisher sends PUBLISH in pipelined batches, but only while the slowest subscriber is
// less than --window messages behind, so the server's output buffers stay bounded and what is
// measured is delivery, not buffering. Every payload starts with its send time (CLOCK_MONOTONIC,
// ns); each received copy yields one latency sample.
//
// Usage: fanout-bench --port P [--subscribers N] [--seconds S] [--payload BYTES] [--batch B]
//                     [--window W] [--host 127.0.0.1]
// Prints one JSON line: subscribers, published, delivered, seconds, delivered_per_sec,
// p50_us, p99_us, max_us.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 200000  // 1 us buckets up to 200 ms; slower samples go to the last bucket
static uint64_t hist[HIST_US + 1];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

static int connect_to(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                fd_set w;
                FD_ZERO(&w);
                FD_SET(fd, &w);
                select(fd + 1, NULL, &w, NULL, NULL);
                continue;
            }
            die("write");
        }
        buf += n;
        len -= n;
    }
}

// Reads one line "...\r\n" in blocking mode (used only during set-up).
static void read_exact_reply(int fd, const char *expect_prefix) {
    char buf[4096];
    size_t got = 0;
    // A subscribe confirmation is *3 $9 subscribe $<n> <chan> :<count>: read until the count line.
    int lines = 0;
    while (lines < 6) {
        ssize_t n = read(fd, buf + got, 1);
        if (n <= 0) die("read during set-up");
        if (buf[got] == '\n') lines++;
        got++;
        if (got >= sizeof buf) break;
    }
    if (strncmp(buf, expect_prefix, strlen(expect_prefix)) != 0) {
        fprintf(stderr, "unexpected set-up reply: %.*s\n", (int)got, buf);
        exit(2);
    }
}

typedef struct {
    int fd;
    uint64_t received;
    size_t fill;  // bytes of the current partial message
    char *partial;
} subscriber;

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, nsubs = 1, payload = 64, batch = 50, window = 2000;
    double seconds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--subscribers")) nsubs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--payload")) payload = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--window")) window = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (port <= 0 || payload < 20 || nsubs < 1 || batch < 1) {
        fprintf(stderr, "usage: fanout-bench --port P [--subscribers N] [--seconds S] [--payload B>=20]\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)nsubs + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const char *channel = "fanout-bench";
    // The exact bytes of one delivered message, so a stream can be cut into messages by length.
    char header[128];
    int header_len = snprintf(header, sizeof header, "*3\r\n$7\r\nmessage\r\n$%zu\r\n%s\r\n$%d\r\n",
                              strlen(channel), channel, payload);
    size_t msg_len = header_len + payload + 2;

    subscriber *subs = calloc(nsubs, sizeof *subs);
    int ep = epoll_create1(0);
    for (int i = 0; i < nsubs; i++) {
        subs[i].fd = connect_to(host, port);
        subs[i].partial = malloc(msg_len);
        char cmd[128];
        int n = snprintf(cmd, sizeof cmd, "*2\r\n$9\r\nsubscribe\r\n$%zu\r\n%s\r\n", strlen(channel), channel);
        write_all(subs[i].fd, cmd, n);
        read_exact_reply(subs[i].fd, "*3\r\n$9\r\nsubscribe\r\n");
        fcntl(subs[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
    }
    int pub = connect_to(host, port);
    fcntl(pub, F_SETFL, O_NONBLOCK);
    struct epoll_event pev = {.events = EPOLLIN, .data.u32 = (uint32_t)nsubs};
    epoll_ctl(ep, EPOLL_CTL_ADD, pub, &pev);

    char pubhdr[128];
    int pubhdr_len = snprintf(pubhdr, sizeof pubhdr, "*3\r\n$7\r\npublish\r\n$%zu\r\n%s\r\n$%d\r\n",
                              strlen(channel), channel, payload);
    size_t one_cmd = pubhdr_len + payload + 2;
    char *out = malloc(one_cmd * batch);
    char *body = malloc(payload);
    memset(body, 'x', payload);

    uint64_t published = 0, replies = 0, delivered = 0, wrong_count = 0;
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    int batch_outstanding = 0;
    char rbuf[1 << 16];
    size_t reply_partial = 0;
    struct epoll_event events[256];
    int sending = 1;
    uint64_t last_progress = now_ns();
    for (;;) {
        uint64_t t = now_ns();
        if (t >= end) sending = 0;
        if (sending && batch_outstanding == 0) {
            uint64_t slowest = UINT64_MAX;
            for (int i = 0; i < nsubs; i++)
                if (subs[i].received < slowest) slowest = subs[i].received;
            if (published - slowest + batch <= (uint64_t)window) {
                char *p = out;
                for (int b = 0; b < batch; b++) {
                    memcpy(p, pubhdr, pubhdr_len);
                    p += pubhdr_len;
                    uint64_t ts = now_ns();
                    snprintf(body, 21, "%020llu", (unsigned long long)ts);
                    body[20] = 'x';
                    memcpy(p, body, payload);
                    p += payload;
                    *p++ = '\r';
                    *p++ = '\n';
                }
                write_all(pub, out, p - out);
                published += batch;
                batch_outstanding = batch;
            }
        }
        if (!sending && batch_outstanding == 0) {
            int done = 1;
            for (int i = 0; i < nsubs; i++)
                if (subs[i].received < published) done = 0;
            if (done) break;
            if (t - last_progress > 5000000000ull) {
                fprintf(stderr, "deliveries stalled; stopping\n");
                break;
            }
        }
        int n = epoll_wait(ep, events, 256, 10);
        for (int e = 0; e < n; e++) {
            uint32_t id = events[e].data.u32;
            if (id == (uint32_t)nsubs) {
                for (;;) {
                    ssize_t r = read(pub, rbuf, sizeof rbuf);
                    if (r <= 0) break;
                    for (ssize_t k = 0; k < r; k++) {
                        if (rbuf[k] == '\n') {
                            replies++;
                            batch_outstanding--;
                        }
                    }
                }
                (void)reply_partial;
                continue;
            }
            subscriber *s = &subs[id];
            for (;;) {
                ssize_t r = read(s->fd, rbuf, sizeof rbuf);
                if (r == 0) {
                    fprintf(stderr, "subscriber %u disconnected\n", id);
                    exit(3);
                }
                if (r < 0) break;
                uint64_t arrived = now_ns();
                last_progress = arrived;
                ssize_t k = 0;
                while (k < r) {
                    size_t take = msg_len - s->fill;
                    if ((size_t)(r - k) < take) take = r - k;
                    memcpy(s->partial + s->fill, rbuf + k, take);
                    s->fill += take;
                    k += take;
                    if (s->fill == msg_len) {
                        s->fill = 0;
                        s->received++;
                        delivered++;
                        if (memcmp(s->partial, header, header_len) != 0) wrong_count++;
                        uint64_t sent = strtoull(s->partial + header_len, NULL, 10);
                        uint64_t us = arrived > sent ? (arrived - sent) / 1000 : 0;
                        hist[us > HIST_US ? HIST_US : us]++;
                    }
                }
            }
        }
    }
    double elapsed = (now_ns() - start) / 1e9;
    uint64_t p50 = 0, p99 = 0, maxv = 0, seen = 0;
    int have50 = 0, have99 = 0;
    for (uint64_t us = 0; us <= HIST_US; us++) {
        if (!hist[us]) continue;
        seen += hist[us];
        maxv = us;
        if (!have50 && seen * 2 >= delivered) { p50 = us; have50 = 1; }
        if (!have99 && seen * 100 >= delivered * 99) { p99 = us; have99 = 1; }
    }
    printf("{\"subscribers\": %d, \"published\": %llu, \"delivered\": %llu, \"malformed\": %llu, "
           "\"seconds\": %.3f, \"delivered_per_sec\": %.0f, \"p50_us\": %llu, \"p99_us\": %llu, \"max_us\": %llu}\n",
           nsubs, (unsigned long long)published, (unsigned long long)delivered, (unsigned long long)wrong_count,
           elapsed, delivered / elapsed, (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)maxv);
    return wrong_count ? 1 : 0;
}
