/*
 * check_target.c: which webhook targets the service refuses to reach
 * (src/target.c), without any service: addresses of every refused range
 * and their neighbours just outside it, URLs, and names that resolve to
 * refused addresses (through /etc/hosts: "localhost").
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "target.h"
#include "testutil.h"

/* Whether the address text a (IPv4 or IPv6) is refused. */
static bool
private(const char *a)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, a, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		return target_addr_private((struct sockaddr *)&in);
	}
	ck_assert_msg(inet_pton(AF_INET6, a, &in6.sin6_addr) == 1,
	    "%s is no address", a);
	in6.sin6_family = AF_INET6;
	return target_addr_private((struct sockaddr *)&in6);
}

/* Each range's first and last address, and what lies just outside. */
static const struct {
	const char	*addr;
	bool		 refused;
} addrs[] = {
	{ "0.0.0.0", true }, { "0.255.255.255", true },
	{ "1.0.0.0", false },
	{ "127.0.0.1", true }, { "127.255.255.255", true },
	{ "126.255.255.255", false }, { "128.0.0.0", false },
	{ "10.0.0.0", true }, { "10.255.255.255", true },
	{ "9.255.255.255", false }, { "11.0.0.0", false },
	{ "172.16.0.0", true }, { "172.31.255.255", true },
	{ "172.15.255.255", false }, { "172.32.0.0", false },
	{ "192.168.0.0", true }, { "192.168.255.255", true },
	{ "192.167.255.255", false }, { "192.169.0.0", false },
	{ "169.254.0.0", true }, { "169.254.169.254", true },
	{ "169.253.255.255", false }, { "169.255.0.0", false },
	{ "100.64.0.0", true }, { "100.127.255.255", true },
	{ "100.63.255.255", false }, { "100.128.0.0", false },
	{ "224.0.0.1", true }, { "239.255.255.255", true },
	{ "240.0.0.1", true }, { "255.255.255.255", true },
	{ "223.255.255.255", false },
	{ "8.8.8.8", false }, { "93.184.216.34", false },
	{ "::", true }, { "::1", true }, { "::2", true },
	{ "::ffff:127.0.0.1", true }, { "::ffff:10.1.2.3", true },
	{ "::ffff:169.254.169.254", true }, { "::ffff:8.8.8.8", false },
	{ "::127.0.0.1", true }, { "::8.8.8.8", false },
	{ "64:ff9b::7f00:1", true }, { "64:ff9b::808:808", false },
	{ "2002:c0a8:101::1", true }, { "2002:808:808::1", false },
	{ "fc00::1", true }, { "fdff:ffff::1", true }, { "fe00::1", false },
	{ "fe80::1", true }, { "febf::1", true }, { "fec0::1", true },
	{ "ff02::1", true }, { "ff00::", true },
	{ "2001:4860:4860::8888", false }, { "2606:4700::1111", false },
};

START_TEST(address_ranges)
{
	ck_assert_msg(private(addrs[_i].addr) == addrs[_i].refused,
	    "%s: refused %d, want %d", addrs[_i].addr,
	    (int)private(addrs[_i].addr), (int)addrs[_i].refused);
}
END_TEST

/* Families without an address of the Internet are never a target. */
START_TEST(other_families_refused)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert(target_addr_private(&sa));
	ck_assert(target_addr_private(NULL));
}
END_TEST

/* Literal addresses need no resolver: refused or not, whatever the
 * machine's DNS. */
static const struct {
	const char	*url;
	enum target_fault fault;		/* without allow_private */
	enum target_fault allowed;		/* with it */
} urls[] = {
	{ "http://127.0.0.1/hook", TARGET_PRIVATE, TARGET_OK },
	{ "https://127.0.0.1:8443/hook?x=1", TARGET_PRIVATE, TARGET_OK },
	{ "HTTP://10.0.0.5", TARGET_PRIVATE, TARGET_OK },
	{ "http://169.254.169.254/latest/meta-data/", TARGET_PRIVATE,
	    TARGET_OK },
	{ "http://100.64.1.1/", TARGET_PRIVATE, TARGET_OK },
	{ "http://0.0.0.0:9000/", TARGET_PRIVATE, TARGET_OK },
	{ "http://[::1]:8080/", TARGET_PRIVATE, TARGET_OK },
	{ "http://[::ffff:127.0.0.1]/", TARGET_PRIVATE, TARGET_OK },
	{ "http://[fd12:3456::1]/", TARGET_PRIVATE, TARGET_OK },
	{ "http://[fe80::1]/", TARGET_PRIVATE, TARGET_OK },
	/* The resolver reads other IPv4 spellings as the loopback. */
	{ "http://2130706433/", TARGET_PRIVATE, TARGET_OK },
	{ "http://0x7f.1/", TARGET_PRIVATE, TARGET_OK },
	{ "http://127.1/", TARGET_PRIVATE, TARGET_OK },
	{ "http://8.8.8.8/hook", TARGET_OK, TARGET_OK },
	{ "https://[2001:4860:4860::8888]:443/x", TARGET_OK, TARGET_OK },
	{ "ftp://8.8.8.8/", TARGET_SCHEME, TARGET_SCHEME },
	{ "file:///etc/passwd", TARGET_SCHEME, TARGET_SCHEME },
	{ "gopher://127.0.0.1/", TARGET_SCHEME, TARGET_SCHEME },
	{ "8.8.8.8/hook", TARGET_SCHEME, TARGET_SCHEME },
	{ "http://", TARGET_HOST, TARGET_HOST },
	{ "http:///path", TARGET_HOST, TARGET_HOST },
	{ "http://:80/", TARGET_HOST, TARGET_HOST },
	{ "http://user@8.8.8.8/", TARGET_HOST, TARGET_HOST },
	{ "http://8.8.8.8@127.0.0.1/", TARGET_HOST, TARGET_HOST },
	{ "http://[::1/", TARGET_HOST, TARGET_HOST },
	{ "http://[::1]x/", TARGET_HOST, TARGET_HOST },
	{ "http://[nothex]/", TARGET_HOST, TARGET_HOST },
	{ "http://ex%61mple.com/", TARGET_HOST, TARGET_HOST },
	{ "http://[fe80::1%25eth0]/", TARGET_HOST, TARGET_HOST },
};

