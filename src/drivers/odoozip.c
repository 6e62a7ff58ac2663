/* odoozip.c: Odoo's database-manager zip, written and read as streams with libarchive
 * (odoozip.h).
 *
 * Writing: libarchive's zip writer with Zip64 when needed (an entry of unknown size always
 * gets Zip64 sizes in its data descriptor; offsets past 4 GiB get Zip64 central records).
 * Each entry's local header carries the sizes when they are known up front (filestore files)
 * and a data descriptor follows every entry with its CRC (the CRC of a stream is only known
 * at its end). Its bytes go through a 64 KiB block buffer to the sink, counted and hashed.
 *
 * Reading: libarchive's streaming zip reader (no seeking), which checks each entry's CRC and
 * size at its end. The streaming reader stops at the first central directory header, so the
 * bytes after it are read here too and the end of central directory record is checked (its
 * entry count against the entries seen): an archive cut at an entry boundary or inside its
 * central directory fails instead of looking complete. */
#include "drivers/odoozip.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define IO_BUF (256 * 1024)

static bool err_unset(const struct berr *err)
{
	return err && err->code == BERTH_OK;
}

/* ---- writing ---- */
struct ozip_writer {
	struct archive *a;
	ozip_sink_fn sink;
	void *cls;
	crypto_hash_sha256_state sha;
	uint64_t bytes;
	bool sink_failed;
	bool dropped; /* ozip_writer_free: nothing more goes to the sink */
	char *buf;
};

static la_ssize_t w_write(struct archive *a, void *cls, const void *buf, size_t n)
{
	(void)a;
	struct ozip_writer *w = cls;
	if (w->dropped)
		return (la_ssize_t)n;
	if (w->sink_failed)
		return -1;
	if (n && w->sink(w->cls, buf, n) < 0) {
		w->sink_failed = true;
		archive_set_error(a, EIO, "the archive could not be written");
		return -1;
	}
	crypto_hash_sha256_update(&w->sha, buf, n);
	w->bytes += n;
	return (la_ssize_t)n;
}

struct ozip_writer *ozip_writer_new(ozip_sink_fn sink, void *cls)
{
	if (sodium_init() < 0)
		return NULL;
	struct ozip_writer *w = xcalloc(1, sizeof *w);
	w->sink = sink;
	w->cls = cls;
	w->buf = xmalloc(IO_BUF);
	crypto_hash_sha256_init(&w->sha);
	w->a = archive_write_new();
	if (!w->a || archive_write_set_format_zip(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(w->a, "zip", "compression-level", "1") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, w_write, NULL) != ARCHIVE_OK) {
		if (w->a)
			archive_write_free(w->a);
		free(w->buf);
		free(w);
		return NULL;
	}
	return w;
}

static int w_fail(struct ozip_writer *w, const char *name, struct berr *err)
{
	if (err_unset(err))
		berr_set(err, BE_INTERNAL_ERROR, NULL, "writing %s into the zip failed: %s", name,
			 w->sink_failed ? "the archive could not be written"
					: archive_error_string(w->a) ? archive_error_string(w->a)
								    : "libarchive error");
	return -1;
}

static int w_header(struct ozip_writer *w, const char *name, int64_t size, bool deflate,
		    struct berr *err)
{
	if (deflate)
		archive_write_zip_set_compression_deflate(w->a);
	else
		archive_write_zip_set_compression_store(w->a);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (size >= 0)
		archive_entry_set_size(e, size);
	else
		archive_entry_unset_size(e);
	int r = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return w_fail(w, name, err);
	return 0;
}

