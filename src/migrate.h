/*
 * migrate.h: the schema migrations compiled in from schema/ (see the
 * generated migrations.c) and the code that applies them.
 */
#ifndef INV_MIGRATE_H
#define INV_MIGRATE_H

#include <stddef.h>

#include "util.h"

struct db;

struct migration {
	int		 version;	/* from the file name: 001_init.sql -> 1 */
	const char	*name;		/* "001_init.sql" */
	const char	*sql;
};

/* Generated: every file of schema/, in ascending version order. */
extern const struct migration migrations[];
extern const size_t nmigrations;

/*
 * Applies every migration not yet recorded in schema_migrations, in order,
 * holding a named lock so two runs cannot interleave. *applied counts those
 * applied now (may be NULL). Safe to run again.
 */
enum inv_err migrate_apply(struct db *, size_t *applied);

/* How many compiled-in migrations the database has not recorded. */
enum inv_err migrate_pending(struct db *, size_t *pending);

#endif
