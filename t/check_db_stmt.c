/*
 * check_db_stmt.c: db.c's statements and transactions against a real
 * MariaDB (integration): typed parameters and cells, NULLs, long values,
 * commits, rollbacks, retries on deadlock.
 */
#include "testdb.h"

/* Runs STMT_USER_COUNT with db_slow_statement_ms = ms; returns what
 * this process logged meanwhile (new). */
static char *
count_logging(double ms)
{
	char file[] = "check_db-log.XXXXXX";
	struct stat st;
	char *text;
	int saved, fd;
	ssize_t n;

	cfg.db_slow_statement_ms = ms;	/* db borrows cfg */
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(fd = mkstemp(file), 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	user_count(db);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	ck_assert_int_eq(fstat(fd, &st), 0);
	text = xcalloc(1, (size_t)st.st_size + 1);
	n = pread(fd, text, (size_t)st.st_size, 0);
	close(fd);
	unlink(file);
	ck_assert_int_eq(n, st.st_size);
	return text;
}

/* The count of STMT_USER_COUNT runs in this process's /metrics. */
static long long
count_runs(void)
{
	static const char key[] = "inventory_db_statement_duration_seconds"
	    "_count{statement=\"user_count\"} ";
	struct buf b;
	const char *p;
	long long n;

	buf_init(&b);
	metrics_render(&b);
	p = strstr(b.data, key);
	n = p != NULL ? atoll(p + strlen(key)) : 0;
	buf_free(&b);
	return n;
}

START_TEST(test_statements_timed_and_slow_logged)
{
	char *text;

	/* This process's own counters, not the served ones' file. */
	cfg.metrics_file[0] = '\0';
	metrics_init(&cfg);
	user_count(db);
	ck_assert_int_eq(count_runs(), 1);
	text = count_logging(0.001);
	ck_assert_msg(strstr(text, "level=warn") != NULL &&
	    strstr(text, "slow statement=user_count duration_ms=") != NULL,
	    "not logged: %s", text);
	free(text);
	text = count_logging(3600000);
	ck_assert_msg(strstr(text, "slow statement") == NULL, "logged: %s",
	    text);
	free(text);
	text = count_logging(0);	/* off */
	ck_assert_msg(strstr(text, "slow statement") == NULL, "logged: %s",
	    text);
	free(text);
	ck_assert_int_eq(count_runs(), 4);
}
END_TEST

/*
 * MariaDB describes the RETURNING of an INSERT only once it has run, so
 * db_prepare_all cannot count its columns: each such statement runs here,
 * and db_exec refuses a result whose columns are not the ones its row of
 * the statement table gives (the enum callers read it by).
 */
START_TEST(test_returning_columns)
{
	struct db_val prod[8] = { DB_STR("p1"), DB_STR("P1"), DB_NULL,
	    DB_STR("5.00"), DB_NULL, DB_NULL, DB_NULL, DB_NULL };
	struct db_val inv[5], moves[5];
	struct db_res *r = NULL;
	int64_t uid, oid;
	uint64_t pid = 0;
	char *sql;

	uid = add_user(db, "buyer@example.org", "Buyer", 0);
	ck_assert_int_eq(db_exec(db, STMT_PRODUCT_INSERT, prod, 8, NULL, NULL,
	    &pid), INV_OK);
	inv[0] = DB_INT((int64_t)pid);
	inv[1] = DB_INT(5);
	inv[2] = inv[3] = inv[4] = DB_INT(0);
	ck_assert_int_eq(db_exec(db, STMT_INV_INSERT, inv, 5, NULL, NULL,
	    NULL), INV_OK);

	/* The order as order_create (schema/) would make it. */
	oid = 4242;
	sql = xasprintf("INSERT INTO orders (id, order_number, user_id, "
	    "reservation, total_amount, shipping_address) VALUES (%" PRId64
	    ", 'ORD-0000000A', %" PRId64 ", 'held', 5, 'here'); "
	    "INSERT INTO order_items (order_id, product_id, quantity, "
	    "unit_price) VALUES (%" PRId64 ", %" PRIu64 ", 1, 5)", oid, uid,
	    oid, pid);
	ck_assert_int_eq(db_exec_script(db, sql), INV_OK);
	free(sql);

	moves[0] = DB_INT(0);
	moves[1] = DB_INT(1);
	moves[2] = DB_STR("test");
	moves[3] = DB_INT(uid);
	moves[4] = DB_INT(oid);
	ck_assert_int_eq(db_exec(db, STMT_ORDER_MOVEMENTS, moves, 5, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, 1), (int64_t)pid);
	db_res_free(r);
}
END_TEST

/* Checks that s reads YYYY-MM-DDTHH:MM:SSZ and is within two minutes of
 * now as UTC. */
static void
check_iso_utc_now(const char *s)
{
	struct tm tm;
	time_t t;
	size_t i;

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), 20);
	for (i = 0; i < 20; i++) {
		switch (i) {
		case 4: case 7:
			ck_assert_int_eq(s[i], '-');
			break;
		case 10:
			ck_assert_int_eq(s[i], 'T');
			break;
		case 13: case 16:
			ck_assert_int_eq(s[i], ':');
			break;
		case 19:
			ck_assert_int_eq(s[i], 'Z');
			break;
		default:
			ck_assert_msg(s[i] >= '0' && s[i] <= '9', "%s", s);
		}
	}
	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
	t = timegm(&tm);
	ck_assert_msg(labs((long)(t - time(NULL))) < 120,
	    "created_at %s is not now in UTC", s);
}

