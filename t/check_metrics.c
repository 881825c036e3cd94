/*
 * check_metrics.c: counters shared by several processes through the
 * metrics file, and their Prometheus rendering.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "metrics.h"
#include "router.h"
#include "testutil.h"

static char path[] = "/tmp/check_metrics_XXXXXX";
static struct config cfg;

static void
setup(void)
{
	char *text, *why;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);	/* metrics_init must create it */
	text = xasprintf("jwt_secret = 0123456789abcdef0123456789abcdef\n"
	    "metrics_file = %s\n", path);
	ck_assert_int_eq(config_load_string(&cfg, text, "t", &why), INV_OK);
	free(text);
}

static void
teardown(void)
{
	unlink(path);
	config_free(&cfg);
	strcpy(path, "/tmp/check_metrics_XXXXXX");
}

/* The rendered text (new). */
static char *
render(void)
{
	struct buf b;

	buf_init(&b);
	metrics_render(&b);
	return buf_take(&b);
}

/* The value of the sample line starting with prefix, or -1. */
static long long
sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

/* The value of latency series suffix (_bucket, _count) of routes[0]
 * with more labels after its own. */
static long long
route_sample(const char *text, const char *suffix, const char *more)
{
	char *key = xasprintf("inventory_http_request_duration_seconds%s"
	    "{method=\"GET\",route=\"%s\"%s}", suffix, routes[0].pattern,
	    more);
	long long v = sample(text, key);

	free(key);
	return v;
}

/* Runs count requests of route 0 / status 200 in a child process. */
static void
child_requests(int count)
{
	pid_t pid = fork();
	int st, i;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		metrics_init(&cfg);
		for (i = 0; i < count; i++)
			metrics_request(0, 200, 700);
		tu_child_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(counts_requests_by_route_and_status)
{
	char *text, *want;

	metrics_init(&cfg);
	metrics_request(0, 200, 100);
	metrics_request(0, 200, 3000);
	metrics_request(0, 418, 100);
	metrics_request(-1, 404, 100);
	text = render();
	want = xasprintf("inventory_http_requests_total{method=\"GET\","
	    "route=\"%s\",status=\"200\"}", routes[0].pattern);
	ck_assert_int_eq(sample(text, want), 2);
	free(want);
	want = xasprintf("inventory_http_requests_total{method=\"GET\","
	    "route=\"%s\",status=\"other\"}", routes[0].pattern);
	ck_assert_int_eq(sample(text, want), 1);
	free(want);
	ck_assert_int_eq(sample(text, "inventory_http_requests_total{method="
	    "\"\",route=\"none\",status=\"404\"}"), 1);
	/* Latency is by route too. */
	ck_assert_int_eq(route_sample(text, "_bucket", ",le=\"0.0005\""), 2);
	ck_assert_int_eq(route_sample(text, "_bucket", ",le=\"0.005\""), 3);
	ck_assert_int_eq(route_sample(text, "_bucket", ",le=\"+Inf\""), 3);
	ck_assert_int_eq(route_sample(text, "_count", ""), 3);
	ck_assert_int_eq(sample(text, "inventory_http_request_duration_seconds"
	    "_count{method=\"\",route=\"none\"}"), 1);
	/* A route that saw no request has no series. */
	ck_assert_ptr_null(strstr(text, "route=\"none\",le=\"+Inf\"} 0"));
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE inventory_http_requests_total counter\n"));
	free(text);
}
END_TEST

START_TEST(processes_add_up)
{
	char *text, *key;

	child_requests(3);
	child_requests(4);
	metrics_init(&cfg);
	metrics_request(0, 200, 10);
	text = render();
	key = xasprintf("inventory_http_requests_total{method=\"GET\","
	    "route=\"%s\",status=\"200\"}", routes[0].pattern);
	/* The children are gone, their counts stay: counters never drop. */
	ck_assert_int_eq(sample(text, key), 8);
	ck_assert_int_eq(sample(text, "inventory_processes"), 1);
	free(key);
	free(text);
}
END_TEST

START_TEST(gauges_are_summed)
{
	struct metrics_gauges g = { 5, 6, 7, 8, 9 };
	char *text;

	metrics_init(&cfg);
	metrics_set_gauges(&g);
	text = render();
	ck_assert_int_eq(sample(text, "inventory_cache_hits_total"), 5);
	ck_assert_int_eq(sample(text, "inventory_cache_misses_total"), 6);
	ck_assert_int_eq(sample(text, "inventory_cache_errors_total"), 7);
	ck_assert_int_eq(sample(text, "inventory_db_reconnects_total"), 8);
	ck_assert_int_eq(sample(text,
	    "inventory_db_transaction_retries_total"), 9);
	free(text);
}
END_TEST

START_TEST(unusable_file_falls_back_to_own_counters)
{
	char *why, *text;

	config_free(&cfg);
	ck_assert_int_eq(config_load_string(&cfg,
	    "jwt_secret = 0123456789abcdef0123456789abcdef\n"
	    "metrics_file = /nonexistent/dir/metrics\n", "t", &why), INV_OK);
	metrics_init(&cfg);
	metrics_request(0, 200, 10);
	text = render();
	ck_assert_int_eq(route_sample(text, "_count", ""), 1);
	free(text);
}
END_TEST

START_TEST(times_statements_by_name)
{
	char *text;

	metrics_init(&cfg);
	metrics_statement(STMT_USER_BY_ID, 700);
	metrics_statement(STMT_USER_BY_ID, 30000);
	metrics_statement(STMT_ORDER_SWEEP, 100);
	text = render();
	ck_assert_int_eq(sample(text, "inventory_db_statement_duration_seconds"
	    "_bucket{statement=\"user_by_id\",le=\"0.0005\"}"), 0);
	ck_assert_int_eq(sample(text, "inventory_db_statement_duration_seconds"
	    "_bucket{statement=\"user_by_id\",le=\"0.001\"}"), 1);
	ck_assert_int_eq(sample(text, "inventory_db_statement_duration_seconds"
	    "_bucket{statement=\"user_by_id\",le=\"+Inf\"}"), 2);
	ck_assert_int_eq(sample(text, "inventory_db_statement_duration_seconds"
	    "_count{statement=\"user_by_id\"}"), 2);
	ck_assert_ptr_nonnull(strstr(text, "inventory_db_statement_duration_"
	    "seconds_sum{statement=\"user_by_id\"} 0.030700\n"));
	ck_assert_int_eq(sample(text, "inventory_db_statement_duration_seconds"
	    "_count{statement=\"order_sweep\"}"), 1);
	/* Statements that never ran have no series. */
	ck_assert_ptr_null(strstr(text, "statement=\"user_insert\""));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE inventory_db_statement_"
	    "duration_seconds histogram\n"));
	free(text);
}
END_TEST

