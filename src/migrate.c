/*
 * migrate.c: applies the compiled-in migrations (the generated
 * migrations.c) that schema_migrations does not list yet.
 *
 * A named server lock (GET_LOCK) keeps two runs, say two hosts deploying
 * at once, from applying the same file twice. The lock belongs to the
 * session, so the run stops if the connection is replaced under it.
 */

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "migrate.h"

#define MIGRATE_LOCK		"inventory_migrate"
#define MIGRATE_LOCK_WAIT	30	/* seconds; see DB_READ_TIMEOUT */

/* Takes the migration lock: INV_UNAVAILABLE when another run holds it past
 * the wait, INV_DB when the server says neither yes nor no. */
static enum inv_err
migrate_lock(struct db *db)
{
	struct db_val p[2] = { DB_STR(MIGRATE_LOCK), DB_INT(MIGRATE_LOCK_WAIT) };
	struct db_res *r = NULL;
	enum inv_err rc;

	if ((rc = db_exec(db, STMT_GET_LOCK, p, 2, &r, NULL, NULL)) != INV_OK)
		return rc;
	if (db_res_isnull(r, 0, 0)) {
		log_error("migrate: GET_LOCK(%s) failed", MIGRATE_LOCK);
		rc = INV_DB;
	} else if (!db_res_bool(r, 0, 0)) {
		log_error("migrate: another migration held %s for %d s",
		    MIGRATE_LOCK, MIGRATE_LOCK_WAIT);
		rc = INV_UNAVAILABLE;
	}
	db_res_free(r);
	return rc;
}

static void
migrate_unlock(struct db *db)
{
	struct db_val p[1] = { DB_STR(MIGRATE_LOCK) };

	/* Failing is harmless: the server drops the lock with the session. */
	if (db_exec(db, STMT_RELEASE_LOCK, p, 1, NULL, NULL, NULL) != INV_OK)
		log_warn("migrate: could not release %s", MIGRATE_LOCK);
}

/*
 * The versions recorded as applied, into *out (new array, free() it) and
 * *n. A database without schema_migrations has none.
 */
static enum inv_err
migrate_applied(struct db *db, int **out, size_t *n)
{
	struct db_res *r = NULL;
	enum inv_err rc;
	size_t i;

	*out = NULL;
	*n = 0;
	rc = db_exec(db, STMT_MIGRATION_VERSIONS, NULL, 0, &r, NULL, NULL);
	if (rc == INV_NOTFOUND)
		return INV_OK;
	if (rc != INV_OK)
		return rc;
	*n = db_res_rows(r);
	*out = xcalloc(*n, sizeof(int));
	for (i = 0; i < *n; i++)
		(*out)[i] = (int)db_res_int(r, i, 0);
	db_res_free(r);
	return INV_OK;
}

static bool
is_applied(const int *v, size_t n, int version)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == version)
			return true;
	return false;
}

/* Runs migration m and records it. */
static enum inv_err
migrate_one(struct db *db, const struct migration *m)
{
	struct db_val p[2] = { DB_INT(m->version), DB_STR(m->name) };
	enum inv_err rc;

	if ((rc = db_exec_script(db, m->sql)) != INV_OK) {
		log_error("migrate: %s failed: %s", m->name, inv_strerror(rc));
		return rc;
	}
	/* DDL commits as it goes, so a failure here leaves the schema
	 * applied but unrecorded; the log says which file to check. */
	rc = db_exec(db, STMT_MIGRATION_RECORD, p, 2, NULL, NULL, NULL);
	if (rc != INV_OK) {
		log_error("migrate: %s applied but not recorded: %s", m->name,
		    inv_strerror(rc));
		return rc;
	}
	log_info("migrate: applied %s", m->name);
	return INV_OK;
}

enum inv_err
migrate_apply(struct db *db, size_t *applied)
{
	int *done = NULL;
	size_t ndone = 0, i, count = 0;
	uint64_t session;
	enum inv_err rc;

	if (applied != NULL)
		*applied = 0;
	if ((rc = migrate_lock(db)) != INV_OK)
		return rc;
	/* A reconnect from here on would mean the lock went with the old
	 * session. */
	session = db_reconnects(db);
	if ((rc = migrate_applied(db, &done, &ndone)) != INV_OK)
		goto out;
	for (i = 0; i < nmigrations; i++) {
		if (is_applied(done, ndone, migrations[i].version))
			continue;
		if (db_reconnects(db) != session) {
			log_error("migrate: connection lost; lock released");
			rc = INV_UNAVAILABLE;
			goto out;
		}
		if ((rc = migrate_one(db, &migrations[i])) != INV_OK)
			goto out;
		count++;
	}
	for (i = 0; i < ndone; i++)
		if (nmigrations == 0 ||
		    done[i] > migrations[nmigrations - 1].version)
			log_warn("migrate: database has version %d, newer "
			    "than this program knows", done[i]);
out:
	if (db_reconnects(db) == session)
		migrate_unlock(db);
	free(done);
	if (applied != NULL)
		*applied = count;
	return rc;
}

enum inv_err
migrate_pending(struct db *db, size_t *pending)
{
	int *done = NULL;
	size_t ndone = 0, i;
	enum inv_err rc;

	*pending = 0;
	if ((rc = migrate_applied(db, &done, &ndone)) != INV_OK)
		return rc;
	for (i = 0; i < nmigrations; i++)
		if (!is_applied(done, ndone, migrations[i].version))
			(*pending)++;
	free(done);
	return INV_OK;
}