START_TEST(test_user_roundtrip)
{
	struct db_val pid[1], pem[1] = { DB_STR("Ann@Example.org") };
	struct db_res *r = NULL;
	int64_t id;

	id = add_user(db, "ann@example.org",
	    "Ann \xc3\x85str\xc3\xb6m \xf0\x9f\x93\xa6", 1);
	pid[0] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_ID, pid, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), id);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_EMAIL), "ann@example.org");
	/* Four-byte UTF-8 survives: the connection is utf8mb4. */
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_FULL_NAME),
	    "Ann \xc3\x85str\xc3\xb6m \xf0\x9f\x93\xa6");
	ck_assert(db_res_bool(r, 0, USER_COL_IS_ACTIVE));
	ck_assert(db_res_bool(r, 0, USER_COL_IS_ADMIN));
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_IS_ADMIN), "1");
	check_iso_utc_now(db_res_str(r, 0, USER_COL_CREATED_AT));
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_HASH),
	    "$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA");
	ck_assert(!db_res_isnull(r, 0, USER_COL_HASH));
	/* Outside the result: NULL, never a crash. */
	ck_assert_ptr_null(db_res_str(r, 1, 0));
	ck_assert_ptr_null(db_res_str(r, 0, USER_COL__MAX));
	db_res_free(r);

	/* The column compares byte for byte: the programs look addresses up
	 * in their canonical form (email_canonical), never another. */
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, pem, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 0);
	db_res_free(r);
	pem[0] = DB_STR("ann@example.org");
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, pem, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), id);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_TOKEN_VERSION), 0);
	db_res_free(r);
}
END_TEST