START_TEST(url_checks)
{
	enum target_fault f = target_url_check(urls[_i].url, false),
	    a = target_url_check(urls[_i].url, true);

	ck_assert_msg(f == urls[_i].fault && a == urls[_i].allowed,
	    "%s: faults %d and %d (allowed), want %d and %d", urls[_i].url,
	    (int)f, (int)a, (int)urls[_i].fault, (int)urls[_i].allowed);
}
END_TEST

/* A name is checked by what it resolves to (localhost comes from
 * /etc/hosts); with allow_private it is not resolved at all. */
START_TEST(names_resolved)
{
	ck_assert_int_eq(target_url_check("http://localhost:8080/", false),
	    TARGET_PRIVATE);
	ck_assert_int_eq(target_url_check("http://LOCALHOST/", false),
	    TARGET_PRIVATE);
	/* Refused either way, whether the resolver takes the root's dot. */
	ck_assert_int_ne(target_url_check("http://localhost./", false),
	    TARGET_OK);
	ck_assert_int_eq(target_url_check("http://localhost:8080/", true),
	    TARGET_OK);
	/* .invalid never resolves (RFC 6761). */
	ck_assert_int_eq(target_url_check("http://nowhere.invalid/", false),
	    TARGET_UNRESOLVED);
	ck_assert_int_eq(target_url_check("http://nowhere.invalid/", true),
	    TARGET_OK);
}
END_TEST

/* The length bound and the host handed back. */
START_TEST(length_and_host)
{
	char url[TARGET_URL_MAX + 2], host[64];
	size_t n;

	n = (size_t)snprintf(url, sizeof(url), "http://8.8.8.8/");
	memset(url + n, 'a', TARGET_URL_MAX - n);
	url[TARGET_URL_MAX] = '\0';
	ck_assert_int_eq(target_url_check(url, false), TARGET_OK);
	url[TARGET_URL_MAX] = 'a';
	url[TARGET_URL_MAX + 1] = '\0';
	ck_assert_int_eq(target_url_check(url, false), TARGET_TOO_LONG);
	ck_assert_int_eq(target_url_host("https://Example.com:443/x", host,
	    sizeof(host)), TARGET_OK);
	ck_assert_str_eq(host, "Example.com");
	ck_assert_int_eq(target_url_host("http://[::1]:80", host,
	    sizeof(host)), TARGET_OK);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(target_url_host("http://a.example?q", host,
	    sizeof(host)), TARGET_OK);
	ck_assert_str_eq(host, "a.example");
	ck_assert_int_eq(target_url_host("http://a.example/", host, 4),
	    TARGET_HOST);
}
END_TEST

#define SECRET "jwt_secret = 0123456789abcdef0123456789abcdef\n"

/* webhook_allow_private as the configuration says it: false unless
 * true|1; any other word refused, naming the key. */
START_TEST(allow_private_key)
{
	static const struct {
		const char	*text;
		int		 want;	/* -1: refused */
	} cases[] = {
		{ SECRET, 0 },
		{ SECRET "webhook_allow_private = true\n", 1 },
		{ SECRET "webhook_allow_private = 1\n", 1 },
		{ SECRET "webhook_allow_private = false\n", 0 },
		{ SECRET "webhook_allow_private = 0\n", 0 },
		{ SECRET "webhook_allow_private = yes\n", -1 },
		{ SECRET "webhook_allow_private = TRUE\n", -1 },
		{ SECRET "webhook_allow_private =\n", -1 },
	};
	struct config cfg;
	char *why = NULL;
	size_t i;

	unsetenv("INVENTORY_WEBHOOK_ALLOW_PRIVATE");
	for (i = 0; i < NROWS(cases); i++) {
		enum inv_err rc = config_load_string(&cfg, cases[i].text, "t",
		    &why);

		if (cases[i].want < 0) {
			ck_assert_msg(rc == INV_CONFIG, "%s: accepted",
			    cases[i].text);
			ck_assert_ptr_nonnull(strstr(why,
			    "webhook_allow_private must be true or false"));
			free(why);
			why = NULL;
			continue;
		}
		ck_assert_msg(rc == INV_OK, "%s: %s", cases[i].text, why);
		ck_assert_int_eq(cfg.webhook_allow_private, cases[i].want);
		config_free(&cfg);
	}
}
END_TEST

static Suite *
target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("ssrf");

	tcase_add_loop_test(tc, address_ranges, 0, NROWS(addrs));
	tcase_add_test(tc, other_families_refused);
	tcase_add_loop_test(tc, url_checks, 0, NROWS(urls));
	tcase_add_test(tc, names_resolved);
	tcase_add_test(tc, length_and_host);
	tcase_add_test(tc, allow_private_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(target_suite(), NULL);
}
