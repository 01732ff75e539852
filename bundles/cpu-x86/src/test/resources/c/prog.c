/* Compiler-generated code for the x86 interpreter: the same program runs natively (output via
 * write(2)) and in the interpreter (output via port 0xE9); the outputs must be identical. */
#ifdef NATIVE
#include <unistd.h>
static void out(char c) { write(1, &c, 1); }
#else
static void out(char c) { __asm__ volatile("outb %0, $0xe9" : : "a"(c)); }
void *memcpy(void *d, const void *s, unsigned n) { char *dd = d; const char *ss = s; while (n--) *dd++ = *ss++; return d; }
void *memset(void *d, int c, unsigned n) { char *dd = d; while (n--) *dd++ = (char) c; return d; }
#endif

static void puts_(const char *s) { while (*s) out(*s++); }
static void hex(unsigned long long v) {
    for (int i = 60; i >= 0; i -= 4) out("0123456789abcdef"[(v >> i) & 15]);
    out(' ');
}
static void dec(long long v) {
    char b[24]; int n = 0;
    unsigned long long u = v < 0 ? -(unsigned long long) v : (unsigned long long) v;
    do { b[n++] = '0' + u % 10; u /= 10; } while (u);
    if (v < 0) out('-');
    while (n) out(b[--n]);
    out(' ');
}

static unsigned seed = 12345;
static unsigned rnd(void) { seed = seed * 1103515245u + 12345u; return seed ^ (seed >> 16); }

static unsigned crc32(const unsigned char *p, int n) {
    unsigned c = 0xffffffffu;
    while (n--) { c ^= *p++; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1)); }
    return ~c;
}

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

typedef long long (*binop)(long long, long long);
static long long add(long long a, long long b) { return a + b; }
static long long mul(long long a, long long b) { return a * b; }
static long long divi(long long a, long long b) { return b ? a / b : 0; }
static long long mod(long long a, long long b) { return b ? a % b : 0; }
static long long shl(long long a, long long b) { return a << (b & 63); }
static long long sar(long long a, long long b) { return a >> (b & 63); }
static const binop ops[] = {add, mul, divi, mod, shl, sar};

static int classify(int x) {
    switch (x & 15) {
        case 0: return 3; case 1: return 7; case 2: return -1; case 3: return 12; case 4: return 5;
        case 5: return 99; case 6: return 0; case 7: return 42; case 8: return -8; default: return x % 7;
    }
}

static unsigned char buf[4096];
static int arr[300];
static char sieve[5000];

int main(void) {
    for (int i = 0; i < 4096; i++) buf[i] = (unsigned char) rnd();
    hex(crc32(buf, 4096));
    for (int i = 0; i < 300; i++) arr[i] = (int) rnd() - 0x40000000;
    for (int i = 1; i < 300; i++) { int v = arr[i], j = i - 1; while (j >= 0 && arr[j] > v) { arr[j + 1] = arr[j]; j--; } arr[j + 1] = v; }
    long long sum = 0;
    for (int i = 0; i < 300; i++) sum += (long long) arr[i] * (i + 1);
    dec(sum);
    dec(fib(20));
    for (int i = 0; i < 60; i++) {
        long long a = ((long long) rnd() << 32) | rnd(), b = (long long) (int) rnd() >> (rnd() & 31);
        hex(ops[i % 6](a, b));
    }
    for (int i = 0; i < 40; i++) {
        unsigned x = rnd();
        dec(__builtin_popcount(x)); dec(x ? __builtin_clz(x) : 32); dec(x ? __builtin_ctz(x) : 32);
        dec(classify((int) x)); dec((int) x / -7); dec((int) x % -7);
        unsigned long long q = ((unsigned long long) x << 20) / (x | 1);
        hex(q);
    }
    int primes = 0;
    for (int i = 2; i < 5000; i++) if (!sieve[i]) { primes++; for (int j = i * 2; j < 5000; j += i) sieve[j] = 1; }
    dec(primes);
    struct { int a; short b; char c[10]; } s1 = {1, 2, "abcdefghi"}, s2;
    s2 = s1; s2.c[3] = 'X';
    puts_(s2.c); out('\n');
    return 0;
}

#ifndef NATIVE
void _start(void) {
    main();
    __asm__ volatile("cli; hlt");
}
#endif