START_TEST(test_user_not_found_is_empty)
{
	struct db_val p[1] = { DB_STR("nobody@example.org") };
	struct db_res *r = NULL;

	ck_assert_int_eq(db_exec(db, STMT_USER_BY_EMAIL, p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(db_res_rows(r), 0);
	ck_assert_ptr_null(db_res_str(r, 0, 0));
	ck_assert_int_eq(db_res_int(r, 0, 0), 0);
	db_res_free(r);
	db_res_free(NULL);
}
END_TEST

START_TEST(test_user_list_and_count)
{
	struct db_val p[3] = { DB_INT(0), DB_INT(2), DB_INT(1) };
	struct db_res *r = NULL;
	int64_t ids[3];

	ids[0] = add_user(db, "a@example.org", "A", 0);
	ids[1] = add_user(db, "b@example.org", "B", 0);
	ids[2] = add_user(db, "c@example.org", "C", 0);
	ck_assert_int_eq(user_count(db), 3);
	ck_assert_int_eq(db_exec(db, STMT_USER_LIST, p, 3, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 2);
	ck_assert_int_eq(db_res_int(r, 0, USER_COL_ID), ids[1]);
	ck_assert_int_eq(db_res_int(r, 1, USER_COL_ID), ids[2]);
	ck_assert_str_eq(db_res_str(r, 1, USER_COL_EMAIL), "c@example.org");
	/* The list never carries the hash. */
	ck_assert_ptr_null(db_res_str(r, 0, USER_COL_HASH));
	db_res_free(r);
}
END_TEST

/* email_identity_one_per_address: the unique key is on the stored
 * (canonical) form, compared byte for byte: accents are distinct. */
START_TEST(test_duplicate_email_conflicts)
{
	struct db_val p[4] = { DB_STR("bob@example.org"), DB_STR("Bob"),
	    DB_STR("x"), DB_INT(0) };

	add_user(db, "bob@example.org", "Bob", 0);
	ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, p, 4, NULL, NULL, NULL),
	    INV_CONFLICT);
	ck_assert_int_eq(user_count(db), 1);
	/* The connection is fine after the refusal. */
	ck_assert_int_eq(db_ping(db), INV_OK);
	add_user(db, "b\xc3\xb3" "b@example.org", "B\xc3\xb3" "b", 0);
	add_user(db, "bob@ex\xc3\xa4mple.org", "Bob", 0);
	ck_assert_int_eq(user_count(db), 3);
}
END_TEST

/* NULL parameters keep columns (COALESCE); NULL results read as NULL. */
START_TEST(test_null_params_and_results)
{
	struct db_val up[5], lk[1] = { DB_STR("check_db_never_taken") };
	struct db_res *r = NULL;
	uint64_t n = 0;
	int64_t id;
	char *cond;

	id = add_user(db, "nul@example.org", "Kept", 0);
	up[0] = DB_NULL;
	up[1] = DB_INT(0);
	up[2] = DB_INT(0);
	up[3] = DB_INT(1);
	up[4] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 1);
	cond = xasprintf("(SELECT full_name = 'Kept' AND NOT is_active AND "
	    "NOT is_admin AND token_version = 1 FROM users WHERE id = %lld)",
	    (long long)id);
	ck_sql(cond);
	free(cond);
	/* Same values again: still one row, as "affected" counts matches. */
	up[3] = DB_INT(0);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 1);
	up[4] = DB_INT(id + 1000);
	ck_assert_int_eq(db_exec(db, STMT_USER_UPDATE, up, 5, NULL, &n, NULL),
	    INV_OK);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(db_exec(db, STMT_RELEASE_LOCK, lk, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert(db_res_isnull(r, 0, 0));
	ck_assert_ptr_null(db_res_str(r, 0, 0));
	ck_assert_int_eq(db_res_int(r, 0, 0), 0);
	ck_assert(!db_res_bool(r, 0, 0));
	db_res_free(r);
}
END_TEST

/* Values near the column limits come back whole. */
START_TEST(test_long_values)
{
	struct db_val p[2], q[1];
	struct db_res *r = NULL;
	char name[256], hash[256];
	int64_t id;

	memset(name, 'n', 255);
	name[255] = '\0';
	memset(hash, 'h', 255);
	hash[255] = '\0';
	id = add_user(db, "long@example.org", name, 0);
	p[0] = DB_STR(hash);
	p[1] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_SET_HASH, p, 2, NULL, NULL,
	    NULL), INV_OK);
	q[0] = DB_INT(id);
	ck_assert_int_eq(db_exec(db, STMT_USER_BY_ID, q, 1, &r, NULL, NULL),
	    INV_OK);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_FULL_NAME), name);
	ck_assert_str_eq(db_res_str(r, 0, USER_COL_HASH), hash);
	db_res_free(r);
	/* Too long is refused, not truncated (strict mode). */
	{
		char big[300];
		struct db_val b[4];

		memset(big, 'x', 299);
		big[299] = '\0';
		b[0] = DB_STR("big@example.org");
		b[1] = DB_STR(big);
		b[2] = DB_STR("h");
		b[3] = DB_INT(0);
		ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, b, 4, NULL,
		    NULL, NULL), INV_DB);
	}
	ck_assert_int_eq(user_count(db), 1);
}
END_TEST

