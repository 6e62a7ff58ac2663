/* util.h: allocation that aborts on failure, growable strings, time, ids. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable, always NUL-terminated string (git's strbuf). `buf` is never NULL once
 * initialised (SBUF_INIT or sbuf_init): until the first byte is added, and again after
 * sbuf_release/sbuf_detach, it points at sbuf_slopbuf, a shared empty string that is never
 * written to (cap == 0 means the buffer is not the sbuf's own). A zeroed struct sbuf works
 * too: its first add allocates. */
struct sbuf {
	char *buf;
	size_t len, cap;
};
extern char sbuf_slopbuf[1];
#define SBUF_INIT {sbuf_slopbuf, 0, 0}
void sbuf_init(struct sbuf *sb);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t n);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
const char *sbuf_str(struct sbuf *sb); /* never NULL */
char *sbuf_detach(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);

/* Current time as seconds since the epoch, and ISO 8601 UTC ("2024-12-11T10:30:00Z"). */
int64_t now_s(void);
int64_t now_ms(void);
void iso8601(int64_t t, char out[32]);
char *iso8601_now(void);

/* Random UUID v4 (36 chars + NUL), random lowercase alphanumerics, random hex. */
void uuid4(char out[37]);
void random_alnum(char *out, size_t n); /* writes n chars and a NUL */
void random_hex(char *out, size_t nbytes); /* writes 2*nbytes hex chars and a NUL */

bool str_eq(const char *a, const char *b); /* NULL-safe */
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
/* Writes all n bytes to fd (retrying short writes and EINTR). 0, or -1 with errno. */
int write_all(int fd, const void *buf, size_t n);
/* Constant-time comparison of two NUL-terminated strings. */
bool str_ct_eq(const char *a, const char *b);

/* Read a whole file into memory (NUL-terminated); NULL with errno on failure. */
char *read_file(const char *path, size_t *len);
/* Write atomically (tmp + rename) with the given mode. 0 or -1. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
