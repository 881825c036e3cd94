/*
 * testworker.c: what the suites of inventory-worker share (testworker.h):
 * the fixture, orders made as the API makes them, the worker program run
 * and killed for real, and the checks of the database and the queue.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "order_flow.h"
#include "queue.h"
#include "testredis.h"
#include "testutil.h"
#include "testworker.h"


struct app *tw_app;
struct queue *tw_q;
char tw_outfile[64];

void
tw_setup(void)
{
	tw_app = tu_app();
	tu_reset_db(tw_app);
	tr_connect(tw_app->cfg);
	tr_wipe_queue();
	ck_assert_int_eq(queue_open(&tw_q, tw_app->cfg), INV_OK);
	ck_assert_int_eq(db_exec_script(tw_app->db,
	    "INSERT INTO users (id, email, full_name, hashed_password) "
	    "VALUES (1, 'buyer@example.com', 'Buyer', 'x')"), INV_OK);
	snprintf(tw_outfile, sizeof(tw_outfile), "/tmp/check_worker.%d.log",
	    (int)getpid());
}

void
tw_teardown(void)
{
	queue_close(tw_q);
	tw_q = NULL;
	tr_disconnect();
	unlink(tw_outfile);
}

/* Runs test-only SQL (the statement table holds the programs' SQL). */
void
tw_sql(const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(db_exec_script(tw_app->db, text), INV_OK);
	free(text);
}

/* Product id with stock units in stock, its ledger starting there. */
void
tw_seed_product(int64_t id, int stock)
{
	tw_sql("INSERT INTO products (id, sku, name, price) VALUES (%" PRId64
	    ", 'SKU-%" PRId64 "', 'Product %" PRId64 "', 9.99);"
	    "INSERT INTO inventory (id, product_id, quantity_in_stock) "
	    "VALUES (%" PRId64 ", %" PRId64 ", %d);"
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, reason) VALUES (%" PRId64 ", %" PRId64
	    ", %d, 'initial stock')", id, id, id, id, id, stock, id, id,
	    stock);
}

struct create {
	struct order_new	o;
	int64_t			id;
	struct order_touched	touched;
	struct order_refused	refused;
};

static enum inv_err
create_tx(struct db *db, void *arg)
{
	struct create *c = arg;

	return order_flow_create(db, &c->o, &c->id, NULL, NULL, &c->touched,
	    &c->refused);
}

/* A pending order of qty of product_id, reserved as the API does it;
 * not enqueued. */
int64_t
tw_make_order(int64_t product_id, int64_t qty)
{
	struct order_line line = { product_id, qty };
	struct create c;

	memset(&c, 0, sizeof(c));
	c.o.user_id = TW_USER_ID;
	c.o.shipping_address = "1 Queue Street";
	c.o.lines = &line;
	c.o.nlines = 1;
	ck_assert_int_eq(db_transaction(tw_app->db, create_tx, &c), INV_OK);
	ck_assert_int_gt(c.id, 0);
	return c.id;
}