/*
 * Integer and time columns are fetched as such and written as the client
 * would write them: a BIGINT past 32 bits, the extremes of INT, NULLs,
 * DATETIMEs; and a result sorted in C keeps each row together. (Not
 * BIGINT's maximum as a product id: the next test's AUTO_INCREMENT
 * would overflow.)
 */
START_TEST(test_typed_cells)
{
	struct db_val p;
	struct db_res *r = NULL;
	int64_t uid = add_user(db, "typed@example.org", "T", 0);
	char *sql;
	size_t row;

	sql = xasprintf("INSERT INTO products (id, sku, name, price) VALUES "
	    "(1099511627776, 'MAX', 'Max', 1.50), (1, 'ONE', 'One', 2); "
	    "INSERT INTO inventory (id, product_id, quantity_in_stock) VALUES "
	    "(7, 1099511627776, 5), (8, 1, 5); "
	    "INSERT INTO stock_movements (inventory_id, product_id, "
	    "change_in_stock, change_reserved, reason, user_id) VALUES "
	    "(7, 1099511627776, -2147483648, 0, 'min', %" PRId64 "), "
	    "(7, 1099511627776, 2147483647, -1, 'max', NULL); "
	    "INSERT INTO orders (id, order_number, user_id, total_amount, "
	    "shipping_address, created_at, updated_at) VALUES (42, 'ORD-T', "
	    "%" PRId64 ", 3.50, 'a', '2026-01-02 03:04:05', "
	    "'2026-12-31 23:59:59'); "
	    "INSERT INTO order_items (id, order_id, product_id, quantity, "
	    "unit_price) VALUES (20, 42, 1, 1, 2.00), "
	    "(10, 42, 1099511627776, 1, 1.50)", uid, uid);
	ck_assert_int_eq(db_exec_script(db, sql), INV_OK);
	free(sql);

	{
		struct db_val q[4] = { DB_INT(7), DB_INT(INT64_MAX),
		    DB_INT(10), DB_INT(0) };

		ck_assert_int_eq(db_exec(db, STMT_MOVEMENT_LIST, q, 4, &r,
		    NULL, NULL), INV_OK);
	}
	ck_assert_uint_eq(db_res_rows(r), 2);
	/* Newest first: the "max" row, then the "min" one. */
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_PRODUCT_ID),
	    "1099511627776");
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_PRODUCT_ID),
	    INT64_C(1099511627776));
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_CHANGE_IN_STOCK),
	    "2147483647");
	ck_assert_str_eq(db_res_str(r, 0, MOVEMENT_COL_CHANGE_RESERVED), "-1");
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_CHANGE_RESERVED), -1);
	ck_assert(db_res_isnull(r, 0, MOVEMENT_COL_USER_ID));
	ck_assert_int_eq(db_res_int(r, 0, MOVEMENT_COL_USER_ID), 0);
	ck_assert_str_eq(db_res_str(r, 1, MOVEMENT_COL_CHANGE_IN_STOCK),
	    "-2147483648");
	ck_assert_int_eq(db_res_int(r, 1, MOVEMENT_COL_CHANGE_IN_STOCK),
	    INT32_MIN);
	ck_assert_int_eq(db_res_int(r, 1, MOVEMENT_COL_USER_ID), uid);
	db_res_free(r);

	p = DB_INT(42);
	ck_assert_int_eq(db_exec(db, STMT_ORDER_BY_ID, &p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_CREATED_AT),
	    "2026-01-02 03:04:05");
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_UPDATED_AT),
	    "2026-12-31 23:59:59");
	ck_assert_str_eq(db_res_str(r, 0, ORDER_COL_TOTAL), "3.50");
	ck_assert(db_res_isnull(r, 0, ORDER_COL_TRACKING));
	db_res_free(r);

	p = DB_STR("[42]");
	ck_assert_int_eq(db_exec(db, STMT_ORDER_ITEMS_OF, &p, 1, &r, NULL,
	    NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 2);
	db_res_sort(r, ORDER_ITEM_COL_ORDER_ID, ORDER_ITEM_COL_ID);
	for (row = 0; row < 2; row++) {
		ck_assert_int_eq(db_res_int(r, row, ORDER_ITEM_COL_ID),
		    row == 0 ? 10 : 20);
		ck_assert_str_eq(db_res_str(r, row, ORDER_ITEM_COL_PRODUCT_NAME),
		    row == 0 ? "Max" : "One");
		ck_assert_str_eq(db_res_str(r, row, ORDER_ITEM_COL_UNIT_PRICE),
		    row == 0 ? "1.50" : "2.00");
	}
	db_res_free(r);
	ck_assert_int_eq(db_exec_script(db, clean_sql), INV_OK);
	ck_assert_int_eq(db_exec_script(odb, "ALTER TABLE products "
	    "AUTO_INCREMENT = 1"), INV_OK);
}
END_TEST

