/*
 * fuzz_config: config_load_string on any text (cut at a NUL, as a file
 * read into a C string would be). The INVENTORY_* variables are removed
 * from the environment first, so only the text decides.
 *
 * Invariants: a refusal gives a one-line reason and leaves nothing
 * allocated; an accepted configuration holds what config_check
 * promises (a secret of at least 32 bytes, a known log level, database
 * name and user) and values within their keys' bounds.
 */
#include <math.h>

#include "config.h"
#include "fuzz.h"

extern char **environ;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char name[256];
	size_t i, n;

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	/* unsetenv changes environ: start over after each removal. */
	for (i = 0; environ[i] != NULL; i++) {
		if (strncmp(environ[i], "INVENTORY_", 10) != 0)
			continue;
		n = strcspn(environ[i], "=");
		if (n >= sizeof(name))
			abort();
		memcpy(name, environ[i], n);
		name[n] = '\0';
		unsetenv(name);
		i = (size_t)-1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	enum log_level lvl;
	char *text, *why = (char *)"unset";

	text = fuzz_cstr(data, size);
	if (config_load_string(&cfg, text, "fuzz.conf", &why) != INV_OK) {
		FUZZ_ASSERT(why != NULL && *why != '\0');
		/* One line: the text is read a line at a time. */
		FUZZ_ASSERT(strchr(why, '\n') == NULL);
		free(why);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(why == NULL);
	FUZZ_ASSERT(strlen(cfg.jwt_secret) >= CONFIG_MIN_SECRET_LEN);
	FUZZ_ASSERT(log_level_parse(cfg.log_level, &lvl));
	FUZZ_ASSERT(*cfg.db_name != '\0' && *cfg.db_user != '\0');
	FUZZ_ASSERT(cfg.db_port >= 1 && cfg.db_port <= 65535);
	FUZZ_ASSERT(cfg.scrypt_ln >= 10 && cfg.scrypt_ln <= 20);
	FUZZ_ASSERT(cfg.access_token_ttl >= 10);
	FUZZ_ASSERT(cfg.cache_enabled == 0 || cfg.cache_enabled == 1);
	FUZZ_ASSERT(!isnan(cfg.payment_failure_rate) &&
	    cfg.payment_failure_rate >= 0 && cfg.payment_failure_rate <= 1);
	config_free(&cfg);
	free(text);
	return 0;
}
