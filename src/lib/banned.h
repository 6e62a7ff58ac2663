/* banned.h: C library functions berth does not call (in the manner of git's banned.h).
 *
 * The Makefile compiles every file under src/ with `-include lib/banned.h`, so a call to
 * one of these fails to build ("sorry_strcpy_is_a_banned_function" undeclared). Use
 * instead:
 *   strcpy, strcat, strncpy, strncat   struct sbuf (lib/util.h), xstrdup, xstrndup,
 *                                      snprintf, memcpy with a known length
 *   sprintf, vsprintf                  snprintf, vsnprintf, xasprintf, sbuf_addf
 *   strtok                             strtok_r, strchr / strcspn scanning
 *   gets                               fgets, getline
 *   gmtime, localtime, ctime, asctime  gmtime_r, localtime_r, iso8601 (lib/util.h)
 *   ctime_r, asctime_r                 strftime with an explicit format
 *   tmpnam, tempnam, mktemp            mkstemp, mkdtemp
 *
 * The system headers that declare them come first: the macros below are function-like,
 * so the declarations must be seen before they exist; names used without a call are not
 * affected. */
#ifndef BERTH_BANNED_H
#define BERTH_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)

#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)

#undef strtok
#define strtok(x, y) BANNED(strtok)

#undef gets
#define gets(x) BANNED(gets)

#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef ctime_r
#define ctime_r(t, buf) BANNED(ctime_r)
#undef asctime
#define asctime(t) BANNED(asctime)
#undef asctime_r
#define asctime_r(t, buf) BANNED(asctime_r)

#undef tmpnam
#define tmpnam(x) BANNED(tmpnam)
#undef tempnam
#define tempnam(x, y) BANNED(tempnam)
#undef mktemp
#define mktemp(x) BANNED(mktemp)

#endif