static int w_data(struct ozip_writer *w, const char *name, const void *buf, size_t n,
		  struct berr *err)
{
	const char *p = buf;
	while (n) {
		la_ssize_t k = archive_write_data(w->a, p, n);
		if (k <= 0)
			return w_fail(w, name, err);
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int ozip_add_stream(struct ozip_writer *w, const char *name, int64_t size, bool deflate,
		    ozip_source_fn src, void *cls, struct berr *err)
{
	if (w_header(w, name, size, deflate, err) < 0)
		return -1;
	uint64_t total = 0;
	for (;;) {
		size_t want = IO_BUF;
		ssize_t n = src(cls, w->buf, want);
		if (n < 0) {
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL, "reading %s failed", name);
			return -1;
		}
		if (n == 0)
			break;
		if (size >= 0 && total + (uint64_t)n > (uint64_t)size)
			return berr_set(err, BE_INTERNAL_ERROR, NULL,
					"%s is longer than its size (%lld bytes)", name,
					(long long)size);
		if (w_data(w, name, w->buf, (size_t)n, err) < 0)
			return -1;
		total += (uint64_t)n;
	}
	if (size >= 0 && total != (uint64_t)size)
		return berr_set(err, BE_INTERNAL_ERROR, NULL,
				"%s ended after %llu of its %lld bytes", name,
				(unsigned long long)total, (long long)size);
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return w_fail(w, name, err);
	return 0;
}

int ozip_add_bytes(struct ozip_writer *w, const char *name, const void *data, size_t len,
		   bool deflate, struct berr *err)
{
	if (w_header(w, name, (int64_t)len, deflate, err) < 0 ||
	    w_data(w, name, data, len, err) < 0)
		return -1;
	if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
		return w_fail(w, name, err);
	return 0;
}

/* The tar source, pulled by libarchive's reader. */
struct tsrc {
	ozip_source_fn fn;
	void *cls;
	char *buf;
	bool failed;
};

static la_ssize_t t_read(struct archive *a, void *cls, const void **out)
{
	struct tsrc *t = cls;
	ssize_t n = t->fn(t->cls, t->buf, IO_BUF);
	if (n < 0) {
		t->failed = true;
		archive_set_error(a, EIO, "the tar stream could not be read");
		return -1;
	}
	*out = t->buf;
	return (la_ssize_t)n;
}

int ozip_add_tar(struct ozip_writer *w, ozip_source_fn tar, void *cls, const char *strip,
		 const char *under, uint64_t *files, struct berr *err)
{
	if (files)
		*files = 0;
	size_t slen = strip ? strlen(strip) : 0;
	struct tsrc t = {.fn = tar, .cls = cls, .buf = xmalloc(IO_BUF)};
	struct archive *r = archive_read_new();
	archive_read_support_format_tar(r);
	archive_read_support_format_gnutar(r);
	int rc = -1;
	if (archive_read_open(r, &t, NULL, t_read, NULL) != ARCHIVE_OK) {
		if (err_unset(err))
			berr_set(err, BE_INTERNAL_ERROR, NULL, "the filestore tar is not readable: %s",
				 archive_error_string(r) ? archive_error_string(r) : "empty");
		goto out;
	}
	struct archive_entry *e;
	struct sbuf name = SBUF_INIT;
	for (;;) {
		int h = archive_read_next_header(r, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL, "the filestore tar is not valid: %s",
					 archive_error_string(r) ? archive_error_string(r) : "?");
			goto fail;
		}
		const char *p = archive_entry_pathname(e);
		if (!p || (slen && strncmp(p, strip, slen) != 0))
			continue;
		const char *rest = p + slen;
		if (archive_entry_hardlink(e) && archive_entry_filetype(e) == AE_IFREG &&
		    archive_entry_size(e) == 0) {
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL,
					 "the filestore holds hard-linked files (%s), not supported", p);
			goto fail;
		}
		if (archive_entry_filetype(e) != AE_IFREG || !*rest)
			continue;
		sbuf_reset(&name);
		sbuf_adds(&name, under ? under : "");
		sbuf_adds(&name, rest);
		int64_t size = archive_entry_size(e);
		if (w_header(w, sbuf_str(&name), size, false, err) < 0)
			goto fail;
		int64_t done = 0;
		for (;;) {
			const void *blk;
			size_t n;
			la_int64_t off;
			int d = archive_read_data_block(r, &blk, &n, &off);
			if (d == ARCHIVE_EOF)
				break;
			if (d < ARCHIVE_WARN) {
				if (err_unset(err))
					berr_set(err, BE_INTERNAL_ERROR, NULL,
						 "reading %s from the filestore tar failed: %s", p,
						 archive_error_string(r) ? archive_error_string(r) : "?");
				goto fail;
			}
			while (done < off) { /* a sparse file's hole */
				static const char zeros[4096];
				size_t k = off - done < (int64_t)sizeof zeros ? (size_t)(off - done)
									     : sizeof zeros;
				if (w_data(w, sbuf_str(&name), zeros, k, err) < 0)
					goto fail;
				done += (int64_t)k;
			}
			if (n && w_data(w, sbuf_str(&name), blk, n, err) < 0)
				goto fail;
			done += (int64_t)n;
		}
		while (done < size) {
			static const char zeros[4096];
			size_t k = size - done < (int64_t)sizeof zeros ? (size_t)(size - done) : sizeof zeros;
			if (w_data(w, sbuf_str(&name), zeros, k, err) < 0)
				goto fail;
			done += (int64_t)k;
		}
		if (archive_write_finish_entry(w->a) != ARCHIVE_OK) {
			w_fail(w, sbuf_str(&name), err);
			goto fail;
		}
		if (files)
			(*files)++;
	}
	rc = 0;
