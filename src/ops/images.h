/* images.h: the images berth builds from Debian packages (PostgreSQL, PgBouncer, nginx, the
 * mail catcher) on a Debian base, and the base itself (pulled, or bootstrapped from a Debian
 * mirror). */
#ifndef BERTH_IMAGES_H
#define BERTH_IMAGES_H
#include "drivers/engine.h"
#include "jobs/queue.h"

enum berth_image { IMG_POSTGRES, IMG_PGBOUNCER, IMG_NGINX, IMG_MAILCATCHER };
/* Ensures the image exists on the engine, building it (and the base) when missing; writes
 * its tag (e.g. "berth/postgres:15-1a2b3c4d") into tag. */
int images_ensure(struct engine *e, struct job *j, enum berth_image which, char *tag, size_t len,
		  struct berr *err);
/* PostgreSQL major version for an Odoo version (Debian bookworm ships 15). */
int images_pg_major(const char *odoo_version);
/* The configured base image (setting "base_image", default debian:bookworm-slim). */
char *images_base_ref(void);
#endif
