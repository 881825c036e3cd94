/*
 * ctl_main.c: inventoryctl, the operator's tool.
 *
 *   inventoryctl [--config FILE] migrate
 *   inventoryctl [--config FILE] create-admin --email E --full-name N
 *   inventoryctl [--config FILE] check-config
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "json_util.h"
#include "log.h"
#include "migrate.h"

#define PASSWORD_MIN	8
#define PASSWORD_MAX	1024

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: inventoryctl [--config FILE] migrate\n"
	    "       inventoryctl [--config FILE] create-admin --email E "
	    "--full-name NAME\n"
	    "       inventoryctl [--config FILE] check-config\n"
	    "create-admin reads the password from standard input.\n");
}

static int
cmd_migrate(struct db *db)
{
	size_t applied = 0;
	enum inv_err rc;

	if ((rc = migrate_apply(db, &applied)) != INV_OK) {
		fprintf(stderr, "inventoryctl: migrate: %s\n",
		    inv_strerror(rc));
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
cmd_create_admin(const struct config *cfg, struct db *db, int argc,
    char *argv[])
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "full-name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char *email = NULL, *name = NULL, *password = NULL, *hash = NULL;
	struct db_val p[4];
	size_t plen;
	enum inv_err rc;
	int c, status = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "e:n:", opts, NULL)) != -1)
		switch (c) {
		case 'e':
			free(email);
			email = str_trim_dup(optarg);
			break;
		case 'n':
			free(name);
			name = str_trim_dup(optarg);
			break;
		default:
			usage(stderr);
			status = 2;
			goto out;
		}
	if (email == NULL || name == NULL || *name == '\0' ||
	    strlen(name) > 255) {
		fprintf(stderr, "inventoryctl: create-admin needs --email and "
		    "--full-name (1 to 255 characters)\n");
		status = 2;
		goto out;
	}
	if (!json_email_valid(email)) {
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
	if ((rc = auth_password_hash(cfg, password, &hash)) != INV_OK) {
		fprintf(stderr, "inventoryctl: hashing failed: %s\n",
		    inv_strerror(rc));
		goto out;
	}
	p[0] = DB_STR(email);
	p[1] = DB_STR(name);
	p[2] = DB_STR(hash);
	p[3] = DB_INT(1);
	rc = db_exec(db, STMT_USER_INSERT, p, 4, NULL, NULL, NULL);
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

static int
cmd_check_config(const char *path, struct db *db, struct cache *cache)
{
	bool db_ok = db_ping(db) == INV_OK;
	bool redis_ok = cache_ping(cache) == INV_OK;

	printf("configuration: ok (%s)\n", path != NULL ? path :
	    getenv("INVENTORY_CONFIG") != NULL ? getenv("INVENTORY_CONFIG") :
	    config_default_path());
	printf("database: %s\n", db_ok ? "ok" : "unavailable");
	printf("redis: %s\n", redis_ok ? "ok" : "unavailable");
	return db_ok && redis_ok ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = NULL, *cmd;
	struct cache *cache = NULL;
	struct db *db = NULL;
	struct config cfg;
	enum log_level lvl;
	char *why;
	int c, status;

	/* '+': stop at the command, its options are its own. */
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1)
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "create-admin") != 0 &&
	    strcmp(cmd, "check-config") != 0) {
		fprintf(stderr, "inventoryctl: unknown command: %s\n", cmd);
		usage(stderr);
		return 2;
	}
	if (config_load(&cfg, cfgpath, &why) != INV_OK) {
		fprintf(stderr, "inventoryctl: %s\n", why);
		free(why);
		return 1;
	}
	log_level_parse(cfg.log_level, &lvl);
	log_set_level(lvl);
	db_open(&db, &cfg);
	if (strcmp(cmd, "migrate") == 0)
		status = cmd_migrate(db);
	else if (strcmp(cmd, "create-admin") == 0)
		status = cmd_create_admin(&cfg, db, argc - optind,
		    argv + optind);
	else {
		cache_open(&cache, &cfg);
		status = cmd_check_config(cfgpath, db, cache);
		cache_close(cache);
	}
	db_close(db);
	config_free(&cfg);
	return status;
}