fail:
	sbuf_release(&name);
out:
	archive_read_free(r);
	free(t.buf);
	return rc;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int ozip_writer_finish(struct ozip_writer *w, uint64_t *bytes, char sha256_hex[65],
		       struct berr *err)
{
	int rc = 0;
	if (archive_write_close(w->a) != ARCHIVE_OK)
		rc = w_fail(w, "the central directory", err);
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&w->sha, md);
	if (bytes)
		*bytes = w->bytes;
	if (sha256_hex)
		hex(md, sizeof md, sha256_hex);
	w->dropped = true;
	archive_write_free(w->a);
	free(w->buf);
	free(w);
	return rc;
}

void ozip_writer_free(struct ozip_writer *w)
{
	if (!w)
		return;
	w->dropped = true;
	archive_write_free(w->a);
	free(w->buf);
	free(w);
}

/* ---- reading ---- */
#define TAIL_MAX (65536 + 22 + 20 + 56 + 1024)

struct zsrc {
	ozip_source_fn fn;
	void *cls;
	char *buf;
	bool failed;
	/* the last bytes of the stream, for the end of central directory record */
	unsigned char *tail;
	size_t tail_len;
};

static void tail_add(struct zsrc *z, const void *p, size_t n)
{
	if (n >= TAIL_MAX) {
		memcpy(z->tail, (const char *)p + n - TAIL_MAX, TAIL_MAX);
		z->tail_len = TAIL_MAX;
		return;
	}
	if (z->tail_len + n > TAIL_MAX) {
		size_t drop = z->tail_len + n - TAIL_MAX;
		memmove(z->tail, z->tail + drop, z->tail_len - drop);
		z->tail_len -= drop;
	}
	memcpy(z->tail + z->tail_len, p, n);
	z->tail_len += n;
}

static la_ssize_t z_read(struct archive *a, void *cls, const void **out)
{
	struct zsrc *z = cls;
	ssize_t n = z->fn(z->cls, z->buf, IO_BUF);
	if (n < 0) {
		z->failed = true;
		archive_set_error(a, EIO, "the archive could not be read");
		return -1;
	}
	tail_add(z, z->buf, (size_t)n);
	*out = z->buf;
	return (la_ssize_t)n;
}

struct ozip_entry {
	struct archive *a;
	int fd; /* the spilled copy, or -1 */
	const char *name;
	int64_t size;
	int64_t got;
	bool eof;
	bool failed;
	struct berr *err;
	struct berr saved; /* the entry's own error, kept from the callback */
	struct zsrc *z;
};

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}
static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int bad(struct berr *err, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, NULL, "the archive is not a valid zip: %s", what);
}