START_TEST(test_param_count_mismatch)
{
	struct db_val p[1] = { DB_INT(1) };

	ck_assert_int_eq(db_exec(db, STMT_USER_INSERT, p, 1, NULL, NULL, NULL),
	    INV_DB);
	ck_assert_int_eq(db_exec(db, STMT_USER_COUNT, p, 1, NULL, NULL, NULL),
	    INV_DB);
	ck_assert_int_eq(db_exec(db, STMT__MAX, NULL, 0, NULL, NULL, NULL),
	    INV_INVALID);
	ck_assert_int_eq(db_ping(db), INV_OK);
}
END_TEST

START_TEST(test_refresh_tokens)
{
	const char *jti = "0123456789abcdef0123456789abcdef";
	const char *fam = "fedcba9876543210fedcba9876543210";
	struct db_val ins[4], one[1] = { DB_STR(jti) }, f[1] = { DB_STR(fam) };
	struct db_res *r = NULL;
	uint64_t n = 0;
	int64_t uid;

	uid = add_user(db, "tok@example.org", "Tok", 0);
	ins[0] = DB_STR(jti);
	ins[1] = DB_INT(uid);
	ins[2] = DB_STR(fam);
	ins[3] = DB_INT(3600);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_OK);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_CONFLICT);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert_uint_eq(db_res_rows(r), 1);
	ck_assert_int_eq(db_res_int(r, 0, 0), uid);
	ck_assert_str_eq(db_res_str(r, 0, 1), fam);
	ck_assert(!db_res_bool(r, 0, 2));	/* used */
	ck_assert(!db_res_bool(r, 0, 3));	/* revoked */
	ck_assert(!db_res_bool(r, 0, 4));	/* expired */
	db_res_free(r);

	/* Used once only. */
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_MARK_USED, one, 1, NULL, &n,
	    NULL), INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_MARK_USED, one, 1, NULL, &n,
	    NULL), INV_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_REVOKE_FAMILY, f, 1, NULL,
	    &n, NULL), INV_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert(db_res_bool(r, 0, 2));
	ck_assert(db_res_bool(r, 0, 3));
	db_res_free(r);

	/* Already expired (UTC against UTC). */
	ins[0] = DB_STR("11111111111111111111111111111111");
	ins[3] = DB_INT(-1);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_OK);
	one[0] = ins[0];
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_BY_JTI_LOCK, one, 1, &r,
	    NULL, NULL), INV_OK);
	ck_assert(db_res_bool(r, 0, 4));
	db_res_free(r);

	/* A token for no user: the foreign key refuses it. */
	ins[0] = DB_STR("22222222222222222222222222222222");
	ins[1] = DB_INT(uid + 1000);
	ck_assert_int_eq(db_exec(db, STMT_REFRESH_INSERT, ins, 4, NULL, NULL,
	    NULL), INV_CONSTRAINT);
}
END_TEST