/* Number of lines of text starting with prefix. */
static int
lines_with(const char *text, const char *prefix)
{
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, prefix)) != NULL) {
		if (p == text || p[-1] == '\n')
			n++;
		p += strlen(prefix);
	}
	return n;
}

START_TEST(reports_build_and_each_live_process)
{
	char *text, *key;

	child_requests(1);	/* a gone process: no series of its own */
	metrics_init(&cfg);
	text = render();
	ck_assert_int_eq(sample(text, "inventory_build_info{version=\""
	    PACKAGE_VERSION "\"}"), 1);
	key = xasprintf("process_open_fds{pid=\"%d\"}", (int)getpid());
	ck_assert_int_ge(sample(text, key), 3);
	free(key);
	key = xasprintf("process_resident_memory_bytes{pid=\"%d\"}",
	    (int)getpid());
	ck_assert_int_gt(sample(text, key), 100000);
	free(key);
	key = xasprintf("process_start_time_seconds{pid=\"%d\"}",
	    (int)getpid());
	/* Started within the last day, by the wall clock. */
	ck_assert_int_gt(sample(text, key), (long long)time(NULL) - 86400);
	ck_assert_int_le(sample(text, key), (long long)time(NULL));
	free(key);
	key = xasprintf("process_cpu_seconds_total{pid=\"%d\"}",
	    (int)getpid());
	ck_assert_int_ge(sample(text, key), 0);
	free(key);
	ck_assert_int_eq(lines_with(text, "process_open_fds{"), 1);
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE process_cpu_seconds_total counter\n"));
	free(text);
}
END_TEST