/* The order's status and reservation, as the database has them. */
void
tw_order_state(int64_t id, char status[16], char reservation[16])
{
	struct db_val p[1] = { DB_INT(id) };
	struct db_res *r = NULL;

	ck_assert_int_eq(db_exec(tw_app->db, STMT_ORDER_LOCK, p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	snprintf(status, 16, "%s", db_res_str(r, 0, 1));
	snprintf(reservation, 16, "%s", db_res_str(r, 0, 2));
	db_res_free(r);
}

void
tw_assert_order(int64_t id, const char *status, const char *reservation)
{
	char st[16], res[16];

	tw_order_state(id, st, res);
	ck_assert_msg(strcmp(st, status) == 0 && strcmp(res, reservation) ==
	    0, "order %" PRId64 ": %s/%s, expected %s/%s", id, st, res,
	    status, reservation);
}

/* The order's notes (new string, "" for none). */
char *
tw_order_notes(int64_t id)
{
	struct db_val p[1] = { DB_INT(id) };
	struct db_res *r = NULL;
	char *notes;

	ck_assert_int_eq(db_exec(tw_app->db, STMT_ORDER_BY_ID, p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	notes = xstrdup(db_res_isnull(r, 0, ORDER_COL_NOTES) ? "" :
	    db_res_str(r, 0, ORDER_COL_NOTES));
	db_res_free(r);
	return notes;
}

/* How many times needle occurs in hay. */
int
tw_occurrences(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Product id's quantity reserved. */
int64_t
tw_reserved(int64_t product_id)
{
	struct db_res *r = NULL;
	int64_t v = -1;
	size_t i;

	ck_assert_int_eq(db_exec(tw_app->db, STMT_ORDER_AUDIT, NULL, 0, &r, NULL,
	    NULL), INV_OK);
	for (i = 0; i < db_res_rows(r); i++)
		if (db_res_int(r, i, AUDIT_COL_PRODUCT_ID) == product_id)
			v = db_res_int(r, i, AUDIT_COL_RESERVED);
	db_res_free(r);
	ck_assert_int_ge(v, 0);
	return v;
}

/* Stock, reservations and the ledger agree for every product. */
void
tw_assert_stock_invariants(void)
{
	size_t products, bad = 99;

	ck_assert_int_eq(order_flow_audit(tw_app->db, &products, &bad), INV_OK);
	ck_assert_uint_gt(products, 0);
	ck_assert_uint_eq(bad, 0);
}

const char *
tw_worker_bin(void)
{
	const char *p = getenv("INVENTORY_WORKER");

	/* make check runs the suites in the build directory. */
	return p != NULL && *p != '\0' ? p : "src/inventory-worker";
}

/* inventoryctl beside the worker (new string). */
char *
tw_ctl_bin(void)
{
	const char *w = tw_worker_bin(), *slash = strrchr(w, '/');

	return slash == NULL ? xstrdup("inventoryctl") :
	    xasprintf("%.*sinventoryctl", (int)(slash - w + 1), w);
}

/*
 * Starts bin with argv (NULL-terminated, argv[0] included) and the
 * settings env ("KEY=VALUE", NULL-terminated; may be NULL) added to the
 * environment; stdout and stderr go to the file out, stdin is /dev/null.
 */
pid_t
tw_spawn_to(const char *out, const char *bin, const char *const *argv,
    const char *const *env)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == 0) {
		for (; env != NULL && *env != NULL; env++)
			putenv((char *)*env);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
		    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* spawn_to tw_outfile, the last run's output. */
pid_t
tw_spawn(const char *bin, const char *const *argv, const char *const *env)
{
	return tw_spawn_to(tw_outfile, bin, argv, env);
}

/* Waits for pid; its exit status (a signal death fails the test). */
int
tw_reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "process died of signal %d",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

/* What the file path holds (new string). */
char *
tw_file_text(const char *path)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return b.data != NULL ? buf_take(&b) : xstrdup("");
}

/* What the last run wrote (new string). */
char *
tw_run_output(void)
{
	return tw_file_text(tw_outfile);
}

/* Fails unless the last run's output contains what. */
void
tw_assert_output_has(const char *what)
{
	char *out = tw_run_output();

	ck_assert_msg(strstr(out, what) != NULL, "no \"%s\" in:\n%s", what,
	    out);
	free(out);
}

/* Runs `inventory-worker --drain --worker-id id` with env to the end;
 * its exit status. Logs at info, for the summary line. */
int
tw_drain(const char *id, const char *const *env)
{
	const char *argv[] = { tw_worker_bin(), "--drain", "--worker-id", id,
	    NULL };
	const char *base[16] = { "INVENTORY_LOG_LEVEL=info" };
	size_t n = 1;

	for (; env != NULL && *env != NULL && n < 15; env++)
		base[n++] = *env;
	base[n] = NULL;
	return tw_reap(tw_spawn(tw_worker_bin(), argv, base));
}

/* Polls until list key holds n elements. */
void
tw_wait_for_len(const char *key, long long n)
{
	int i;

	for (i = 0; i < TW_POLLS; i++) {
		if (tr_int("LLEN %s", key) == n)
			return;
		usleep(50000);
	}
	ck_abort_msg("%s did not reach %lld elements", key, n);
}

/* Polls until key exists, or is gone. */
void
tw_wait_for_key(const char *key, bool exists)
{
	int i;

	for (i = 0; i < TW_POLLS; i++) {
		if ((tr_int("EXISTS %s", key) == 1) == exists)
			return;
		usleep(50000);
	}
	ck_abort_msg("%s did not %s", key, exists ? "appear" : "go");
}

void
tw_assert_queue_empty(void)
{
	struct queue_stats st;

	ck_assert_int_eq(queue_get_stats(tw_q, &st), INV_OK);
	ck_assert_int_eq(st.depth[QUEUE_HIGH] + st.depth[QUEUE_DEFAULT] +
	    st.depth[QUEUE_LOW] + st.inflight + st.scheduled + st.dead, 0);
}

