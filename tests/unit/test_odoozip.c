/* Odoo's backup zip (drivers/odoozip.c): written and read back as streams, a filestore tar
 * turned into filestore/ entries, truncated and corrupt archives refused, sniffing, tar
 * headers. Python's zipfile and unzip are checked by tests/integration/test_engine_stream.py
 * (it drives build/tests/engine_stream_probe, which writes archives the same way). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "drivers/odoozip.h"
#include "lib/util.h"

static int sink_sbuf(void *cls, const void *buf, size_t n)
{
	sbuf_add(cls, buf, n);
	return 0;
}

struct mem {
	const char *p;
	size_t len, off, step;
};

static ssize_t src_mem(void *cls, void *buf, size_t n)
{
	struct mem *m = cls;
	size_t k = m->len - m->off;
	if (k > n)
		k = n;
	if (m->step && k > m->step)
		k = m->step;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

/* what the reader saw */
struct seen {
	int count;
	char names[16][128];
	int64_t sizes[16];
	struct sbuf data[16];
	bool skip; /* do not read the data */
};

static int on_entry(void *cls, const char *name, int64_t size, bool is_dir,
		    struct ozip_entry *ent, struct berr *err)
{
	(void)is_dir;
	(void)err;
	struct seen *s = cls;
	int i = s->count++;
	snprintf(s->names[i], sizeof s->names[i], "%s", name);
	s->sizes[i] = size;
	sbuf_init(&s->data[i]);
	if (s->skip)
		return 0;
	char buf[7000];
	ssize_t n;
	while ((n = ozip_entry_read(ent, buf, sizeof buf)) > 0)
		sbuf_add(&s->data[i], buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->count; i++)
		sbuf_release(&s->data[i]);
}

static char *big_text(size_t n)
{
	char *t = malloc(n);
	for (size_t i = 0; i < n; i++)
		t[i] = (char)("INSERT INTO t VALUES (1, 'abc');\n"[i % 33] + (i / 997) % 3);
	return t;
}

/* a tar like the Engine's archive of /var/lib/odoo/filestore/mydb */
static void make_tar(struct sbuf *tar, const char **names, const char **datas, int n)
{
	char hdr[512];
	ozip_tar_header_owned(hdr, "mydb/", 0, 0755, 100, 101, '5');
	sbuf_add(tar, hdr, 512);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(datas[i]);
		ozip_tar_header(hdr, names[i], len, 0644);
		sbuf_add(tar, hdr, 512);
		sbuf_add(tar, datas[i], len);
		static const char zero[512];
		sbuf_add(tar, zero, ozip_tar_pad(len));
	}
	static const char end[1024];
	sbuf_add(tar, end, sizeof end);
}

static void write_sample(struct sbuf *zip, char sha[65], uint64_t *bytes, size_t dump_len)
{
	struct ozip_writer *w = ozip_writer_new(sink_sbuf, zip);
	assert_non_null(w);
	struct berr err = {0};
	char *dump = big_text(dump_len);
	struct mem m = {dump, dump_len, 0, 3000};
	assert_int_equal(ozip_add_stream(w, "dump.sql", -1, true, src_mem, &m, &err), 0);
	const char *names[] = {"mydb/ab/ab12", "mydb/cd/cd34", "other/zz", "mydb/ef/empty"};
	const char *datas[] = {"first file\n", "second file, a bit longer\n", "not ours", ""};
	struct sbuf tar = SBUF_INIT;
	make_tar(&tar, names, datas, 4);
	struct mem t = {tar.buf, tar.len, 0, 700};
	uint64_t files = 0;
	assert_int_equal(ozip_add_tar(w, src_mem, &t, "mydb/", "filestore/", &files, &err), 0);
	assert_int_equal(files, 3);
	const char *manifest = "{\"odoo_dump\": \"1\", \"db_name\": \"mydb\"}";
	assert_int_equal(ozip_add_bytes(w, "manifest.json", manifest, strlen(manifest), true, &err),
			 0);
	assert_int_equal(ozip_writer_finish(w, bytes, sha, &err), 0);
	assert_int_equal(*bytes, zip->len);
	sbuf_release(&tar);
	free(dump);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct sbuf zip = SBUF_INIT;
	char sha[65];
	uint64_t bytes = 0;
	size_t dump_len = 3 * 1000 * 1000 + 17;
	write_sample(&zip, sha, &bytes, dump_len);
	assert_int_equal(strlen(sha), 64);
	assert_string_equal(ozip_sniff(zip.buf, zip.len), "zip");
	assert_true(zip.len < dump_len / 4); /* the dump is deflated */

	struct seen s = {0};
	struct berr err = {0};
	struct mem m = {zip.buf, zip.len, 0, 5000};
	assert_int_equal(ozip_read(src_mem, &m, on_entry, &s, &err), 0);
	assert_int_equal(s.count, 5);
	assert_string_equal(s.names[0], "dump.sql");
	assert_int_equal(s.sizes[0], (int64_t)dump_len); /* spilled: its size is known */
	char *dump = big_text(dump_len);
	assert_int_equal(s.data[0].len, dump_len);
	assert_memory_equal(s.data[0].buf, dump, dump_len);
	free(dump);
	assert_string_equal(s.names[1], "filestore/ab/ab12");
	assert_int_equal(s.sizes[1], 11); /* in the local header */
	assert_string_equal(sbuf_str(&s.data[1]), "first file\n");
	assert_string_equal(s.names[2], "filestore/cd/cd34");
	assert_int_equal(s.sizes[2], 26);
	assert_string_equal(s.names[3], "filestore/ef/empty");
	assert_int_equal(s.sizes[3], 0);
	assert_string_equal(s.names[4], "manifest.json");
	assert_string_equal(sbuf_str(&s.data[4]), "{\"odoo_dump\": \"1\", \"db_name\": \"mydb\"}");
	seen_free(&s);

	/* unsized: dump.sql comes with -1; skipped entries are still checked */
	struct seen u = {.skip = true};
	m.off = 0;
	assert_int_equal(ozip_read_unsized(src_mem, &m, on_entry, &u, &err), 0);
	assert_int_equal(u.count, 5);
	assert_int_equal(u.sizes[0], -1);
	assert_int_equal(u.sizes[1], 11);
	seen_free(&u);
	sbuf_release(&zip);
}