START_TEST(test_session_is_utc_and_strict)
{
	ck_sql("@@session.time_zone = '+00:00'");
	ck_sql("TIMESTAMPDIFF(SECOND, NOW(), UTC_TIMESTAMP()) BETWEEN -2 AND 2");
	ck_sql("FIND_IN_SET('STRICT_ALL_TABLES', @@session.sql_mode) > 0");
	ck_sql("@@character_set_connection = 'utf8mb4'");
	/* And sql_check itself can fail. */
	ck_assert_int_eq(sql_check(db, "1 = 0"), INV_DB);
	ck_assert_int_eq(sql_check(db, "NULL"), INV_DB);
}
END_TEST

START_TEST(test_tx_commits)
{
	struct txarg a = { 0 };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_OK);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(user_count(db), 1);
}
END_TEST

START_TEST(test_tx_failure_leaves_nothing)
{
	struct txarg a = { .fail_with = INV_INVALID };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_INVALID);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(user_count(db), 0);
	/* The handle is usable and out of the transaction. */
	ck_assert_int_eq(db_exec_script(db, "INSERT INTO products (sku, name, "
	    "price) VALUES ('after', 'After', 1)"), INV_OK);
	ck_sql("@@in_transaction = 0");
}
END_TEST

START_TEST(test_tx_conflict_rolls_back_all)
{
	struct txarg a = { .twice = true };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_CONFLICT);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

START_TEST(test_tx_retry_reruns)
{
	struct txarg a = { .retry_until = 2 };
	uint64_t before = db_tx_retries(db);

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_OK);
	ck_assert_int_eq(a.calls, 2);
	ck_assert_uint_eq(db_tx_retries(db), before + 1);
	/* Only the second run's work is there. */
	ck_assert_int_eq(user_count(db), 1);
	ck_sql("(SELECT email FROM users) = 'tx2@example.org'");
}
END_TEST

START_TEST(test_tx_retry_gives_up)
{
	struct txarg a = { .retry_until = 1000 };
	int tries = cfg.db_retries > 0 ? (int)cfg.db_retries : 3;
	uint64_t before = db_tx_retries(db);

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_RETRY);
	ck_assert_int_eq(a.calls, tries);
	ck_assert_uint_eq(db_tx_retries(db), before + (uint64_t)tries - 1);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

START_TEST(test_tx_nested_refused)
{
	struct txarg a = { .nest = true };

	ck_assert_int_eq(db_transaction(db, tx_insert_fn, &a), INV_DB);
	ck_assert_int_eq(user_count(db), 0);
}
END_TEST

/*
 * A real deadlock: two handles in two threads each update one user row,
 * meet at a barrier, then update the other's row. InnoDB kills one of
 * them (1213); db_transaction must rerun it so that both commit, each
 * change exactly once.
 */
struct dl_side {
	struct db		*db;
	pthread_barrier_t	*bar;
	int64_t			 first, second;
	const char		*tag;
	int			 calls;
	enum inv_err		 rc;
};