/* A new process in a gone process's slot adds to its counts. */
START_TEST(gauges_survive_a_reused_slot)
{
	struct metrics_gauges g = { 0, 0, 0, 0, 3 };
	pid_t pid = fork();
	char *text;
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		metrics_init(&cfg);
		metrics_set_gauges(&g);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	metrics_init(&cfg);	/* takes the dead child's slot */
	g.db_tx_retries = 1;
	metrics_set_gauges(&g);
	text = render();
	ck_assert_int_eq(sample(text,
	    "inventory_db_transaction_retries_total"), 4);
	free(text);
}
END_TEST

/* The file a previous version left (another magic, another size) is
 * replaced; a process of that version keeps the file it had. */
START_TEST(another_versions_file_is_replaced)
{
	static const char old_magic[8] = "2RTEMVNI";	/* "INVMETR2" */
	char junk[4096], magic[8];
	char *text;
	int fd, old;

	memset(junk, 0x5a, sizeof(junk));
	memcpy(junk, old_magic, sizeof(old_magic));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (int)sizeof(junk));
	old = fd;	/* as the old version's process holds it */
	metrics_init(&cfg);
	metrics_request(0, 200, 10);
	text = render();
	ck_assert_int_eq(route_sample(text, "_count", ""), 1);
	ck_assert_int_eq(sample(text, "inventory_processes"), 1);
	free(text);
	/* The path is a file of this version now; the old one untouched. */
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, magic, 8, 0), 8);
	ck_assert(memcmp(magic, "4RTEMVNI", 8) == 0);
	close(fd);
	ck_assert_int_eq(pread(old, magic, 8, 0), 8);
	ck_assert(memcmp(magic, old_magic, 8) == 0);
	close(old);
}
END_TEST

/* Workers count their jobs and when they were at work into the file;
 * only FastCGI processes count as inventory_processes. */
START_TEST(workers_count_jobs_and_last_seen)
{
	int ready[2], go[2], st;
	char *text, c = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		metrics_init_kind(&cfg, METRICS_WORKER);
		metrics_job(METRICS_JOB_DONE);
		metrics_job(METRICS_JOB_DONE);
		metrics_job(METRICS_JOB_FAILED);
		metrics_worker_seen();
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			tu_child_exit(1);
		tu_child_exit(0);
	}
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	metrics_init(&cfg);
	text = render();
	ck_assert_int_eq(sample(text,
	    "inventory_worker_jobs_total{result=\"done\"}"), 2);
	ck_assert_int_eq(sample(text,
	    "inventory_worker_jobs_total{result=\"failed\"}"), 1);
	ck_assert_int_ge(sample(text,
	    "inventory_worker_last_seen_timestamp_seconds"),
	    (long long)time(NULL) - 60);
	/* The live worker is no FastCGI process: not counted, no
	 * process_* series. */
	ck_assert_int_eq(sample(text, "inventory_processes"), 1);
	ck_assert_int_eq(lines_with(text, "process_open_fds{"), 1);
	free(text);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* inventoryctl audit writes its result into a file the services made,
 * and never makes one (it would be root's). */
START_TEST(audit_result_goes_to_an_existing_file)
{
	char *text;

	ck_assert(!metrics_audit_store(&cfg, 3));
	ck_assert_int_ne(access(path, F_OK), 0);
	metrics_init(&cfg);
	text = render();
	ck_assert_int_eq(sample(text, "inventory_audit_timestamp_seconds"),
	    0);
	free(text);
	ck_assert(metrics_audit_store(&cfg, 3));
	text = render();
	ck_assert_int_eq(sample(text, "inventory_audit_violations"), 3);
	ck_assert_int_ge(sample(text, "inventory_audit_timestamp_seconds"),
	    (long long)time(NULL) - 60);
	free(text);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("shared");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts_requests_by_route_and_status);
	tcase_add_test(tc, processes_add_up);
	tcase_add_test(tc, times_statements_by_name);
	tcase_add_test(tc, reports_build_and_each_live_process);
	tcase_add_test(tc, gauges_are_summed);
	tcase_add_test(tc, gauges_survive_a_reused_slot);
	tcase_add_test(tc, unusable_file_falls_back_to_own_counters);
	tcase_add_test(tc, another_versions_file_is_replaced);
	tcase_add_test(tc, workers_count_jobs_and_last_seen);
	tcase_add_test(tc, audit_result_goes_to_an_existing_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(metrics_suite(), NULL);
}
