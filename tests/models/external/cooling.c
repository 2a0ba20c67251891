/* Newton cooling, dT/dt = (T_env - T) / tau, by forward Euler, with every result rounded to
 * M stored significand bits (nearest, ties to even, or stochastic) by the program's own
 * rounding; writes a NetCDF-3 classic file by hand. The external model of lowprec's tests.
 *   cooling SBITS nearest|stochastic SEED OUTPUT */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bits, stochastic;
static uint64_t rng_state;

static uint64_t splitmix64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(void) { return (splitmix64() >> 11) * 0x1.0p-53; }

static double rnd(double x) {
    if (bits >= 52 || x == 0.0 || !isfinite(x)) return x;
    int e;
    double f = frexp(x, &e);                  /* x = f 2^e, 1/2 <= |f| < 1 */
    double y = ldexp(f, bits + 1), r;         /* M + 1 significant bits above the point */
    if (stochastic) { double down = floor(y); r = down + (uniform() < y - down); }
    else r = nearbyint(y);                    /* ties to even in the default mode */
    return ldexp(r, e - bits - 1);
}

/* NetCDF-3 classic, big-endian. */
static unsigned char buffer[1 << 16];
static size_t used;
static void put32(uint32_t v) { for (int i = 3; i >= 0; i--) buffer[used++] = (v >> (8 * i)) & 255; }
static void put_name(const char *s) {
    size_t n = strlen(s);
    put32((uint32_t)n); memcpy(buffer + used, s, n); used += n;
    while (used % 4) buffer[used++] = 0;
}
static void put_text_attribute(const char *name, const char *value) {
    put_name(name); put32(2); put_name(value);  /* NC_CHAR: nelems then padded chars */
}
static void put_double(double d) { uint64_t v; memcpy(&v, &d, 8); put32(v >> 32); put32(v & 0xffffffffu); }

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: cooling SBITS nearest|stochastic SEED OUTPUT\n"); return 2; }
    bits = atoi(argv[1]);
    stochastic = strcmp(argv[2], "stochastic") == 0;
    rng_state = strtoull(argv[3], NULL, 10);
    enum { OUTPUTS = 60, STEPS_PER_OUTPUT = 10 };
    double dt = rnd(0.1), tau = 20.0, environment = 300.0;   /* days, days, K */
    double factor = rnd(dt / tau), t = 280.0 + 0.5 * (uniform() - 0.5), time[OUTPUTS], temp[OUTPUTS];
    for (int k = 0; k < OUTPUTS; k++) {
        for (int s = 0; s < STEPS_PER_OUTPUT; s++) t = rnd(t + rnd(factor * rnd(environment - t)));
        time[k] = (k + 1) * STEPS_PER_OUTPUT * 0.1; temp[k] = t;
    }
    put32(0x43444601); put32(0);                          /* "CDF" 1, no records */
    put32(0x0A); put32(1); put_name("time"); put32(OUTPUTS);
    put32(0); put32(0);                                   /* no global attributes */
    put32(0x0B); put32(2);
    size_t begins[2];
    const char *names[2] = {"time", "temperature"};
    for (int v = 0; v < 2; v++) {
        put_name(names[v]); put32(1); put32(0);
        put32(0x0C);
        if (v == 0) { put32(3); put_text_attribute("units", "days since 2000-01-01 00:00:00");
                      put_text_attribute("calendar", "365_day"); put_text_attribute("standard_name", "time"); }
        else { put32(2); put_text_attribute("units", "K"); put_text_attribute("long_name", "temperature of the cooling body"); }
        put32(6); put32(OUTPUTS * 8); begins[v] = used; put32(0);
    }
    size_t header = used;
    for (int v = 0; v < 2; v++) {                          /* fill in each variable's offset */
        size_t keep = used; used = begins[v]; put32((uint32_t)(header + v * OUTPUTS * 8)); used = keep;
    }
    for (int k = 0; k < OUTPUTS; k++) put_double(time[k]);
    for (int k = 0; k < OUTPUTS; k++) put_double(temp[k]);
    FILE *out = fopen(argv[4], "wb");
    if (!out || fwrite(buffer, 1, used, out) != used || fclose(out)) { perror(argv[4]); return 1; }
    return 0;
}