static enum inv_err
dl_update(struct db *d, int64_t id, const char *tag)
{
	enum inv_err rc;
	char *sql;

	sql = xasprintf("UPDATE users SET full_name = CONCAT(full_name, '%s') "
	    "WHERE id = %lld", tag, (long long)id);
	rc = db_exec_script(d, sql);
	free(sql);
	return rc;
}

static enum inv_err
dl_fn(struct db *d, void *arg)
{
	struct dl_side *s = arg;
	enum inv_err rc;

	s->calls++;
	if ((rc = dl_update(d, s->first, s->tag)) != INV_OK)
		return rc;
	/* Only the first run waits: the rerun must not wait for a partner
	 * that has finished. */
	if (s->calls == 1)
		pthread_barrier_wait(s->bar);
	return dl_update(d, s->second, s->tag);
}

static void *
dl_thread(void *arg)
{
	struct dl_side *s = arg;

	s->rc = db_transaction(s->db, dl_fn, s);
	return NULL;
}

START_TEST(test_tx_real_deadlock_retried)
{
	struct dl_side a = { 0 }, b = { 0 };
	pthread_barrier_t bar;
	pthread_t ta, tb;
	int64_t x, y;
	char *cond;

	x = add_user(db, "x@example.org", "x", 0);
	y = add_user(db, "y@example.org", "y", 0);
	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 2), 0);
	a.bar = b.bar = &bar;
	a.first = b.second = x;
	a.second = b.first = y;
	a.tag = "A";
	b.tag = "B";
	/* Opened here: mysql_library_init is not thread-safe. */
	ck_assert_int_eq(db_open(&a.db, &cfg), INV_OK);
	ck_assert_int_eq(db_open(&b.db, &cfg), INV_OK);
	ck_assert_int_eq(pthread_create(&ta, NULL, dl_thread, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, dl_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&bar);

	ck_assert_int_eq(a.rc, INV_OK);
	ck_assert_int_eq(b.rc, INV_OK);
	ck_assert_uint_ge(db_tx_retries(a.db) + db_tx_retries(b.db), 1);
	ck_assert_int_ge(a.calls + b.calls, 3);
	cond = xasprintf("(SELECT full_name IN ('xAB', 'xBA') FROM users "
	    "WHERE id = %lld) AND (SELECT full_name IN ('yAB', 'yBA') FROM "
	    "users WHERE id = %lld)", (long long)x, (long long)y);
	ck_sql(cond);
	free(cond);
	db_close(a.db);
	db_close(b.db);
}
END_TEST

static Suite *
stmt_suite(void)
{
	Suite *s = suite_create("db statements");
	TCase *tc;

	tc = tcase_create("statements");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_user_roundtrip);
	tcase_add_test(tc, test_user_not_found_is_empty);
	tcase_add_test(tc, test_user_list_and_count);
	tcase_add_test(tc, test_duplicate_email_conflicts);
	tcase_add_test(tc, test_null_params_and_results);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_typed_cells);
	tcase_add_test(tc, test_param_count_mismatch);
	tcase_add_test(tc, test_returning_columns);
	tcase_add_test(tc, test_refresh_tokens);
	tcase_add_test(tc, test_session_is_utc_and_strict);
	tcase_add_test(tc, test_statements_timed_and_slow_logged);
	suite_add_tcase(s, tc);

	tc = tcase_create("transactions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tx_commits);
	tcase_add_test(tc, test_tx_failure_leaves_nothing);
	tcase_add_test(tc, test_tx_conflict_rolls_back_all);
	tcase_add_test(tc, test_tx_retry_reruns);
	tcase_add_test(tc, test_tx_retry_gives_up);
	tcase_add_test(tc, test_tx_nested_refused);
	tcase_add_test(tc, test_tx_real_deadlock_retried);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return testdb_main(stmt_suite, "check_db_stmt");
}