static void test_truncated_and_corrupt(void **state)
{
	(void)state;
	struct sbuf zip = SBUF_INIT;
	char sha[65];
	uint64_t bytes = 0;
	write_sample(&zip, sha, &bytes, 200000);
	/* cut at many places: inside the dump, inside the filestore, inside the central
	 * directory, just before its end */
	size_t cuts[] = {10, 1000, zip.len / 2, zip.len - 300, zip.len - 100, zip.len - 30,
			 zip.len - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
		struct seen s = {0};
		struct berr err = {0};
		struct mem m = {zip.buf, cuts[i], 0, 0};
		assert_int_equal(ozip_read(src_mem, &m, on_entry, &s, &err), -1);
		assert_int_equal(err.code, BE_VALIDATION_ERROR);
		seen_free(&s);
	}
	/* a flipped byte inside the stored filestore data: a CRC mismatch */
	char *bad = malloc(zip.len);
	memcpy(bad, zip.buf, zip.len);
	char *hit = memmem(bad, zip.len, "second file", 11);
	assert_non_null(hit);
	hit[0] = 'S';
	for (int skip = 0; skip < 2; skip++) {
		struct seen s = {.skip = skip};
		struct berr err = {0};
		struct mem m = {bad, zip.len, 0, 0};
		assert_int_equal(ozip_read(src_mem, &m, on_entry, &s, &err), -1);
		assert_int_equal(err.code, BE_VALIDATION_ERROR);
		assert_non_null(strstr(err.message, "CRC"));
		seen_free(&s);
	}
	/* not a zip at all */
	struct seen s = {0};
	struct berr err = {0};
	struct mem m = {"hello, world", 12, 0, 0};
	assert_int_equal(ozip_read(src_mem, &m, on_entry, &s, &err), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	free(bad);
	sbuf_release(&zip);
}

static int sink_fail(void *cls, const void *buf, size_t n)
{
	(void)buf;
	size_t *left = cls;
	if (n > *left)
		return -1;
	*left -= n;
	return 0;
}

static void test_sink_failure_and_size_mismatch(void **state)
{
	(void)state;
	size_t left = 1000;
	struct ozip_writer *w = ozip_writer_new(sink_fail, &left);
	struct berr err = {0};
	char *dump = big_text(2000000);
	struct mem m = {dump, 2000000, 0, 0};
	/* random-ish data does not compress below 1000 bytes: the sink refuses */
	int rc = ozip_add_stream(w, "dump.sql", -1, false, src_mem, &m, &err);
	if (rc == 0) {
		char sha[65];
		uint64_t bytes;
		rc = ozip_writer_finish(w, &bytes, sha, &err);
		w = NULL;
	}
	assert_int_equal(rc, -1);
	assert_int_not_equal(err.code, BERTH_OK);
	ozip_writer_free(w);

	struct sbuf zip = SBUF_INIT;
	w = ozip_writer_new(sink_sbuf, &zip);
	berr_clear(&err);
	m.off = 0;
	m.len = 100;
	assert_int_equal(ozip_add_stream(w, "short", 200, false, src_mem, &m, &err), -1);
	assert_non_null(strstr(err.message, "ended after 100"));
	ozip_writer_free(w);
	sbuf_release(&zip);
	free(dump);
}

static int count_entry(void *cls, const char *name, int64_t size, bool is_dir,
		       struct ozip_entry *ent, struct berr *err)
{
	(void)name;
	(void)is_dir;
	(void)ent;
	(void)err;
	size_t *n = cls;
	if (size != 3)
		return -1;
	(*n)++;
	return 0;
}

/* more entries than the 16-bit count of the end record holds: the Zip64 record's count */
static void test_many_entries(void **state)
{
	(void)state;
	struct sbuf zip = SBUF_INIT;
	struct ozip_writer *w = ozip_writer_new(sink_sbuf, &zip);
	struct berr err = {0};
	size_t total = 70000;
	for (size_t i = 0; i < total; i++) {
		char name[64];
		snprintf(name, sizeof name, "filestore/%02zx/%zu", i % 256, i);
		assert_int_equal(ozip_add_bytes(w, name, "abc", 3, false, &err), 0);
	}
	uint64_t bytes;
	char sha[65];
	assert_int_equal(ozip_writer_finish(w, &bytes, sha, &err), 0);
	size_t n = 0;
	struct mem m = {zip.buf, zip.len, 0, 0};
	assert_int_equal(ozip_read(src_mem, &m, count_entry, &n, &err), 0);
	assert_int_equal(n, total);
	sbuf_release(&zip);
}

/* a name that would leave the directory it is extracted to */
static void test_unsafe_names(void **state)
{
	(void)state;
	const char *bad[] = {"../etc/passwd", "filestore/../../x", "/abs", "a/.."};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct sbuf zip = SBUF_INIT;
		struct ozip_writer *w = ozip_writer_new(sink_sbuf, &zip);
		struct berr err = {0};
		assert_int_equal(ozip_add_bytes(w, bad[i], "x", 1, false, &err), 0);
		uint64_t bytes;
		char sha[65];
		assert_int_equal(ozip_writer_finish(w, &bytes, sha, &err), 0);
		struct seen s = {0};
		struct mem m = {zip.buf, zip.len, 0, 0};
		assert_int_equal(ozip_read(src_mem, &m, on_entry, &s, &err), -1);
		assert_int_equal(err.code, BE_VALIDATION_ERROR);
		assert_int_equal(s.count, 0);
		seen_free(&s);
		sbuf_release(&zip);
	}
}