static int entry_error(struct ozip_entry *ent)
{
	ent->failed = true;
	if (ent->z->failed) {
		if (err_unset(ent->err))
			berr_set(ent->err, BE_INTERNAL_ERROR, NULL, "reading the archive failed");
		return -1;
	}
	const char *m = archive_error_string(ent->a);
	/* A stored entry followed by a data descriptor ends where the reader finds the
	 * descriptor's signature with the CRC of the data before it: when the data is damaged
	 * no CRC matches and the reader runs to the end of the archive. */
	if (!m || strstr(m, "Truncated"))
		m = "unexpected end of its data (the archive is cut short, or its CRC does not match "
		    "its data)";
	berr_set(ent->err, BE_VALIDATION_ERROR, NULL, "the archive is not valid: %s: %s",
		 ent->name, m);
	return -1;
}

static ssize_t entry_read(struct ozip_entry *ent, void *buf, size_t n);

ssize_t ozip_entry_read(struct ozip_entry *ent, void *buf, size_t n)
{
	ssize_t k = entry_read(ent, buf, n);
	if (k < 0 && ent->err)
		ent->saved = *ent->err;
	return k;
}

static ssize_t entry_read(struct ozip_entry *ent, void *buf, size_t n)
{
	if (ent->failed)
		return -1;
	if (ent->eof || !n)
		return 0;
	if (ent->fd >= 0) {
		ssize_t k;
		while ((k = read(ent->fd, buf, n)) < 0 && errno == EINTR)
			;
		if (k < 0) {
			ent->failed = true;
			berr_set(ent->err, BE_INTERNAL_ERROR, NULL, "reading the spilled %s: %s",
				 ent->name, strerror(errno));
			return -1;
		}
		if (k == 0)
			ent->eof = true;
		ent->got += k;
		return k;
	}
	la_ssize_t k = archive_read_data(ent->a, buf, n);
	if (k < 0) {
		entry_error(ent);
		return -1;
	}
	if (k == 0)
		ent->eof = true;
	ent->got += k;
	if (k == 0 && ent->size >= 0 && ent->got != ent->size) {
		ent->failed = true;
		berr_set(ent->err, BE_VALIDATION_ERROR, NULL,
			 "the archive is not valid: %s has %lld bytes, not %lld", ent->name,
			 (long long)ent->got, (long long)ent->size);
		return -1;
	}
	return k;
}

