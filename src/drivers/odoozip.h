/* odoozip.h: Odoo's database-manager backup archive, written and read as streams with
 * libarchive: a zip holding `dump.sql` (plain pg_dump --no-owner), `filestore/<xx>/<sha1>`
 * (full scope) and `manifest.json`, no top-level directory, Zip64 when large, readable by
 * Python's zipfile (Odoo's restore, `odoo db load`) and by `unzip`. berth writes dump.sql
 * first (deflate, level 1), then the filestore (each file stored with its size known up
 * front), then manifest.json (Odoo reads it by name; order does not matter to Odoo).
 *
 * Nothing here holds a whole entry in memory. A source is pulled, a sink is pushed. */
#ifndef BERTH_ODOOZIP_H
#define BERTH_ODOOZIP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/errors.h"

/* >0 bytes, 0 at the end, -1 on error (the caller's err says why). */
typedef ssize_t (*ozip_source_fn)(void *cls, void *buf, size_t n);
/* 0, or -1 on error. */
typedef int (*ozip_sink_fn)(void *cls, const void *buf, size_t n);

/* ---- writing ---- */
struct ozip_writer;
/* The archive's bytes go to sink as they are made; their count and SHA-256 are kept. */
struct ozip_writer *ozip_writer_new(ozip_sink_fn sink, void *cls);
/* An entry read from src until it ends (size -1: unknown). deflate: compressed (level 1),
 * else stored. */
int ozip_add_stream(struct ozip_writer *w, const char *name, int64_t size, bool deflate,
		    ozip_source_fn src, void *cls, struct berr *err);
int ozip_add_bytes(struct ozip_writer *w, const char *name, const void *data, size_t len,
		   bool deflate, struct berr *err);
/* Every regular file of a tar stream (the Engine's archive of a filestore directory) whose
 * name starts with strip becomes the entry under + (name without strip), stored, e.g. strip
 * "mydb/", under "filestore/": "mydb/ab/ab12..." -> "filestore/ab/ab12...". Directories and
 * other names are skipped. *files (may be NULL) receives how many were added. */
int ozip_add_tar(struct ozip_writer *w, ozip_source_fn tar, void *cls, const char *strip,
		 const char *under, uint64_t *files, struct berr *err);
/* Writes the central directory and frees w: *bytes the archive's size, sha256_hex (65 bytes)
 * its SHA-256 in hex. 0 or -1. */
int ozip_writer_finish(struct ozip_writer *w, uint64_t *bytes, char sha256_hex[65],
		       struct berr *err);
/* Drops a writer that failed (nothing more goes to the sink). */
void ozip_writer_free(struct ozip_writer *w);

/* ---- reading ---- */
struct ozip_entry;
/* Called for each entry in archive order with its name and size (-1 when the archive does
 * not say before the data: the entry is then spilled to an unlinked temporary file first, so
 * the size a tar header needs is known). The callback may read the entry's data with
 * ozip_entry_read, or not (it is skipped). 0 goes on, -1 stops (err set by the callback). */
typedef int (*ozip_entry_fn)(void *cls, const char *name, int64_t size, bool is_dir,
			     struct ozip_entry *ent, struct berr *err);
ssize_t ozip_entry_read(struct ozip_entry *ent, void *buf, size_t n);
/* Reads a zip from src, without seeking. Bad or truncated archives fail with
 * VALIDATION_ERROR naming what is wrong (a CRC mismatch, an unexpected end). 0 or -1. */
int ozip_read(ozip_source_fn src, void *scls, ozip_entry_fn on_entry, void *cls,
	      struct berr *err);
/* The same without the spill: an entry whose size the archive does not give before its data
 * (berth's dump.sql, written as pg_dump makes it) reaches on_entry with size -1, for a caller
 * that streams it on without needing its size (dump.sql into psql). */
int ozip_read_unsized(ozip_source_fn src, void *scls, ozip_entry_fn on_entry, void *cls,
		      struct berr *err);

/* What the first bytes of an upload are: "zip", "dump" (pg_dump custom format, "PGDMP"),
 * or NULL. */
const char *ozip_sniff(const void *head, size_t n);
/* A ustar header (512 bytes) for a regular file, for turning filestore entries into the tar
 * the Engine's archive PUT takes; and the padding after size bytes of data (0-511). */
void ozip_tar_header(char hdr[512], const char *name, uint64_t size, unsigned mode);
/* The same with an owner and a type ('0' a regular file, '5' a directory, size 0). The Engine's
 * archive PUT keeps a tar's owners (uid/gid 0 above: root) and makes the directories a tar
 * does not list root's; a restored filestore must belong to the user Odoo runs as (uid 100,
 * gid 101 in the official image), its directories listed first, or Odoo cannot add files. */
void ozip_tar_header_owned(char hdr[512], const char *name, uint64_t size, unsigned mode,
			   unsigned uid, unsigned gid, char type);
size_t ozip_tar_pad(uint64_t size);
#endif
