/*
 * The guest side of scripts/bench/fastpath-guest-bench.sh, built there with
 * gcc -m32 -static and appended to the test initramfs as /bin/fpguest.
 *
 *   fpguest clock N   N calls of clock_gettime(CLOCK_MONOTONIC); with clocksource=hpet each
 *                     one reads the HPET main counter (the i386 vDSO has no HPET clock, so it
 *                     is a system call that reads it in the kernel).
 *                     Prints "CLOCK calls=N ns=T per-call-ns=X".
 *   fpguest read DEV  reads DEV to its end in 64 KiB blocks (drop the page cache first).
 *                     Prints "READ bytes=B ns=T mb-per-s=X".
 *   fpguest sum DEV   reads DEV to its end and prints "SUM bytes=B sum=S", S the sum of its
 *                     little-endian 32-bit words modulo 2^32 in hex (the script compares it with
 *                     the image's): whether the data came through right.
 *
 * Times are the guest's CLOCK_MONOTONIC (on Machina guest time runs with the host's while the
 * machine runs); the script also times each command on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int clock_loop(long n) {
    struct timespec ts;
    long long sum = 0;
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sum += ts.tv_nsec & 1;
    }
    long long t = now_ns() - t0;
    printf("CLOCK calls=%ld ns=%lld per-call-ns=%.1f odd=%lld\n", n, t, (double) t / n, sum);
    return 0;
}

static int read_dev(const char *dev, int sum) {
    static unsigned int buf[16384];
    int fd = open(dev, O_RDONLY);
    if (fd < 0) {
        printf("READ error open %s: %s\n", dev, strerror(errno));
        return 1;
    }
    long long bytes = 0;
    unsigned int s = 0;
    long long t0 = now_ns();
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            printf("READ error read %s at %lld: %s\n", dev, bytes, strerror(errno));
            return 1;
        }
        if (r == 0) {
            break;
        }
        if (sum) {
            for (ssize_t i = 0; i < r / 4; i++) {
                s += buf[i];
            }
        }
        bytes += r;
    }
    long long t = now_ns() - t0;
    close(fd);
    if (sum) {
        printf("SUM bytes=%lld sum=%08x\n", bytes, s);
    } else {
        printf("READ bytes=%lld ns=%lld mb-per-s=%.3f\n", bytes, t, t > 0 ? bytes * 1e3 / t : 0.0);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "clock") == 0) {
        return clock_loop(atol(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        return read_dev(argv[2], 0);
    }
    if (argc == 3 && strcmp(argv[1], "sum") == 0) {
        return read_dev(argv[2], 1);
    }
    fprintf(stderr, "usage: fpguest clock N | fpguest read DEV | fpguest sum DEV\n");
    return 2;
}
