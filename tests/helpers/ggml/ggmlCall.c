/*
 * Test helper: calls one function of node-llama-cpp's own prebuilt ggml libraries on bytes read
 * from stdin and writes the result to stdout, so tests can compare our TypeScript codecs with the
 * code llama.cpp really runs. The CPU library is the variant ggml itself would pick on this
 * machine (highest ggml_backend_score), as node-llama-cpp's loader does.
 *
 * usage: ggmlCall BINS_DIR base|cpu deq|quant|dot FUNCTION N OUT_BYTES [X_BYTES]
 *   deq:   FUNCTION(const void *x, float *y, int64_t n)           stdin: blocks,  stdout: n floats
 *   quant: FUNCTION(const float *x, void *y, int64_t n)           stdin: n floats, stdout: OUT_BYTES
 *   dot:   FUNCTION(int n, float *s, size_t, const void *x, size_t, const void *y, size_t, int)
 *          stdin: X_BYTES of x then the y bytes,                   stdout: one float
 *   variant: prints the chosen CPU library's file name
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*deq_fn)(const void *, float *, int64_t);
typedef void (*quant_fn)(const float *, void *, int64_t);
typedef void (*dot_fn)(int, float *, size_t, const void *, size_t, const void *, size_t, int);
typedef int (*score_fn)(void);
typedef void (*init_fn)(void);

static void *open_lib(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "dlopen %s: %s\n", path, dlerror()); exit(2); }
    return h;
}

/* The libggml-cpu-*.so variant with the highest score on this CPU. */
static void *open_best_cpu(const char *dir, char *chosen, size_t chosen_len) {
    DIR *d = opendir(dir);
    if (!d) { perror(dir); exit(2); }
    struct dirent *e;
    int best_score = 0;
    void *best = NULL;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "libggml-cpu", 11) != 0 || !strstr(e->d_name, ".so")) continue;
        void *h = open_lib(dir, e->d_name);
        score_fn score = (score_fn) dlsym(h, "ggml_backend_score");
        int s = score ? score() : 0;
        if (s > best_score) { best_score = s; best = h; snprintf(chosen, chosen_len, "%s", e->d_name); }
    }
    closedir(d);
    if (!best) { fprintf(stderr, "no usable libggml-cpu variant in %s\n", dir); exit(2); }
    init_fn init = (init_fn) dlsym(best, "ggml_cpu_init");
    if (init) init();
    return best;
}

static unsigned char *read_all(size_t *len) {
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) { cap *= 2; buf = realloc(buf, cap); }
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: ggmlCall BINS_DIR base|cpu deq|quant|dot|variant FUNCTION N OUT_BYTES [X_BYTES]\n"); return 2; }
    const char *dir = argv[1];
    char chosen[256] = "libggml-base.so";
    void *lib = strcmp(argv[2], "cpu") == 0 ? open_best_cpu(dir, chosen, sizeof chosen) : open_lib(dir, "libggml-base.so");
    if (strcmp(argv[3], "variant") == 0) { printf("%s\n", chosen); return 0; }
    if (argc < 7) { fprintf(stderr, "missing arguments\n"); return 2; }
    void *fn = dlsym(lib, argv[4]);
    if (!fn) { fprintf(stderr, "%s has no %s\n", chosen, argv[4]); return 2; }
    const int64_t n = atoll(argv[5]);
    const size_t out_bytes = (size_t) atoll(argv[6]);
    size_t in_len;
    unsigned char *in = read_all(&in_len);
    if (strcmp(argv[3], "deq") == 0) {
        float *out = calloc((size_t) n, sizeof(float));
        ((deq_fn) fn)(in, out, n);
        fwrite(out, sizeof(float), (size_t) n, stdout);
    } else if (strcmp(argv[3], "quant") == 0) {
        if (in_len != (size_t) n * sizeof(float)) { fprintf(stderr, "expected %lld floats\n", (long long) n); return 2; }
        /* aligned copy: the SIMD paths use unaligned loads, but keep it tidy */
        float *x = aligned_alloc(64, ((size_t) n * sizeof(float) + 63) / 64 * 64);
        memcpy(x, in, in_len);
        unsigned char *out = calloc(out_bytes, 1);
        ((quant_fn) fn)(x, out, n);
        fwrite(out, 1, out_bytes, stdout);
    } else if (strcmp(argv[3], "dot") == 0) {
        if (argc < 8) { fprintf(stderr, "dot needs X_BYTES\n"); return 2; }
        const size_t x_bytes = (size_t) atoll(argv[7]);
        float s = 0;
        ((dot_fn) fn)((int) n, &s, 0, in, 0, in + x_bytes, 0, 1);
        fwrite(&s, sizeof s, 1, stdout);
    } else {
        fprintf(stderr, "unknown operation %s\n", argv[3]);
        return 2;
    }
    return 0;
}
