/*
 * worker_main.c: inventory-worker, which drains the order queue
 * (doc/design.md, "Queue protocol" and "Orders").
 *
 *   inventory-worker [--config FILE] [--drain | --follow]
 *                    [--max-seconds N] [--worker-id ID]
 *
 * This file parses the options and wires the connections; the run itself
 * (batches, payments in flight, settling) is worker.c's.
 *
 * --drain (the default, for cron) stops when the queues are empty or after
 * --max-seconds; --follow (for a service) waits on the queue until
 * SIGTERM (or --max-seconds, when given), repeating the start-of-run work
 * every minute. SIGTERM or SIGINT ends either after the jobs in hand.
 * Overlapping runs are safe.
 *
 * Exit status: 0 success (nothing to do included); 1 configuration,
 * database or Redis failure; 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "worker.h"

/* Set by SIGTERM and SIGINT: claim nothing more, settle what is in
 * hand, then exit. */
static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: inventory-worker [--config FILE] [--drain | --follow] "
	    "[--max-seconds N]\n"
	    "                        [--worker-id ID]\n"
	    "       inventory-worker --version\n"
	    "  --drain          process jobs until the queues are empty or N "
	    "seconds\n"
	    "                   have passed (worker_max_seconds), then exit "
	    "(default)\n"
	    "  --follow         wait for jobs until SIGTERM (for a service)\n"
	    "  --max-seconds N  time limit, 1 to 86400 (--drain: "
	    "worker_max_seconds;\n"
	    "                   --follow: none)\n"
	    "  --worker-id ID   this worker's name in Redis, unique among "
	    "running\n"
	    "                   workers (default HOSTNAME:PID)\n"
	    "exit status: 0 success, also with nothing to do; 1 "
	    "configuration,\n"
	    "database or Redis failure; 2 usage error\n");
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "drain", no_argument, NULL, 'd' },
		{ "follow", no_argument, NULL, 'f' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "worker-id", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cfgpath = NULL, *id = NULL;
	struct worker w;
	struct config cfg;
	struct sigaction sa;
	int64_t max_seconds = 0;
	uint64_t t0;
	char host[256], *defid = NULL;
	bool drain = false;
	int c, status;

	memset(&w, 0, sizeof(w));
	while ((c = getopt_long(argc, argv, "c:dfm:w:hV", opts, NULL)) != -1)
		switch (c) {
		case 'd':
			drain = true;
			break;
		case 'f':
			w.follow = true;
			break;
		case 'm':
			if (!str_to_i64(optarg, 1, 86400, &max_seconds)) {
				fprintf(stderr, "inventory-worker: "
				    "--max-seconds must be 1 to 86400\n");
				return 2;
			}
			break;
		case 'w':
			id = optarg;
			if (*id == '\0' || strlen(id) > 200) {
				fprintf(stderr, "inventory-worker: "
				    "--worker-id must be 1 to 200 bytes\n");
				return 2;
			}
			break;
		default:
			if ((status = cli_common_opt(c, "inventory-worker",
			    &cfgpath, usage)) >= 0)
				return status;
		}
	if ((status = cli_no_operands(argc, argv, "inventory-worker",
	    usage)) >= 0)
		return status;
	/* Rather than let the last one win: a unit or a crontab saying
	 * both is a mistake that would otherwise go unnoticed. */
	if (drain && w.follow) {
		fprintf(stderr, "inventory-worker: --drain and --follow "
		    "exclude each other\n");
		usage(stderr);
		return 2;
	}
	if (!config_startup(&cfg, cfgpath, "inventory-worker"))
		return 1;
	/* --follow runs until stopped unless told a time limit. */
	if (max_seconds == 0 && !w.follow)
		max_seconds = cfg.worker_max_seconds;
	if (id == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		id = defid = xasprintf("%s:%d", host, (int)getpid());
	}

	/* SA_RESTART: a signal must not cut a library's read or write
	 * short; the waits of this file resume by themselves. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A server closing a socket must be an error, not our death. */
	signal(SIGPIPE, SIG_IGN);

	w.cfg = &cfg;
	w.stop = &stopping;
	if (db_open(&w.db, &cfg) != INV_OK || cache_open(&w.cache, &cfg) !=
	    INV_OK || queue_open(&w.queue, &cfg) != INV_OK) {
		fprintf(stderr, "%sinventory-worker: cannot start\n",
		    log_prefix(LOG_LVL_ERROR));
		status = 1;
		goto out;
	}
	queue_set_worker(w.queue, id);
	metrics_init_kind(&cfg, METRICS_WORKER);
	log_info("worker %s: %s run", id, w.follow ? "follow" : "drain");
	t0 = now_usec();
	status = worker_run(&w, (uint64_t)max_seconds * 1000000u);
	if (status == 0 && queue_worker_stop(w.queue) != INV_OK)
		status = 1;
	log_info("worker %s: done: processed=%" PRIu64 " cancelled=%" PRIu64
	    " failed=%" PRIu64 " retried=%" PRIu64 " dead=%" PRIu64
	    " recovered=%" PRIu64 " swept=%" PRIu64 " seconds=%.1f status=%d",
	    id, w.t.processed, w.t.cancelled, w.t.failed, w.t.retried,
	    w.t.dead, w.t.recovered, w.t.swept,
	    (double)(now_usec() - t0) / 1e6, status);
out:
	queue_close(w.queue);
	cache_close(w.cache);
	db_close(w.db);
	free(defid);
	config_free(&cfg);
	return status;
}
