/* tz.h: time zones (an organization's, for its backup schedule). A name is valid when it is an
 * IANA name of the tzdata package: a TZif file under /usr/share/zoneinfo, e.g.
 * "Europe/Brussels" or "UTC" (the characters A-Z a-z 0-9 _ + - /, no "..", no leading "/",
 * at most 64 characters; the "posix/" and "right/" copies and files that are not TZif are
 * refused).
 *
 * A zone's offset from UTC at an instant comes from the date program run with TZ=<zone> in
 * its environment (argv only, lib/proc.h): the C library reads tzdata as it does for every
 * program, and berthd's own threads never change their TZ (a TZif reader of our own would
 * also need the POSIX TZ rules of the files' footers: date has them). Many instants go to one
 * run (date -f -). Offsets are kept an hour in a cache (a schedule asks for the same instants
 * every minute); "UTC" needs no program. */
#ifndef BERTH_DRIVERS_TZ_H
#define BERTH_DRIVERS_TZ_H
#include <stdbool.h>
#include <stdint.h>
#include "lib/errors.h"

#define TZ_NAME_MAX 64

/* Whether name is a time zone of tzdata (see above). */
bool tz_valid(const char *name);
/* 0, or -1 with VALIDATION_ERROR naming field ("timezone: ..."). */
int tz_check(const char *field, const char *name, struct berr *err);
/* The offset of zone at t (unix seconds) in seconds east of UTC into *off: 0, or -1 (an
 * invalid zone, or date failed: *off = 0, logged). */
int tz_offset(const char *zone, int64_t t, long *off);
/* The same for n instants at once (one run of date for those not cached): 0, or -1 with
 * every off[i] = 0. */
int tz_offsets(const char *zone, const int64_t *t, size_t n, long *off);
/* The directory of tzdata (default /usr/share/zoneinfo; for tests). */
void tz_set_root(const char *dir);
#endif