static void test_sniff_and_tar(void **state)
{
	(void)state;
	assert_string_equal(ozip_sniff("PK\3\4rest", 8), "zip");
	assert_string_equal(ozip_sniff("PK\5\6", 4), "zip");
	assert_string_equal(ozip_sniff("PGDMP\1\16", 7), "dump");
	assert_null(ozip_sniff("PK", 2));
	assert_null(ozip_sniff("-- PostgreSQL database dump", 27));
	assert_null(ozip_sniff("", 0));

	assert_int_equal(ozip_tar_pad(0), 0);
	assert_int_equal(ozip_tar_pad(1), 511);
	assert_int_equal(ozip_tar_pad(512), 0);
	assert_int_equal(ozip_tar_pad(1025), 511);
	char hdr[512];
	ozip_tar_header(hdr, "filestore/ab/ab12", 1234, 0644);
	assert_string_equal(hdr, "filestore/ab/ab12");
	assert_string_equal(hdr + 124, "00000002322");
	assert_int_equal(hdr[156], '0');
	assert_memory_equal(hdr + 257, "ustar\0" "00", 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)hdr[i];
	assert_int_equal(strtoul(hdr + 148, NULL, 8), sum);
	ozip_tar_header_owned(hdr, "filestore/ab", 0, 0755, 100, 101, '5');
	assert_string_equal(hdr + 108, "0000144");
	assert_string_equal(hdr + 116, "0000145");
	assert_int_equal(hdr[156], '5');
	/* a long name goes into the prefix; a size past 8 GiB in base-256 */
	char longname[200];
	snprintf(longname, sizeof longname, "%0120d/%s", 0, "file");
	ozip_tar_header(hdr, longname, 10ULL << 30, 0600);
	assert_string_equal(hdr, "file");
	assert_int_equal(strlen(hdr + 345), 120);
	assert_int_equal((unsigned char)hdr[124], 0x80);
	assert_int_equal((unsigned char)hdr[131], 0x02); /* 10 << 30 = 0x2_8000_0000 */
	assert_int_equal((unsigned char)hdr[132], 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_sink_failure_and_size_mismatch),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_unsafe_names),
		cmocka_unit_test(test_sniff_and_tar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
