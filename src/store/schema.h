#ifndef BERTH_SCHEMA_H
#define BERTH_SCHEMA_H
#include <stddef.h>
/* Numbered migrations: entry i brings the store from version i to i+1. Never edit a
 * released entry; append a new one. */
extern const char *const schema_migrations[];
extern const size_t schema_migrations_count;
#endif