static int spill_open(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
#ifdef O_TMPFILE
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	char *path = xasprintf("%s/berth-spill-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* Copies the current entry to an unlinked file; its size. -1 with err. */
static int64_t spill(struct ozip_entry *ent, char *buf)
{
	ent->fd = spill_open();
	if (ent->fd < 0) {
		berr_set(ent->err, BE_INTERNAL_ERROR, NULL, "no temporary file for %s: %s", ent->name,
			 strerror(errno));
		return -1;
	}
	int64_t size = 0;
	for (;;) {
		la_ssize_t k = archive_read_data(ent->a, buf, IO_BUF);
		if (k < 0)
			return entry_error(ent);
		if (k == 0)
			break;
		const char *p = buf;
		size_t left = (size_t)k;
		while (left) {
			ssize_t wr = write(ent->fd, p, left);
			if (wr < 0 && errno == EINTR)
				continue;
			if (wr < 0) {
				ent->failed = true;
				berr_set(ent->err, BE_INTERNAL_ERROR, NULL,
					 "spilling %s to a temporary file: %s", ent->name, strerror(errno));
				return -1;
			}
			p += wr;
			left -= (size_t)wr;
		}
		size += k;
	}
	if (lseek(ent->fd, 0, SEEK_SET) < 0) {
		ent->failed = true;
		return berr_set(ent->err, BE_INTERNAL_ERROR, NULL, "spilled %s: %s", ent->name,
				strerror(errno));
	}
	return size;
}

/* After libarchive's end: the rest of the stream, then the end of central directory record.
 * entries: how many the reader saw. */
static int check_end(struct zsrc *z, uint64_t entries, struct berr *err)
{
	for (;;) {
		ssize_t n = z->fn(z->cls, z->buf, IO_BUF);
		if (n < 0) {
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL, "reading the archive failed");
			return -1;
		}
		if (n == 0)
			break;
		tail_add(z, z->buf, (size_t)n);
	}
	const unsigned char *t = z->tail;
	size_t len = z->tail_len;
	if (len < 22)
		return bad(err, "unexpected end of the archive (no end of central directory)");
	/* the record is 22 bytes plus its comment, at the very end */
	size_t at = SIZE_MAX;
	for (size_t i = len - 22 + 1; i-- > 0;) {
		if (t[i] == 'P' && t[i + 1] == 'K' && t[i + 2] == 5 && t[i + 3] == 6 &&
		    i + 22 + le16(t + i + 20) == len) {
			at = i;
			break;
		}
		if (len - i > 22 + 65535)
			break;
	}
	if (at == SIZE_MAX)
		return bad(err, "unexpected end of the archive (no end of central directory)");
	uint64_t total = le16(t + at + 10);
	if (total == 0xffff && at >= 20 && le32(t + at - 20) == 0x07064b50) {
		/* Zip64 locator, then the Zip64 record (56 bytes) right before it */
		if (at >= 20 + 56 && le32(t + at - 20 - 56) == 0x06064b50)
			total = le64(t + at - 20 - 56 + 32);
	}
	if (total != entries) {
		char m[128];
		snprintf(m, sizeof m, "the central directory lists %llu entries, %llu were found",
			 (unsigned long long)total, (unsigned long long)entries);
		return bad(err, m);
	}
	return 0;
}

/* A name that stays inside the directory it is extracted to: not empty, not absolute, no
 * ".." component (Python's zipfile drops such parts when extracting; berth refuses them). */
static bool safe_name(const char *n)
{
	if (!*n || n[0] == '/' || strchr(n, '\\'))
		return false;
	for (const char *p = n; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

static int do_read(ozip_source_fn src, void *scls, ozip_entry_fn on_entry, void *cls,
		   bool spill_unknown, struct berr *err)
{
	struct zsrc z = {.fn = src, .cls = scls, .buf = xmalloc(IO_BUF), .tail = xmalloc(TAIL_MAX)};
	char *scratch = xmalloc(IO_BUF);
	struct archive *a = archive_read_new();
	archive_read_support_format_zip_streamable(a);
	int rc = -1;
	uint64_t entries = 0;
	if (archive_read_open(a, &z, NULL, z_read, NULL) != ARCHIVE_OK) {
		if (z.failed) {
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL, "reading the archive failed");
		} else {
			bad(err, "not a zip archive");
		}
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_OK) {
			if (z.failed) {
				if (err_unset(err))
					berr_set(err, BE_INTERNAL_ERROR, NULL, "reading the archive failed");
			} else {
				const char *m = archive_error_string(a);
				bad(err, m ? m : "bad entry header");
			}
			goto out;
		}
		entries++;
		const char *name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (!safe_name(name)) {
			berr_set(err, BE_VALIDATION_ERROR, NULL,
				 "the archive holds an entry named %.200s (absolute, or with ..)", name);
			goto out;
		}
		char *nm = xstrdup(name);
		size_t nl = strlen(nm);
		bool is_dir = archive_entry_filetype(e) == AE_IFDIR || (nl && nm[nl - 1] == '/');
		int64_t size = is_dir ? 0 : archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
		struct ozip_entry ent = {.a = a, .fd = -1, .name = nm, .size = size, .err = err,
					 .z = &z};
		if (size < 0 && spill_unknown) {
			size = spill(&ent, scratch);
			if (size < 0) {
				if (ent.fd >= 0)
					close(ent.fd);
				free(nm);
				goto out;
			}
			ent.size = size;
		}
		int cb = on_entry(cls, nm, size, is_dir, &ent, err);
		if (ent.failed && ent.saved.code)
			*err = ent.saved; /* the entry's own error: the callback may have written over it */
		if (cb < 0 || ent.failed) {
			if (ent.fd >= 0)
				close(ent.fd);
			if (err_unset(err))
				berr_set(err, BE_INTERNAL_ERROR, NULL, "reading %s stopped", nm);
			free(nm);
			goto out;
		}
		/* what the callback left is read here, so that its CRC is checked too */
		if (ent.fd < 0 && !ent.eof && !is_dir) {
			ssize_t k;
			while ((k = ozip_entry_read(&ent, scratch, IO_BUF)) > 0)
				;
			if (k < 0) {
				free(nm);
				goto out;
			}
		}
		if (ent.fd >= 0)
			close(ent.fd);
		free(nm);
	}
	rc = check_end(&z, entries, err);
out:
	archive_read_free(a);
	free(scratch);
	free(z.buf);
	free(z.tail);
	return rc;
}

int ozip_read(ozip_source_fn src, void *scls, ozip_entry_fn on_entry, void *cls,
	      struct berr *err)
{
	return do_read(src, scls, on_entry, cls, true, err);
}

int ozip_read_unsized(ozip_source_fn src, void *scls, ozip_entry_fn on_entry, void *cls,
		      struct berr *err)
{
	return do_read(src, scls, on_entry, cls, false, err);
}

const char *ozip_sniff(const void *head, size_t n)
{
	const unsigned char *p = head;
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6)))
		return "zip";
	if (n >= 5 && memcmp(p, "PGDMP", 5) == 0)
		return "dump";
	return NULL;
}

