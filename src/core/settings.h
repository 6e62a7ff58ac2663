/* settings.h: the registry of environment settings, one table for every setting an
 * environment's `settings` object may hold: its key, type, what values are valid, its
 * default, the plan flag that unlocks it, what it configures (the Odoo or PostgreSQL
 * container, the edge proxy, odoo.conf, postgresql.conf, or berth itself) and what applying
 * a change takes (nothing, an edge reload, a soft or hard restart, a rebuild).
 *
 * Pure: no store, no I/O. Operations read defaults through it; the settings API validates
 * and writes through it. Keys follow the console's Settings sub-tabs (Odoo, PostgreSQL,
 * Security, Domain, Nginx, Packages). */
#ifndef BERTH_SETTINGS_H
#define BERTH_SETTINGS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "lib/errors.h"

enum setting_type {
	SETTING_BOOL,   /* JSON true / false */
	SETTING_INT,    /* JSON integer in [min, max] */
	SETTING_STRING, /* one line, at most max chars, checked by `valid` */
	SETTING_ENUM,   /* one of `choices` */
	SETTING_TEXT,   /* free multi-line text (a config snippet), at most max chars */
	SETTING_LIST,   /* JSON array of at most max strings, each checked by `valid` */
};

enum setting_target {
	TARGET_ODOO_CONTAINER,
	TARGET_PG_CONTAINER,
	TARGET_EDGE,       /* the server's edge proxy (nginx site) */
	TARGET_ODOO_CONF,
	TARGET_PG_CONF,
	TARGET_BERTH,      /* read by berth itself (scheduler, clones) */
};

/* What applying a change needs, in increasing order: settings_apply_needed returns the
 * largest one a set of changes needs. */
enum setting_apply {
	APPLY_NOTHING,
	APPLY_EDGE_RELOAD,
	APPLY_SOFT_RESTART,
	APPLY_HARD_RESTART,
	APPLY_REBUILD,
};

struct setting {
	const char *key;
	const char *tab; /* the console's sub-tab: odoo, postgresql, security, domain, nginx, packages */
	enum setting_type type;
	long long min, max; /* INT: the range; STRING, TEXT: max length; LIST: max items */
	long long def_int;  /* BOOL (0/1) and INT default */
	const char *def_str; /* STRING, ENUM, TEXT default (NULL: none); LIST defaults to [] */
	const char *const *choices; /* ENUM: NULL-terminated */
	bool (*valid)(const char *s); /* STRING, LIST items: NULL accepts any one-line text */
	const char *valid_what;       /* what `valid` wants, for the error message */
	/* STRING: checked after `valid`; 0, or -1 with what is wrong in msg (e.g. a time given
	 * twice), NULL: none */
	int (*check)(const char *s, char *msg, size_t msg_n);
	const char *plan_flag; /* the plans column that must be true, NULL: any plan */
	enum setting_target target;
	enum setting_apply apply;
	bool pending; /* stored and validated, not applied by the operations yet */
	const char *label;       /* the console's label (instance-console.txt) */
	const char *description; /* what it does, in a sentence */
};

/* The setting named key, NULL when there is none. */
const struct setting *setting_find(const char *key);
/* Every setting, in table order. */
size_t settings_count(void);
const struct setting *setting_at(size_t i);

/* The console's sub-tabs, in its order, NULL-terminated: odoo, postgresql, security, domain,
 * nginx, packages. */
extern const char *const SETTINGS_TABS[];
bool settings_tab_valid(const char *tab);
/* The plan flag without which the whole tab is locked (odoo, postgresql:
 * allow_instance_tuning; nginx: allow_nginx_tuning), NULL: none. Each setting's own
 * plan_flag still decides whether it may be set. */
const char *settings_tab_plan_flag(const char *tab);

/* Defaults (abort on an unknown key or a wrong type: a programming error). */
long long setting_default_int(const char *key);
bool setting_default_bool(const char *key);
const char *setting_default_str(const char *key);

/* A value from an environment's settings object, the default when absent or ill-typed.
 * settings_get_str: an empty string is not set either (the default); NULL for a STRING/TEXT
 * without default that is not set. */
long long settings_get_int(json_t *settings, const char *key);
bool settings_get_bool(json_t *settings, const char *key);
const char *settings_get_str(json_t *settings, const char *key);

/* The value s has in a settings object, its default standing in for absent or null (a new
 * reference; "" for a STRING or TEXT without default). */
json_t *settings_value(const struct setting *s, json_t *settings);

/* 0 when v is a valid value for s, or -1 with VALIDATION_ERROR naming the key (json null
 * is valid: it resets the setting to its default). */
int setting_check(const struct setting *s, json_t *v, struct berr *err);
/* Checks every key of a settings patch: unknown keys are refused too. */
int settings_check(json_t *patch, struct berr *err);

/* The largest apply a change from `before` to `after` needs (keys whose effective value
 * did not change need nothing). */
enum setting_apply settings_apply_needed(json_t *before, json_t *after);

/* Platform settings (the platform administrator's, one value for the whole platform, kept in
 * the store's settings table): integers in [min, max]. Monitoring's live here. */
struct platform_setting {
	const char *key;
	long long min, max, def;
	const char *label;
};
const struct platform_setting *platform_setting_find(const char *key);
size_t platform_settings_count(void);
const struct platform_setting *platform_setting_at(size_t i);

const char *setting_type_name(enum setting_type t);
const char *setting_target_name(enum setting_target t); /* "odoo container", ... */
const char *setting_apply_name(enum setting_apply a);   /* "edge reload", ... */
#endif
