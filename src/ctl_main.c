/*
 * ctl_main.c: inventoryctl, the operator's tool.
 *
 *   inventoryctl [--config FILE] migrate
 *   inventoryctl [--config FILE] create-admin --email E --full-name N
 *   inventoryctl [--config FILE] check-config [--no-connect]
 *   inventoryctl [--config FILE] queue stats
 *   inventoryctl [--config FILE] dead list | retry ID | retry all | purge
 *   inventoryctl [--config FILE] audit
 *   inventoryctl [--config FILE] explain
 *
 * Options may stand before or after the command (as with any GNU tool);
 * an option the command does not take, an unknown one, or a word too many
 * is a usage error. Each command is a row of the table at the end: its
 * name, its options, how many words follow it, what it needs opened, and
 * its function.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "order_flow.h"
#include "queue.h"

#define PASSWORD_MIN	8
#define PASSWORD_MAX	1024

/* The options only some commands take (struct command's opts). */
#define OPT_EMAIL	0x01
#define OPT_FULL_NAME	0x02
#define OPT_NO_CONNECT	0x04

/* What a command is given: the configuration, its options, and what it
 * asked for. */
struct ctl {
	const struct config	*cfg;
	const char		*cfgpath;	/* --config, or NULL */
	const char		*email;		/* --email, or NULL */
	const char		*full_name;	/* --full-name, or NULL */
	bool			 no_connect;	/* --no-connect */
	struct db		*db;
	struct cache		*cache;
	struct queue		*queue;
};

static void usage(FILE *);

/*
 * migrate: as the schema owner (migrate_db_user), never as the service's
 * own account, which should not be allowed to change the schema.
 */
static int
cmd_migrate(struct ctl *c, int argc, char *argv[])
{
	const struct config *cfg = c->cfg;
	struct db *db;
	size_t applied = 0;
	enum inv_err rc;
	char *why;

	(void)argc;
	(void)argv;
	if (db_open_owner(&db, cfg, &why) != INV_OK) {
		fprintf(stderr, "inventoryctl: migrate: %s\n", why);
		free(why);
		return 1;
	}
	rc = migrate_apply(db, &applied);
	db_close(db);
	if (rc != INV_OK) {
		fprintf(stderr, "inventoryctl: migrate: %s (as %s; the schema "
		    "owner's account is migrate_db_user, see inventory.conf(5))"
		    "\n", inv_strerror(rc), cfg->migrate_db_user[0] != '\0' ?
		    cfg->migrate_db_user : cfg->db_user);
		return 1;
	}
	printf("%zu migration(s) applied, %zu known\n", applied, nmigrations);
	return 0;
}

/*
 * Reads one line of password from stdin into a new string, without echo
 * when stdin is a terminal. NULL on end of input.
 */