static void octal_field(char *f, size_t width, uint64_t v)
{
	/* width-1 octal digits and a NUL; base-256 (GNU) when it does not fit */
	uint64_t max = (width - 1) * 3 >= 64 ? UINT64_MAX : ((uint64_t)1 << ((width - 1) * 3)) - 1;
	if (v <= max) {
		snprintf(f, width, "%0*llo", (int)(width - 1), (unsigned long long)v);
		return;
	}
	memset(f, 0, width);
	f[0] = (char)0x80;
	for (size_t i = width - 1; i >= 1 && v; i--) {
		f[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

void ozip_tar_header(char hdr[512], const char *name, uint64_t size, unsigned mode)
{
	ozip_tar_header_owned(hdr, name, size, mode, 0, 0, '0');
}

void ozip_tar_header_owned(char hdr[512], const char *name, uint64_t size, unsigned mode,
			   unsigned uid, unsigned gid, char type)
{
	memset(hdr, 0, 512);
	size_t len = strlen(name);
	if (len <= 100) {
		memcpy(hdr, name, len);
	} else {
		/* ustar: prefix (155) "/" name (100), split at a slash */
		const char *cut = NULL;
		for (const char *s = name + len; s-- > name;)
			if (*s == '/' && (size_t)(s - name) <= 155 && len - (size_t)(s - name) - 1 <= 100) {
				cut = s;
				break;
			}
		if (cut) {
			memcpy(hdr + 345, name, (size_t)(cut - name));
			memcpy(hdr, cut + 1, len - (size_t)(cut - name) - 1);
		} else {
			memcpy(hdr, name, 100); /* cannot be said in ustar: cut */
		}
	}
	octal_field(hdr + 100, 8, mode & 07777);
	octal_field(hdr + 108, 8, uid);
	octal_field(hdr + 116, 8, gid);
	octal_field(hdr + 124, 12, size);
	octal_field(hdr + 136, 12, (uint64_t)time(NULL));
	hdr[156] = type;
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	memset(hdr + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)hdr[i];
	snprintf(hdr + 148, 8, "%06o", sum);
	hdr[155] = ' ';
}

size_t ozip_tar_pad(uint64_t size)
{
	return (size_t)((512 - size % 512) % 512);
}