static char *
read_password(void)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &old) == 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (tty) {
		fprintf(stderr, "Password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int
cmd_create_admin(struct ctl *ctl, int argc, char *argv[])
{
	char *email = NULL, *name = NULL, *password = NULL, *hash = NULL;
	struct db_val p[4];
	size_t plen;
	enum inv_err rc;
	int status = 1;

	(void)argc;
	(void)argv;
	if (ctl->email != NULL)
		email = email_canonical(ctl->email);
	if (ctl->full_name != NULL)
		name = str_trim_dup(ctl->full_name);
	if (email == NULL || name == NULL || *name == '\0' ||
	    strlen(name) > 255) {
		fprintf(stderr, "inventoryctl: create-admin needs --email and "
		    "--full-name (1 to 255 characters)\n");
		status = 2;
		goto out;
	}
	if (!email_valid(email)) {
		fprintf(stderr, "inventoryctl: not a valid email address: %s\n",
		    email);
		goto out;
	}
	if ((password = read_password()) == NULL ||
	    (plen = strlen(password)) < PASSWORD_MIN || plen > PASSWORD_MAX) {
		fprintf(stderr, "inventoryctl: the password (one line on "
		    "standard input) must be %d to %d characters\n",
		    PASSWORD_MIN, PASSWORD_MAX);
		goto out;
	}
	if ((rc = auth_password_hash(ctl->cfg, password, &hash)) != INV_OK) {
		fprintf(stderr, "inventoryctl: hashing failed: %s\n",
		    inv_strerror(rc));
		goto out;
	}
	p[0] = DB_STR(email);
	p[1] = DB_STR(name);
	p[2] = DB_STR(hash);
	p[3] = DB_INT(1);
	rc = db_exec(ctl->db, STMT_USER_INSERT, p, 4, NULL, NULL, NULL);
	if (rc == INV_CONFLICT)
		fprintf(stderr, "inventoryctl: a user with email %s already "
		    "exists\n", email);
	else if (rc != INV_OK)
		fprintf(stderr, "inventoryctl: create-admin: %s\n",
		    inv_strerror(rc));
	else {
		printf("admin %s created\n", email);
		status = 0;
	}
out:
	if (password != NULL)
		explicit_bzero(password, strlen(password));
	free(password);
	free(hash);
	free(email);
	free(name);
	return status;
}

/*
 * Whether the service's account finds the schema it was built for: every
 * migration applied and every stored procedure callable. Without this an
 * upgrade that skipped `migrate` or the EXECUTE grant would pass the check
 * and fail only when the first order is placed.
 */
static bool
schema_usable(struct ctl *c)
{
	char routine[64];
	size_t pending;
	enum inv_err rc;

	if ((rc = migrate_pending(c->db, &pending)) == INV_OK && pending > 0) {
		printf("schema: %zu migration(s) not applied: run "
		    "`inventoryctl migrate`\n", pending);
		return false;
	}
	if (rc == INV_OK)
		rc = db_check_routines(c->db, routine, sizeof(routine));
	if (rc == INV_NOTFOUND) {
		printf("schema: %s may not run procedure %s: GRANT EXECUTE "
		    "on the database to it\n", c->cfg->db_user, routine);
		return false;
	}
	if (rc != INV_OK) {
		printf("schema: %s\n", inv_strerror(rc));
		return false;
	}
	printf("schema: ok\n");
	return true;
}

/*
 * check-config: the configuration was read and checked before any
 * command runs; this says so and, unless --no-connect (the units' check
 * before start and reload, which must not depend on the servers being
 * up), whether each server answers.
 */
static int
cmd_check_config(struct ctl *c, int argc, char *argv[])
{
	struct queue_stats st;
	bool db_ok, redis_ok, queue_ok;

	(void)argc;
	(void)argv;
	printf("configuration: ok (%s)\n", c->cfgpath != NULL ? c->cfgpath :
	    getenv("INVENTORY_CONFIG") != NULL ? getenv("INVENTORY_CONFIG") :
	    config_default_path());
	if (c->no_connect)
		return 0;
	db_ok = db_ping(c->db) == INV_OK;
	redis_ok = cache_ping(c->cache) == INV_OK;
	queue_ok = queue_get_stats(c->queue, &st) == INV_OK;
	printf("database: %s\n", db_ok ? "ok" : "unavailable");
	if (db_ok)
		db_ok = schema_usable(c);
	printf("redis: %s\n", redis_ok ? "ok" : "unavailable");
	printf("queue redis: %s\n", queue_ok ? "ok" : "unavailable");
	return db_ok && redis_ok && queue_ok ? 0 : 1;
}

/* Reports a queue failure; returns the exit status 1. */
static int
queue_failed(const char *what, enum inv_err rc)
{
	fprintf(stderr, "inventoryctl: %s: %s\n", what, inv_strerror(rc));
	return 1;
}

/* queue stats: how many jobs are where. */
static int
cmd_queue(struct ctl *c, int argc, char *argv[])
{
	struct queue_stats st;
	enum inv_err rc;
	int p;

	if (argc != 2 || strcmp(argv[1], "stats") != 0) {
		usage(stderr);
		return 2;
	}
	if ((rc = queue_get_stats(c->queue, &st)) != INV_OK)
		return queue_failed("queue stats", rc);
	for (p = 0; p < QUEUE__MAX; p++)
		printf("%-10s %" PRId64 "\n", queue_prio_name(p), st.depth[p]);
	printf("%-10s %" PRId64 "\n", "in-flight", st.inflight);
	printf("%-10s %" PRId64 "\n", "scheduled", st.scheduled);
	printf("%-10s %" PRId64 "\n", "dead", st.dead);
	printf("%-10s %" PRId64 "\n", "workers", st.workers);
	printf("%-10s %" PRId64 "\n", "alive", st.workers_alive);
	/* Seconds the oldest waiting job has waited, as /metrics says. */
	printf("%-10s %" PRId64 "\n", "oldest", st.oldest > 0 &&
	    (int64_t)time(NULL) > st.oldest ?
	    (int64_t)time(NULL) - st.oldest : 0);
	return 0;
}

/* dead list: one line per dead letter, newest first. */
static int
dead_list(struct ctl *c)
{
	struct queue_job *jobs;
	enum inv_err rc;
	size_t i, n;

	if ((rc = queue_dead_list(c->queue, &jobs, &n)) != INV_OK)
		return queue_failed("dead list", rc);
	for (i = 0; i < n; i++) {
		const struct queue_job *j = &jobs[i];

		if (j->type == NULL)
			printf("- malformed: %s\n", j->raw);
		else
			printf("%s order %" PRId64 " attempts %" PRId64
			    " queue %s failed %s: %s\n", j->id, j->order_id,
			    j->attempt, queue_prio_name(j->prio),
			    j->failed_at != NULL ? j->failed_at : "-",
			    j->last_error != NULL ? j->last_error : "-");
	}
	fprintf(stderr, "%zu dead letter(s)\n", n);
	queue_jobs_free(jobs, n);
	return 0;
}

/* dead list | retry ID | retry all | purge */
static int
cmd_dead(struct ctl *c, int argc, char *argv[])
{
	enum inv_err rc;
	size_t n;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return dead_list(c);
	if (argc == 2 && strcmp(argv[1], "purge") == 0) {
		if ((rc = queue_dead_purge(c->queue, &n)) != INV_OK)
			return queue_failed("dead purge", rc);
		printf("%zu dead letter(s) deleted\n", n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "retry") == 0 &&
	    strcmp(argv[2], "all") == 0) {
		if ((rc = queue_dead_retry_all(c->queue, &n)) != INV_OK)
			return queue_failed("dead retry all", rc);
		printf("%zu dead letter(s) queued again\n", n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "retry") == 0) {
		rc = queue_dead_retry(c->queue, argv[2]);
		if (rc == INV_NOTFOUND) {
			fprintf(stderr, "inventoryctl: no dead letter %s\n",
			    argv[2]);
			return 1;
		}
		if (rc != INV_OK)
			return queue_failed("dead retry", rc);
		printf("dead letter %s queued again\n", argv[2]);
		return 0;
	}
	usage(stderr);
	return 2;
}

/*
 * The stock invariants over every product, in one statement (one
 * snapshot): each product breaking them is logged; exit 1 if any does.
 * The result goes into the metrics file too, for /metrics and its alert.
 */
static int
cmd_audit(struct ctl *c, int argc, char *argv[])
{
	size_t products, violations;
	enum inv_err rc;

	(void)argc;
	(void)argv;
	if ((rc = order_flow_audit(c->db, &products, &violations)) != INV_OK) {
		fprintf(stderr, "inventoryctl: audit: %s\n", inv_strerror(rc));
		return 1;
	}
	printf("stock audit: %zu product(s), %zu violation(s)\n", products,
	    violations);
	if (!metrics_audit_store(c->cfg, (int64_t)violations))
		log_warn("audit: result not stored for /metrics (metrics_file "
		    "empty or not made yet by the services)");
	return violations == 0 ? 0 : 1;
}

/*
 * How MariaDB reads every list statement (a first page): exit 1 when a
 * page reads a whole table of orders, items, products or inventory.
 */
static int
cmd_explain(struct ctl *c, int argc, char *argv[])
{
	size_t scans;
	enum inv_err rc;

	(void)argc;
	(void)argv;
	if ((rc = db_explain_lists(c->db, stdout, &scans)) != INV_OK) {
		fprintf(stderr, "inventoryctl: explain: %s\n", inv_strerror(rc));
		return 1;
	}
	printf("list plans: %zu full scan(s) of a page\n", scans);
	return scans == 0 ? 0 : 1;
}

/* What a command needs opened before it runs. */
#define NEED_DB		0x01
#define NEED_CACHE	0x02
#define NEED_QUEUE	0x04

/* Every command: its name, its arguments for the usage text, the
 * options of its own it takes (OPT_*), at most how many words follow it,
 * what it needs, and its function (given argv from the command's name
 * on, options taken out). */
static const struct command {
	const char	*name;
	const char	*args;
	unsigned	 opts;
	int		 maxwords;
	unsigned	 needs;
	int		(*run)(struct ctl *, int, char *[]);
} commands[] = {
	/* migrate opens its own connection, as the schema owner. */
	{ "migrate", "", 0, 0, 0, cmd_migrate },
	{ "create-admin", " --email E --full-name NAME",
	    OPT_EMAIL | OPT_FULL_NAME, 0, NEED_DB, cmd_create_admin },
	{ "check-config", " [--no-connect]", OPT_NO_CONNECT, 0,
	    NEED_DB | NEED_CACHE | NEED_QUEUE, cmd_check_config },
	{ "queue", " stats", 0, 1, NEED_QUEUE, cmd_queue },
	{ "dead", " list | retry ID | retry all | purge", 0, 2, NEED_QUEUE,
	    cmd_dead },
	{ "audit", "", 0, 0, NEED_DB, cmd_audit },
	{ "explain", "", 0, 0, NEED_DB, cmd_explain },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s inventoryctl [--config FILE] %s%s\n",
		    i == 0 ? "usage:" : "      ", commands[i].name,
		    commands[i].args);
	fprintf(f, "       inventoryctl --version\n");
	fprintf(f, "create-admin reads the password from standard input.\n");
}

/* The name of the OPT_* option bit, for the message refusing it. */
static const char *
opt_name(unsigned bit)
{
	switch (bit) {
	case OPT_EMAIL:
		return "--email";
	case OPT_FULL_NAME:
		return "--full-name";
	default:
		return "--no-connect";
	}
}

/*
 * Checks the options and words given against cmd's row: 0 when they fit,
 * else 2 after the message and the usage text.
 */
static int
command_fits(const struct command *cmd, unsigned given, int nwords,
    char *words[])
{
	unsigned bit, stray = given & ~cmd->opts;

	if (stray != 0) {
		for (bit = 1; (stray & bit) == 0; bit <<= 1)
			;
		fprintf(stderr, "inventoryctl: %s takes no %s\n", cmd->name,
		    opt_name(bit));
		usage(stderr);
		return 2;
	}
	if (nwords > cmd->maxwords) {
		fprintf(stderr, "inventoryctl: unexpected argument: %s\n",
		    words[cmd->maxwords]);
		usage(stderr);
		return 2;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "email", required_argument, NULL, 'e' },
		{ "full-name", required_argument, NULL, 'n' },
		{ "no-connect", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *cmd = NULL;
	struct ctl ctl;
	struct config cfg;
	unsigned given = 0, needs;
	size_t i;
	int c, status;

	memset(&ctl, 0, sizeof(ctl));
	/* One pass over every option, wherever it stands (getopt moves
	 * the words to the end); command_fits() then refuses the options
	 * the command does not take. */
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1)
		switch (c) {
		case 'e':
			ctl.email = optarg;
			given |= OPT_EMAIL;
			break;
		case 'n':
			ctl.full_name = optarg;
			given |= OPT_FULL_NAME;
			break;
		case 'N':
			ctl.no_connect = true;
			given |= OPT_NO_CONNECT;
			break;
		default:
			if ((status = cli_common_opt(c, "inventoryctl",
			    &ctl.cfgpath, usage)) >= 0)
				return status;
		}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "inventoryctl: unknown command: %s\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((status = command_fits(cmd, given, argc - optind - 1,
	    argv + optind + 1)) != 0)
		return status;
	if (!config_startup(&cfg, ctl.cfgpath, "inventoryctl"))
		return 1;
	/* A server closing a socket must be an error, not our death. */
	signal(SIGPIPE, SIG_IGN);
	ctl.cfg = &cfg;
	needs = ctl.no_connect ? 0 : cmd->needs;
	if ((needs & NEED_DB) != 0)
		db_open(&ctl.db, &cfg);
	if ((needs & NEED_CACHE) != 0)
		cache_open(&ctl.cache, &cfg);
	if ((needs & NEED_QUEUE) != 0)
		queue_open(&ctl.queue, &cfg);
	status = cmd->run(&ctl, argc - optind, argv + optind);
	queue_close(ctl.queue);
	cache_close(ctl.cache);
	db_close(ctl.db);
	config_free(&cfg);
	return status;
}
