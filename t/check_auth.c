/*
 * check_auth.c: tokens, scrypt hashes and legacy bcrypt (src/auth.c).
 * A unit suite: no services. The config is filled by hand (config.c is
 * not used) with a cheap scrypt cost; two cases run the production cost.
 *
 * The test may include libjwt and crypt.h, which auth.c hides from the
 * program, to make the tokens and hashes an attacker or the old system
 * would present.
 */

#include <check.h>
#include <crypt.h>
#include <jwt.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define SECRET		"test-secret-0123456789abcdef-0123456789"
#define OTHER_SECRET	"other-secret-0123456789abcdef-012345678"
#define ISSUER		"inventory-test"
#define JTI		"0123456789abcdef0123456789abcdef"
#define NOW		((time_t)1700000000)
#define ACCESS_TTL	900
#define REFRESH_TTL	1209600

/* Claims of a good access token for user 42 issued at NOW, as JSON. */
#define C_ISS	"\"iss\":\"" ISSUER "\""
#define C_TYP	"\"typ\":\"access\""
#define C_IAT	"\"iat\":1700000000"
#define C_EXP	"\"exp\":1700000900"
#define C_JTI	"\"jti\":\"" JTI "\""
#define C_SUB	"\"sub\":\"42\""
#define C_ADM	"\"adm\":false"
#define C_VER	"\"ver\":3"
#define GOOD_CLAIMS "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI "," \
	C_SUB "," C_ADM "," C_VER "}"

static char secret[] = SECRET;
static char issuer[] = ISSUER;
static struct config cfg;
/* The router's memo of verified tokens, over cfg: every refusal below is
 * checked through it too, after the tests have fed it good tokens. */
static struct token_memo *memo;

/* Fixture: a valid config with scrypt at ln=10,r=8,p=1 (about 1 ms). */
static void
cfg_setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	token_memo_free(memo);
	memo = token_memo_new(&cfg);
	cfg.jwt_secret = secret;
	cfg.jwt_issuer = issuer;
	cfg.access_token_ttl = ACCESS_TTL;
	cfg.refresh_token_ttl = REFRESH_TTL;
	cfg.scrypt_ln = 10;
	cfg.scrypt_r = 8;
	cfg.scrypt_p = 1;
}

/* A token issued through auth.c at NOW (new; free()). */
static char *
issue(enum token_type typ, int64_t uid, bool adm)
{
	char *tok = NULL;

	ck_assert_int_eq(auth_token_issue(&cfg, typ, uid, adm, 3, JTI, NOW,
	    &tok), INV_OK);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

/* Verifies and expects a refusal that leaves *out all zero. */
static void
expect_refused(const char *tok, enum token_type typ, time_t now)
{
	struct token_claims c;

	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(auth_token_verify(&cfg, tok, typ, now, &c), INV_AUTH);
	ck_assert_int_eq(c.user_id, 0);
	ck_assert(!c.is_admin);
	ck_assert_int_eq(c.jti[0], '\0');
	ck_assert_int_eq(c.exp, 0);
	memset(&c, 0xa5, sizeof(c));
	ck_assert_int_eq(auth_token_verify_memo(memo, tok, typ, now, &c),
	    INV_AUTH);
	ck_assert_int_eq(c.user_id, 0);
	ck_assert(!c.is_admin);
	ck_assert_int_eq(c.jti[0], '\0');
	ck_assert_int_eq(c.exp, 0);
}

/* Verifies through auth_token_verify and the memo, expecting the same
 * claims from both; returns them. */
static struct token_claims
expect_good(const char *tok, enum token_type typ, time_t now)
{
	struct token_claims c, m;

	ck_assert_int_eq(auth_token_verify(&cfg, tok, typ, now, &c), INV_OK);
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(auth_token_verify_memo(memo, tok, typ, now, &m),
	    INV_OK);
	ck_assert_int_eq(m.typ, c.typ);
	ck_assert_int_eq(m.user_id, c.user_id);
	ck_assert(m.is_admin == c.is_admin);
	ck_assert_int_eq(m.version, c.version);
	ck_assert_str_eq(m.jti, c.jti);
	ck_assert_int_eq(m.iat, c.iat);
	ck_assert_int_eq(m.exp, c.exp);
	return c;
}

/* A token with the given alg, key and claims made by libjwt (new). */
static char *
forge(jwt_alg_t alg, const char *key, const char *claims)
{
	jwt_t *j;
	char *tok;

	ck_assert_int_eq(jwt_new(&j), 0);
	ck_assert_int_eq(jwt_add_grants_json(j, claims), 0);
	ck_assert_int_eq(jwt_set_alg(j, alg, (const unsigned char *)key,
	    (int)strlen(key)), 0);
	tok = jwt_encode_str(j);
	jwt_free(j);
	ck_assert_ptr_nonnull(tok);
	return tok;
}

/* Unpadded base64url of s (new), to build tokens by hand. */
static char *
b64url(const char *s)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = (const unsigned char *)s;
	size_t len = strlen(s), i, o = 0;
	char *out = xmalloc(len / 3 * 4 + 5);
	unsigned long v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = abc[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* "<b64url(header)>.<b64url(claims)>.<sig>" (new). */
static char *
hand_token(const char *header, const char *claims, const char *sig)
{
	char *h = b64url(header), *c = b64url(claims), *tok;

	tok = xasprintf("%s.%s.%s", h, c, sig);
	free(h);
	free(c);
	return tok;
}

/*
 * Tokens: issue
 */

START_TEST(token_access_round_trip)
{
	struct token_claims c;
	char *tok = issue(TOKEN_ACCESS, 42, true);

	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW, &c),
	    INV_OK);
	ck_assert_int_eq(c.typ, TOKEN_ACCESS);
	ck_assert_int_eq(c.user_id, 42);
	ck_assert(c.is_admin);
	ck_assert_str_eq(c.jti, JTI);
	ck_assert_int_eq(c.iat, NOW);
	ck_assert_int_eq(c.exp, NOW + ACCESS_TTL);
	ck_assert_int_eq(c.version, 3);
	free(tok);

	tok = issue(TOKEN_ACCESS, INT64_MAX, false);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS,
	    NOW + ACCESS_TTL - 1, &c), INV_OK);
	ck_assert_int_eq(c.user_id, INT64_MAX);
	ck_assert(!c.is_admin);
	free(tok);
}
END_TEST

START_TEST(token_refresh_round_trip)
{
	struct token_claims c;
	char *tok = issue(TOKEN_REFRESH, 7, true);

	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_REFRESH, NOW, &c),
	    INV_OK);
	ck_assert_int_eq(c.typ, TOKEN_REFRESH);
	ck_assert_int_eq(c.user_id, 7);
	/* adm is an access-token claim; a refresh token never grants it. */
	ck_assert(!c.is_admin);
	ck_assert_str_eq(c.jti, JTI);
	ck_assert_int_eq(c.exp, NOW + REFRESH_TTL);
	free(tok);
}
END_TEST

START_TEST(token_claims_exact)
{
	jwt_t *j;
	char *tok = issue(TOKEN_ACCESS, 42, false);

	/* What other services (and the old clients) will read. */
	ck_assert_int_eq(jwt_decode(&j, tok, (const unsigned char *)SECRET,
	    (int)strlen(SECRET)), 0);
	ck_assert_int_eq(jwt_get_alg(j), JWT_ALG_HS256);
	ck_assert_str_eq(jwt_get_grant(j, "sub"), "42");
	ck_assert_str_eq(jwt_get_grant(j, "typ"), "access");
	ck_assert_str_eq(jwt_get_grant(j, "iss"), ISSUER);
	ck_assert_str_eq(jwt_get_grant(j, "jti"), JTI);
	ck_assert_int_eq(jwt_get_grant_int(j, "iat"), NOW);
	ck_assert_int_eq(jwt_get_grant_int(j, "exp"), NOW + ACCESS_TTL);
	ck_assert_int_eq(jwt_get_grant_bool(j, "adm"), 0);
	ck_assert_int_eq(jwt_get_grant_int(j, "ver"), 3);
	jwt_free(j);
	free(tok);

	tok = issue(TOKEN_REFRESH, 42, true);
	ck_assert_int_eq(jwt_decode(&j, tok, (const unsigned char *)SECRET,
	    (int)strlen(SECRET)), 0);
	ck_assert_str_eq(jwt_get_grant(j, "typ"), "refresh");
	ck_assert_ptr_null(jwt_get_grants_json(j, "adm"));
	jwt_free(j);
	free(tok);
}
END_TEST

START_TEST(token_issue_bad_args)
{
	char *tok = NULL;

	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 0, false, 0, JTI,
	    NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, -1, false, 0, JTI,
	    NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN__MAX, 1, false, 0, JTI,
	    NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0, NULL,
	    NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0,
	    "0123456789abcdef", NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0,
	    JTI "0", NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0,
	    "0123456789abcdef0123456789abcdeg", NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0, JTI,
	    0, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, -1, JTI,
	    NOW, &tok), INV_INVALID);
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false,
	    AUTH_VER_MAX + 1, JTI, NOW, &tok), INV_INVALID);
	cfg.access_token_ttl = 0;
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0, JTI,
	    NOW, &tok), INV_CONFIG);
	cfg.refresh_token_ttl = -5;
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_REFRESH, 1, false, 0, JTI,
	    NOW, &tok), INV_CONFIG);
	cfg.refresh_token_ttl = INT64_MAX;
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_REFRESH, 1, false, 0, JTI,
	    NOW, &tok), INV_CONFIG);
	/* No partial output. */
	ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(token_jti_upper_hex)
{
	struct token_claims c;
	char *tok = NULL;

	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_REFRESH, 3, false, 0,
	    "0123456789ABCDEF0123456789ABCDEF", NOW, &tok), INV_OK);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_REFRESH, NOW, &c),
	    INV_OK);
	ck_assert_str_eq(c.jti, "0123456789ABCDEF0123456789ABCDEF");
	free(tok);
}
END_TEST

/* A secret below 32 bytes signs nothing and verifies nothing. */
START_TEST(token_short_secret)
{
	static char s31[] = "0123456789abcdef0123456789abcde";
	static char s32[] = "0123456789abcdef0123456789abcdef";
	static char s1[] = "k";
	char *tok = NULL, *forged;

	forged = forge(JWT_ALG_HS256, s31, GOOD_CLAIMS);
	cfg.jwt_secret = s31;
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0, JTI,
	    NOW, &tok), INV_CONFIG);
	ck_assert_ptr_null(tok);
	expect_refused(forged, TOKEN_ACCESS, NOW);
	free(forged);

	forged = forge(JWT_ALG_HS256, s1, GOOD_CLAIMS);
	cfg.jwt_secret = s1;
	expect_refused(forged, TOKEN_ACCESS, NOW);
	free(forged);

	cfg.jwt_secret = NULL;
	ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, 1, false, 0, JTI,
	    NOW, &tok), INV_CONFIG);

	cfg.jwt_secret = s32;
	tok = issue(TOKEN_ACCESS, 1, false);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW,
	    &(struct token_claims){0}), INV_OK);
	free(tok);
}
END_TEST

/*
 * Tokens: refusals
 */

START_TEST(token_expired)
{
	char *a = issue(TOKEN_ACCESS, 1, false);
	char *r = issue(TOKEN_REFRESH, 1, false);

	/* exp itself is already too late; one second before is fine. The
	 * memo holds both tokens from their first good answer on. */
	expect_good(a, TOKEN_ACCESS, NOW + ACCESS_TTL - 1);
	expect_refused(a, TOKEN_ACCESS, NOW + ACCESS_TTL);
	expect_refused(a, TOKEN_ACCESS, NOW + ACCESS_TTL + 1);
	expect_refused(a, TOKEN_ACCESS, NOW + 365 * 86400);
	expect_good(r, TOKEN_REFRESH, NOW + REFRESH_TTL - 1);
	expect_refused(r, TOKEN_REFRESH, NOW + REFRESH_TTL);
	free(a);
	free(r);
}
END_TEST

/* auth_token_verify_iat_in_future: a clock up to 60 s ahead is
 * tolerated, a token issued further in the future is refused (the
 * claim_cases row "iat future" is the other side). */
START_TEST(token_iat_in_future)
{
	char *a = issue(TOKEN_ACCESS, 1, false);
	char *r = issue(TOKEN_REFRESH, 1, false);

	expect_good(a, TOKEN_ACCESS, NOW - AUTH_IAT_LEEWAY);
	expect_refused(a, TOKEN_ACCESS, NOW - AUTH_IAT_LEEWAY - 1);
	expect_refused(r, TOKEN_REFRESH, NOW - AUTH_IAT_LEEWAY - 1);
	expect_refused(a, TOKEN_ACCESS, NOW - 3600);
	free(a);
	free(r);
}
END_TEST

START_TEST(token_wrong_type)
{
	char *a = issue(TOKEN_ACCESS, 1, true);
	char *r = issue(TOKEN_REFRESH, 1, true);

	expect_good(a, TOKEN_ACCESS, NOW);
	expect_good(r, TOKEN_REFRESH, NOW);
	expect_refused(a, TOKEN_REFRESH, NOW);
	expect_refused(r, TOKEN_ACCESS, NOW);
	expect_refused(a, TOKEN__MAX, NOW);
	free(a);
	free(r);
}
END_TEST

START_TEST(token_wrong_issuer)
{
	static char other[] = "someone-else";
	char *tok = issue(TOKEN_ACCESS, 1, false);

	cfg.jwt_issuer = other;
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
}
END_TEST

START_TEST(token_alg_none)
{
	char *tok, *real, *sig;

	tok = hand_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD_CLAIMS, "");
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
	tok = hand_token("{\"alg\":\"none\"}", GOOD_CLAIMS, "");
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);

	/* none with a genuine HS256 signature of the same claims. */
	real = forge(JWT_ALG_HS256, SECRET, GOOD_CLAIMS);
	sig = strrchr(real, '.') + 1;
	tok = hand_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD_CLAIMS, sig);
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);

	/* HS256 in the header but no signature at all. */
	tok = hand_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", GOOD_CLAIMS, "");
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
	free(real);
}
END_TEST

/* libjwt 1.10 itself accepts these: the alg check in auth.c must not. */
START_TEST(token_other_hmac_algs)
{
	char *tok;

	tok = forge(JWT_ALG_HS256, SECRET, GOOD_CLAIMS);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW,
	    &(struct token_claims){0}), INV_OK);
	free(tok);
	tok = forge(JWT_ALG_HS384, SECRET, GOOD_CLAIMS);
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
	tok = forge(JWT_ALG_HS512, SECRET, GOOD_CLAIMS);
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
}
END_TEST

START_TEST(token_tampered)
{
	char *tok = issue(TOKEN_ACCESS, 5, false);
	char *adm = issue(TOKEN_ACCESS, 5, true);
	char *p = strchr(tok, '.') + 1, *q = strchr(p, '.'), *spliced;
	size_t i;

	expect_good(tok, TOKEN_ACCESS, NOW);
	expect_good(adm, TOKEN_ACCESS, NOW);
	/* Any one character of the payload changed. */
	for (i = 0; p + i < q; i++) {
		char *t = xstrdup(tok);

		t[p - tok + (ptrdiff_t)i] = p[i] == 'A' ? 'B' : 'A';
		expect_refused(t, TOKEN_ACCESS, NOW);
		free(t);
	}
	/* The admin payload under the non-admin signature. */
	spliced = xasprintf("%.*s%s", (int)(strrchr(adm, '.') - adm), adm,
	    strrchr(tok, '.'));
	expect_refused(spliced, TOKEN_ACCESS, NOW);
	free(spliced);
	free(tok);
	free(adm);
}
END_TEST

START_TEST(token_bad_signature)
{
	char *tok = forge(JWT_ALG_HS256, OTHER_SECRET, GOOD_CLAIMS);
	char *good = issue(TOKEN_ACCESS, 42, false), *t;

	expect_refused(tok, TOKEN_ACCESS, NOW);
	/* A good token with its signature cut, shortened or lengthened. */
	t = xstrndup(good, (size_t)(strrchr(good, '.') - good));
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	t = xstrndup(good, (size_t)(strrchr(good, '.') - good + 1));
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	t = xstrndup(good, strlen(good) - 1);
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	t = xasprintf("%sA", good);
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	t = xasprintf("%s.", good);
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	free(tok);
	free(good);
}
END_TEST

START_TEST(token_garbage)
{
	static const char *const junk[] = {
		"", ".", "..", "...", "a.b", "a.b.c", "a.b.c.d", "Bearer x",
		"eyJhbGciOiJIUzI1NiJ9..", "eyJhbGciOiJIUzI1NiJ9.e30.",
		"eyJ\xff\xfe.e30.AAAA", "\x01\x02\x03",
		/* Empty segments: libjwt 1.10 overruns its buffer on these. */
		".e30.AAAA", "eyJhbGciOiJIUzI1NiJ9..AAAA", "..AAAA", ".e30.",
		"e30.e30.a=b", "e30.e+30.AAAA",
		"e30.e30.AA AA", "e30.e30.AAAA\n", " e30.e30.AAAA",
	};
	char *big = xmalloc(100001);
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		expect_refused(junk[i], TOKEN_ACCESS, NOW);
	expect_refused(NULL, TOKEN_ACCESS, NOW);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	expect_refused(big, TOKEN_ACCESS, NOW);
	memset(big, '.', 100000);
	expect_refused(big, TOKEN_ACCESS, NOW);
	free(big);
}
END_TEST

/* A correctly signed token is still refused once it exceeds 4096 bytes. */
START_TEST(token_overlong)
{
	char pad[4096], *claims, *tok;

	memset(pad, 'x', sizeof(pad));
	pad[2500] = '\0';
	claims = xasprintf("{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    "," C_SUB "," C_ADM "," C_VER ",\"pad\":\"%s\"}", pad);
	tok = forge(JWT_ALG_HS256, SECRET, claims);
	ck_assert_uint_lt(strlen(tok), 4096);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW,
	    &(struct token_claims){0}), INV_OK);
	free(tok);
	free(claims);

	pad[2500] = 'x';
	pad[3200] = '\0';
	claims = xasprintf("{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    "," C_SUB "," C_ADM "," C_VER ",\"pad\":\"%s\"}", pad);
	tok = forge(JWT_ALG_HS256, SECRET, claims);
	ck_assert_uint_gt(strlen(tok), 4096);
	expect_refused(tok, TOKEN_ACCESS, NOW);
	free(tok);
	free(claims);
}
END_TEST

/*
 * Correctly signed HS256 tokens whose claims are wrong, one row each; the
 * first row is the control that must pass.
 */
static const struct {
	const char	*name;
	const char	*claims;
} claim_cases[] = {
	{ "control", GOOD_CLAIMS },
	/* sub */
	{ "no sub", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_ADM "," C_VER "}" },
	{ "sub word", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":\"abc\"," C_ADM "," C_VER "}" },
	{ "sub empty", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":\"\"," C_ADM "," C_VER "}" },
	{ "sub zero", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":\"0\"," C_ADM "," C_VER "}" },
	{ "sub negative", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    ",\"sub\":\"-5\"," C_ADM "," C_VER "}" },
	{ "sub plus", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":\"+5\"," C_ADM "," C_VER "}" },
	{ "sub leading zero", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP ","
	    C_JTI ",\"sub\":\"007\"," C_ADM "," C_VER "}" },
	{ "sub space", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":\" 5\"," C_ADM "," C_VER "}" },
	{ "sub trailing", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    ",\"sub\":\"5x\"," C_ADM "," C_VER "}" },
	{ "sub overflow", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    ",\"sub\":\"9223372036854775808\"," C_ADM "," C_VER "}" },
	{ "sub number", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    "\"sub\":42," C_ADM "," C_VER "}" },
	/* jti */
	{ "no jti", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_SUB ","
	    C_ADM "," C_VER "}" },
	{ "jti short", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP ","
	    "\"jti\":\"0123456789abcdef\"," C_SUB "," C_ADM "," C_VER "}" },
	{ "jti long", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP ","
	    "\"jti\":\"" JTI "0\"," C_SUB "," C_ADM "," C_VER "}" },
	{ "jti not hex", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP ","
	    "\"jti\":\"0123456789abcdef0123456789abcdeZ\"," C_SUB "," C_ADM
	    "," C_VER "}" },
	{ "jti number", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP ","
	    "\"jti\":12345," C_SUB "," C_ADM "," C_VER "}" },
	/* adm */
	{ "no adm", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB "," C_VER "}" },
	{ "adm int", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB ",\"adm\":1," C_VER "}" },
	{ "adm string", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB ",\"adm\":\"true\"," C_VER "}" },
	/* exp, iat */
	{ "no exp", "{" C_ISS "," C_TYP "," C_IAT "," C_JTI "," C_SUB ","
	    C_ADM "," C_VER "}" },
	{ "exp string", "{" C_ISS "," C_TYP "," C_IAT ","
	    "\"exp\":\"1700000900\"," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "exp real", "{" C_ISS "," C_TYP "," C_IAT ","
	    "\"exp\":1700000900.5," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "exp negative", "{" C_ISS "," C_TYP "," C_IAT ",\"exp\":-1,"
	    C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "no iat", "{" C_ISS "," C_TYP "," C_EXP "," C_JTI "," C_SUB ","
	    C_ADM "," C_VER "}" },
	{ "iat string", "{" C_ISS "," C_TYP ",\"iat\":\"1700000000\","
	    C_EXP "," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	/* iss, typ */
	{ "no iss", "{" C_TYP "," C_IAT "," C_EXP "," C_JTI "," C_SUB ","
	    C_ADM "," C_VER "}" },
	{ "iss other", "{\"iss\":\"" ISSUER "x\"," C_TYP "," C_IAT "," C_EXP
	    "," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "iss prefix", "{\"iss\":\"inventory\"," C_TYP "," C_IAT "," C_EXP
	    "," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "no typ", "{" C_ISS "," C_IAT "," C_EXP "," C_JTI "," C_SUB ","
	    C_ADM "," C_VER "}" },
	{ "typ case", "{" C_ISS ",\"typ\":\"Access\"," C_IAT "," C_EXP ","
	    C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	{ "typ refresh", "{" C_ISS ",\"typ\":\"refresh\"," C_IAT "," C_EXP
	    "," C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
	/* ver (absent is version 0: token_without_ver_is_version_0) */
	{ "ver string", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB "," C_ADM ",\"ver\":\"3\"}" },
	{ "ver negative", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    "," C_SUB "," C_ADM ",\"ver\":-1}" },
	{ "ver real", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB "," C_ADM ",\"ver\":3.0}" },
	{ "ver bool", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI ","
	    C_SUB "," C_ADM ",\"ver\":false}" },
	{ "ver too big", "{" C_ISS "," C_TYP "," C_IAT "," C_EXP "," C_JTI
	    "," C_SUB "," C_ADM ",\"ver\":4294967296}" },
	/* auth_token_verify_iat_in_future: beyond the 60 s leeway */
	{ "iat future", "{" C_ISS "," C_TYP ",\"iat\":1700000061," C_EXP ","
	    C_JTI "," C_SUB "," C_ADM "," C_VER "}" },
};

START_TEST(token_bad_claims)
{
	char *tok = forge(JWT_ALG_HS256, SECRET, claim_cases[_i].claims);
	struct token_claims c;
	enum inv_err e = auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW, &c);

	if (_i == 0) {
		ck_assert_msg(e == INV_OK, "%s: %d", claim_cases[_i].name, e);
		ck_assert_int_eq(c.user_id, 42);
	} else
		ck_assert_msg(e == INV_AUTH, "%s: accepted",
		    claim_cases[_i].name);
	free(tok);
}
END_TEST

/* Tokens issued before the version existed count as version 0. */
START_TEST(token_without_ver_is_version_0)
{
	char *tok = forge(JWT_ALG_HS256, SECRET, "{" C_ISS "," C_TYP ","
	    C_IAT "," C_EXP "," C_JTI "," C_SUB "," C_ADM "}");
	struct token_claims c;

	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW, &c),
	    INV_OK);
	ck_assert_int_eq(c.version, 0);
	free(tok);
	tok = forge(JWT_ALG_HS256, SECRET, GOOD_CLAIMS);
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW, &c),
	    INV_OK);
	ck_assert_int_eq(c.version, 3);
	free(tok);
}
END_TEST

/*
 * scrypt
 */

/* Verifies and returns ok; the call itself must succeed. */
static bool
pw_ok(const char *pw, const char *stored, bool *rehash)
{
	bool ok = true, rh = true;

	ck_assert_int_eq(auth_password_verify(&cfg, pw, stored, &ok, &rh),
	    INV_OK);
	if (!ok)
		ck_assert(!rh);
	if (rehash != NULL)
		*rehash = rh;
	return ok;
}

/* A hash made through auth.c (new; free()). */
static char *
pw_hash(const char *pw)
{
	char *h = NULL;

	ck_assert_int_eq(auth_password_hash(&cfg, pw, &h), INV_OK);
	ck_assert_ptr_nonnull(h);
	return h;
}

START_TEST(scrypt_round_trip)
{
	char *h = pw_hash("correct horse battery staple");
	bool rehash;

	ck_assert(pw_ok("correct horse battery staple", h, &rehash));
	ck_assert(!rehash);
	ck_assert(!pw_ok("correct horse battery stapl", h, NULL));
	ck_assert(!pw_ok("correct horse battery staple ", h, NULL));
	ck_assert(!pw_ok("Correct horse battery staple", h, NULL));
	ck_assert(!pw_ok("", h, NULL));
	free(h);
}
END_TEST

START_TEST(scrypt_empty_password)
{
	char *h = pw_hash("");

	ck_assert(pw_ok("", h, NULL));
	ck_assert(!pw_ok(" ", h, NULL));
	ck_assert(!pw_ok("a", h, NULL));
	free(h);
}
END_TEST

/* Passwords are bytes, up to 1024 of them, not necessarily UTF-8. */
START_TEST(scrypt_long_binary_password)
{
	char pw[1025], *h;
	size_t i;

	for (i = 0; i < 1024; i++)
		pw[i] = (char)(1 + i % 255);
	pw[1024] = '\0';
	h = pw_hash(pw);
	ck_assert(pw_ok(pw, h, NULL));
	pw[1023] = '\0';
	ck_assert(!pw_ok(pw, h, NULL));
	free(h);
}
END_TEST

START_TEST(scrypt_salted)
{
	char *a = pw_hash("same"), *b = pw_hash("same");

	ck_assert_str_ne(a, b);
	/* Salt and key both differ, not only one of them. */
	ck_assert(strncmp(a, b, 22 + strlen("$scrypt$ln=10,r=8,p=1$")) != 0);
	ck_assert_str_ne(strrchr(a, '$'), strrchr(b, '$'));
	ck_assert(pw_ok("same", a, NULL));
	ck_assert(pw_ok("same", b, NULL));
	free(a);
	free(b);
}
END_TEST

START_TEST(scrypt_phc_shape)
{
	regex_t re;
	char *h = pw_hash("x");

	/* 16-byte salt: 22 characters; 32-byte key: 43; no '=' padding. */
	ck_assert_int_eq(regcomp(&re, "^\\$scrypt\\$ln=10,r=8,p=1\\$"
	    "[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$", REG_EXTENDED | REG_NOSUB),
	    0);
	ck_assert_msg(regexec(&re, h, 0, NULL, 0) == 0, "shape: %s", h);
	regfree(&re);
	free(h);
}
END_TEST

/*
 * Known answers from outside: RFC 7914's test vector (the first 32 of its
 * 64 bytes: PBKDF2 blocks do not depend on the length asked for) and
 * hashes from Python's hashlib.scrypt in the PHC encoding.
 */
START_TEST(scrypt_known_answers)
{
	bool rehash;

	ck_assert(pw_ok("pleaseletmein", "$scrypt$ln=14,r=8,p=1$"
	    "U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI",
	    &rehash));
	/* Other cost than configured, and a 14-byte salt. */
	ck_assert(rehash);
	ck_assert(!pw_ok("pleaseletmeout", "$scrypt$ln=14,r=8,p=1$"
	    "U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofI",
	    NULL));
	ck_assert(pw_ok("correct horse battery staple", "$scrypt$ln=10,r=8,"
	    "p=1$AAECAwQFBgcICQoLDA0ODw$"
	    "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU", &rehash));
	ck_assert(!rehash);
	ck_assert(pw_ok("", "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
	    "aXxV+SdCr+1ofX/yO9ssZIXk0slZ7Pwg0vrrut6MuZw", NULL));
}
END_TEST

START_TEST(scrypt_tampered)
{
	char *h = pw_hash("secret"), *t;
	char *key = strrchr(h, '$') + 1;
	char *salt = strchr(h + strlen("$scrypt$ln=10,r=8,p=1"), '$') + 1;

	/* One key character changed (not the last: its low bits are 0). */
	t = xstrdup(h);
	t[key - h + 5] = key[5] == 'A' ? 'B' : 'A';
	ck_assert(!pw_ok("secret", t, NULL));
	free(t);
	/* One salt character changed. */
	t = xstrdup(h);
	t[salt - h + 3] = salt[3] == 'A' ? 'B' : 'A';
	ck_assert(!pw_ok("secret", t, NULL));
	free(t);
	/* The cost changed: same salt and key no longer match. */
	t = xstrdup(h);
	t[strlen("$scrypt$ln=1")] = '1';
	ck_assert(strncmp(t, "$scrypt$ln=11,", 14) == 0);
	ck_assert(!pw_ok("secret", t, NULL));
	free(t);
	free(h);
}
END_TEST

/* Good salt (16 bytes) and key (32 zero bytes) for the malformed rows. */
#define SALT	"AAECAwQFBgcICQoLDA0ODw"
#define KEY0	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *const bad_hashes[] = {
	"",
	"$",
	"$scrypt$",
	"$scrypt",
	"scrypt$ln=10,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=10,r=8,p=1",
	"$scrypt$ln=10,r=8,p=1$",
	"$scrypt$ln=10,r=8,p=1$" SALT,
	"$scrypt$ln=10,r=8,p=1$" SALT "$",
	"$scrypt$ln=10,r=8,p=1$$" KEY0,
	"$scrypt$ln=10,r=8$" SALT "$" KEY0,
	"$scrypt$ln=10,p=1,r=8$" SALT "$" KEY0,
	"$scrypt$r=8,ln=10,p=1$" SALT "$" KEY0,
	"$scrypt$ln=10,r=8,p=1,x=1$" SALT "$" KEY0,
	"$scrypt$ln=,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=a,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=-1,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=010,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln= 10,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$LN=10,r=8,p=1$" SALT "$" KEY0,
	/* cost out of bounds */
	"$scrypt$ln=0,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=40,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=21,r=1,p=1$" SALT "$" KEY0,
	"$scrypt$ln=4294967306,r=8,p=1$" SALT "$" KEY0,
	"$scrypt$ln=10,r=0,p=1$" SALT "$" KEY0,
	"$scrypt$ln=10,r=33,p=1$" SALT "$" KEY0,
	"$scrypt$ln=10,r=8,p=0$" SALT "$" KEY0,
	"$scrypt$ln=10,r=8,p=17$" SALT "$" KEY0,
	"$scrypt$ln=18,r=16,p=1$" SALT "$" KEY0,	/* 512 MiB */
	"$scrypt$ln=17,r=8,p=16$" SALT "$" KEY0,	/* 2^24 mixes */
	/* base64 */
	"$scrypt$ln=10,r=8,p=1$" SALT "==$" KEY0,
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "=",
	"$scrypt$ln=10,r=8,p=1$" "AAECAwQF-gcICQoLDA0ODw" "$" KEY0,
	"$scrypt$ln=10,r=8,p=1$" "AAECAwQF_gcICQoLDA0ODw" "$" KEY0,
	"$scrypt$ln=10,r=8,p=1$" "AAECAwQF gcICQoLDA0ODw" "$" KEY0,
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "A",	/* 1 mod 4 */
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "AA",	/* 33 bytes */
	"$scrypt$ln=10,r=8,p=1$" SALT "$" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$scrypt$ln=10,r=8,p=1$" SALT "$" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
	"$scrypt$ln=10,r=8,p=1$" "AAECAwQFBg" "$" KEY0,	/* 7-byte salt */
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "$",
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "$x",
	"$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0 "\n",
	/* other formats */
	"plaintext-password",
	"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA",
	"$2b$",
	"$2b$04$short",
	"$2x$04$abcdefghijklmnopqrstuu0123456789012345678901234567890",
	"$2b$31$abcdefghijklmnopqrstuu0123456789012345678901234567890",
	"$2b$15$abcdefghijklmnopqrstuu0123456789012345678901234567890",
	"$2b$03$abcdefghijklmnopqrstuu0123456789012345678901234567890",
	"$2b$4$abcdefghijklmnopqrstuuu0123456789012345678901234567890",
	"$2b$04$!!!!!!!!!!!!!!!!!!!!!!0123456789012345678901234567890",
	"$1$abcdefgh$abcdefghijklmnopqrstuv",
};

START_TEST(scrypt_malformed)
{
	bool ok = true, rehash = true;

	ck_assert_msg(auth_password_verify(&cfg, "x", bad_hashes[_i], &ok,
	    &rehash) == INV_INVALID, "accepted: %s", bad_hashes[_i]);
	ck_assert(!ok);
	ck_assert(!rehash);
}
END_TEST

/* The control for the rows above: the same pieces, well formed. */
START_TEST(scrypt_malformed_control)
{
	ck_assert(!pw_ok("x", "$scrypt$ln=10,r=8,p=1$" SALT "$" KEY0, NULL));
	ck_assert(!pw_ok("x", "$scrypt$ln=1,r=1,p=1$" SALT "$" KEY0, NULL));
}
END_TEST

START_TEST(scrypt_null_args)
{
	char *h = NULL;
	bool ok = true, rehash = true;

	ck_assert_int_eq(auth_password_hash(&cfg, NULL, &h), INV_INVALID);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(auth_password_verify(&cfg, NULL, "$scrypt$ln=10,"
	    "r=8,p=1$" SALT "$" KEY0, &ok, &rehash), INV_INVALID);
	ck_assert(!ok && !rehash);
	ok = rehash = true;
	ck_assert_int_eq(auth_password_verify(&cfg, "x", NULL, &ok, &rehash),
	    INV_INVALID);
	ck_assert(!ok && !rehash);
}
END_TEST

START_TEST(scrypt_rehash)
{
	char *h = pw_hash("pw");
	bool rehash;

	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(!rehash);
	cfg.scrypt_ln = 11;
	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(rehash);
	/* A wrong password never asks for a rehash. */
	ck_assert(!pw_ok("pw2", h, &rehash));
	ck_assert(!rehash);
	cfg.scrypt_ln = 10;
	cfg.scrypt_r = 16;
	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(rehash);
	cfg.scrypt_r = 8;
	cfg.scrypt_p = 2;
	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(rehash);
	/* Lowered by the operator: follow that too. */
	cfg.scrypt_p = 1;
	cfg.scrypt_ln = 9;
	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(rehash);
	/* A bad configured cost: the hash still verifies, no rehash asked. */
	cfg.scrypt_ln = 40;
	ck_assert(pw_ok("pw", h, &rehash));
	ck_assert(!rehash);
	free(h);
}
END_TEST

START_TEST(scrypt_bad_config)
{
	static const int64_t costs[][3] = {
		{ 0, 8, 1 }, { -1, 8, 1 }, { 21, 1, 1 }, { 40, 8, 1 },
		{ 10, 0, 1 }, { 10, 33, 1 }, { 10, -8, 1 }, { 10, 8, 0 },
		{ 10, 8, 17 }, { 20, 8, 1 }, { 17, 8, 16 },
		{ INT64_MIN, 8, 1 }, { 10, INT64_MAX, 1 },
	};
	size_t i;
	char *h = NULL;

	for (i = 0; i < sizeof(costs) / sizeof(costs[0]); i++) {
		cfg.scrypt_ln = costs[i][0];
		cfg.scrypt_r = costs[i][1];
		cfg.scrypt_p = costs[i][2];
		ck_assert_msg(auth_password_hash(&cfg, "x", &h) == INV_CONFIG,
		    "row %zu accepted", i);
		ck_assert_ptr_null(h);
		auth_password_burn(&cfg, "x");
	}
}
END_TEST

/* The production cost, and one beyond OpenSSL's default 32 MiB. */
START_TEST(scrypt_production_cost)
{
	static const int64_t costs[][3] = {
		{ 14, 8, 5 },	/* the default: 16 MiB */
		{ 16, 8, 1 },	/* 64 MiB: fails unless maxmem is passed */
	};
	char *h, *want;
	bool rehash;

	cfg.scrypt_ln = costs[_i][0];
	cfg.scrypt_r = costs[_i][1];
	cfg.scrypt_p = costs[_i][2];
	h = pw_hash("hunter2hunter2");
	want = xasprintf("$scrypt$ln=%d,r=%d,p=%d$", (int)cfg.scrypt_ln,
	    (int)cfg.scrypt_r, (int)cfg.scrypt_p);
	ck_assert(strncmp(h, want, strlen(want)) == 0);
	ck_assert(pw_ok("hunter2hunter2", h, &rehash));
	ck_assert(!rehash);
	ck_assert(!pw_ok("hunter2hunter3", h, NULL));
	free(want);
	free(h);
}
END_TEST

/*
 * bcrypt (the old system's hashes)
 */

/* A real bcrypt hash of pw with prefix ("$2b$" ...) at cost 4 (new). */
static char *
bcrypt_make(const char *prefix, const char *pw)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	char *out;

	ck_assert_ptr_nonnull(crypt_gensalt_rn(prefix, 4, NULL, 0, setting,
	    sizeof(setting)));
	ck_assert_ptr_nonnull(crypt_rn(pw, setting, cd, (int)sizeof(*cd)));
	out = xstrdup(cd->output);
	free(cd);
	ck_assert_uint_eq(strlen(out), 60);
	ck_assert(strncmp(out, prefix, 4) == 0);
	return out;
}

static const char *const bcrypt_prefixes[] = { "$2b$", "$2a$", "$2y$" };

START_TEST(bcrypt_verify)
{
	char *h = bcrypt_make(bcrypt_prefixes[_i], "legacy password");
	bool rehash;

	ck_assert(pw_ok("legacy password", h, &rehash));
	ck_assert(rehash);
	ck_assert(!pw_ok("legacy passwore", h, &rehash));
	ck_assert(!rehash);
	ck_assert(!pw_ok("", h, NULL));
	free(h);

	h = bcrypt_make(bcrypt_prefixes[_i], "");
	ck_assert(pw_ok("", h, &rehash));
	ck_assert(rehash);
	ck_assert(!pw_ok("x", h, NULL));
	free(h);
}
END_TEST

START_TEST(bcrypt_damaged)
{
	char *h = bcrypt_make("$2b$", "pw"), *t;
	bool ok, rehash;

	/* A changed hash character: parses, does not match. */
	t = xstrdup(h);
	t[40] = t[40] == 'A' ? 'B' : 'A';
	ck_assert(!pw_ok("pw", t, NULL));
	free(t);
	/* Cut, lengthened, or cost beyond the cap: refused unparsed. */
	t = xstrndup(h, 59);
	ck_assert_int_eq(auth_password_verify(&cfg, "pw", t, &ok, &rehash),
	    INV_INVALID);
	free(t);
	t = xasprintf("%sA", h);
	ck_assert_int_eq(auth_password_verify(&cfg, "pw", t, &ok, &rehash),
	    INV_INVALID);
	free(t);
	t = xstrdup(h);
	t[4] = '3';
	t[5] = '1';
	ck_assert_int_eq(auth_password_verify(&cfg, "pw", t, &ok, &rehash),
	    INV_INVALID);
	ck_assert(!ok && !rehash);
	free(t);
	free(h);
}
END_TEST

/*
 * Burn
 */

#define BURN_RUNS 7

/*
 * A login for an unknown e-mail burns what a wrong password costs, so
 * that the time of the answer does not tell which e-mails have accounts:
 * the medians of BURN_RUNS interleaved runs of each, in CPU time, within
 * a factor of two of each other (a burn that does nothing costs a
 * thousandth).
 */
START_TEST(burn_costs_a_verification)
{
	double burn[BURN_RUNS], verify[BURN_RUNS], t0, b, v;
	char *hash = NULL;
	bool ok, rehash;
	size_t i;

	ck_assert_int_eq(auth_password_hash(&cfg, "the right one", &hash),
	    INV_OK);
	for (i = 0; i < BURN_RUNS; i++) {
		t0 = tu_cpu_seconds();
		auth_password_burn(&cfg, "someone@example.com's guess");
		burn[i] = tu_cpu_seconds() - t0;
		t0 = tu_cpu_seconds();
		ck_assert_int_eq(auth_password_verify(&cfg,
		    "someone@example.com's guess", hash, &ok, &rehash), INV_OK);
		verify[i] = tu_cpu_seconds() - t0;
		ck_assert(!ok);
	}
	free(hash);
	b = tu_median(burn, BURN_RUNS);
	v = tu_median(verify, BURN_RUNS);
	ck_assert(v > 0);
	ck_assert_msg(b >= 0.5 * v && b <= 2 * v, "a burn costs %.3f ms, a "
	    "wrong password %.3f ms (medians of %d): not within a factor of 2",
	    b * 1e3, v * 1e3, BURN_RUNS);
}
END_TEST

/* Any password, none included, is burnt without harm. */
START_TEST(burn_takes_any_password)
{
	char pw[1025];

	memset(pw, 'p', 1024);
	pw[1024] = '\0';
	auth_password_burn(&cfg, "");
	auth_password_burn(&cfg, pw);
	auth_password_burn(&cfg, NULL);
}
END_TEST

/* A second answer for the same token comes from the memo: proven by
 * changing the secret under it, which the memo must never see (its config
 * is fixed for its life) and auth_token_verify refuses at once. */
START_TEST(token_memo_answers_again)
{
	char *tok = issue(TOKEN_ACCESS, 9, true);
	char other[] = OTHER_SECRET;
	struct token_claims first = expect_good(tok, TOKEN_ACCESS, NOW), c;

	cfg.jwt_secret = other;
	ck_assert_int_eq(auth_token_verify(&cfg, tok, TOKEN_ACCESS, NOW, &c),
	    INV_AUTH);
	ck_assert_int_eq(auth_token_verify_memo(memo, tok, TOKEN_ACCESS,
	    NOW + 1, &c), INV_OK);
	ck_assert_int_eq(c.user_id, 9);
	ck_assert(c.is_admin);
	ck_assert_str_eq(c.jti, first.jti);
	ck_assert_int_eq(c.exp, first.exp);
	/* Not for another type, and not once the clock says no. */
	ck_assert_int_eq(auth_token_verify_memo(memo, tok, TOKEN_REFRESH,
	    NOW, &c), INV_AUTH);
	ck_assert_int_eq(auth_token_verify_memo(memo, tok, TOKEN_ACCESS,
	    NOW + ACCESS_TTL, &c), INV_AUTH);
	ck_assert_int_eq(c.user_id, 0);
	free(tok);
}
END_TEST

/* Near a kept token is not the token: its prefixes, the token with more
 * after it, and each character of its signature changed. */
START_TEST(token_memo_exact_text)
{
	char *tok = issue(TOKEN_ACCESS, 5, false), *t;
	size_t len = strlen(tok), i, sig = (size_t)(strrchr(tok, '.') - tok);

	expect_good(tok, TOKEN_ACCESS, NOW);
	for (i = 1; i < len; i++) {
		t = xstrndup(tok, i);
		expect_refused(t, TOKEN_ACCESS, NOW);
		free(t);
	}
	t = xasprintf("%sA", tok);
	expect_refused(t, TOKEN_ACCESS, NOW);
	free(t);
	for (i = sig + 1; i < len; i++) {
		t = xstrdup(tok);
		t[i] = tok[i] == 'A' ? 'B' : 'A';
		expect_refused(t, TOKEN_ACCESS, NOW);
		free(t);
	}
	expect_good(tok, TOKEN_ACCESS, NOW);
	free(tok);
}
END_TEST

/* More tokens than slots, twice over: each answer is its own token's,
 * whether it is still kept or was pushed out by another. */
START_TEST(token_memo_many)
{
	enum { N = 1000 };
	char *tok[N], jti[AUTH_JTI_LEN + 1];
	struct token_claims c;
	int round, i;

	for (i = 0; i < N; i++) {
		snprintf(jti, sizeof(jti), "%032x", (unsigned)i);
		ck_assert_int_eq(auth_token_issue(&cfg, TOKEN_ACCESS, i + 1,
		    i % 2 == 0, i, jti, NOW, &tok[i]), INV_OK);
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < N; i++) {
			c = expect_good(tok[i], TOKEN_ACCESS, NOW);
			ck_assert_int_eq(c.user_id, i + 1);
			ck_assert_int_eq(c.version, i);
			ck_assert(c.is_admin == (i % 2 == 0));
		}
	for (i = 0; i < N; i++)
		free(tok[i]);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc;

	tc = tcase_create("token");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_test(tc, token_access_round_trip);
	tcase_add_test(tc, token_refresh_round_trip);
	tcase_add_test(tc, token_claims_exact);
	tcase_add_test(tc, token_issue_bad_args);
	tcase_add_test(tc, token_jti_upper_hex);
	tcase_add_test(tc, token_short_secret);
	tcase_add_test(tc, token_expired);
	tcase_add_test(tc, token_iat_in_future);
	tcase_add_test(tc, token_without_ver_is_version_0);
	tcase_add_test(tc, token_wrong_type);
	tcase_add_test(tc, token_wrong_issuer);
	tcase_add_test(tc, token_alg_none);
	tcase_add_test(tc, token_other_hmac_algs);
	tcase_add_test(tc, token_tampered);
	tcase_add_test(tc, token_bad_signature);
	tcase_add_test(tc, token_garbage);
	tcase_add_test(tc, token_overlong);
	tcase_add_test(tc, token_memo_answers_again);
	tcase_add_test(tc, token_memo_exact_text);
	tcase_add_test(tc, token_memo_many);
	tcase_add_loop_test(tc, token_bad_claims, 0,
	    sizeof(claim_cases) / sizeof(claim_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("scrypt");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_test(tc, scrypt_round_trip);
	tcase_add_test(tc, scrypt_empty_password);
	tcase_add_test(tc, scrypt_long_binary_password);
	tcase_add_test(tc, scrypt_salted);
	tcase_add_test(tc, scrypt_phc_shape);
	tcase_add_test(tc, scrypt_known_answers);
	tcase_add_test(tc, scrypt_tampered);
	tcase_add_loop_test(tc, scrypt_malformed, 0,
	    sizeof(bad_hashes) / sizeof(bad_hashes[0]));
	tcase_add_test(tc, scrypt_malformed_control);
	tcase_add_test(tc, scrypt_null_args);
	tcase_add_test(tc, scrypt_rehash);
	tcase_add_test(tc, scrypt_bad_config);
	suite_add_tcase(s, tc);

	/* Hundreds of milliseconds each, more under the sanitizers. */
	tc = tcase_create("scrypt_cost");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, scrypt_production_cost, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("bcrypt");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_add_loop_test(tc, bcrypt_verify, 0,
	    sizeof(bcrypt_prefixes) / sizeof(bcrypt_prefixes[0]));
	tcase_add_test(tc, bcrypt_damaged);
	suite_add_tcase(s, tc);

	tc = tcase_create("burn");
	tcase_add_checked_fixture(tc, cfg_setup, NULL);
	tcase_set_timeout(tc, 60);	/* a few ms a hash, more under ASan */
	tcase_add_test(tc, burn_costs_a_verification);
	tcase_add_test(tc, burn_takes_any_password);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* Refusals are logged at warn and error; keep the output readable. */
	log_set_level(LOG_LVL_ERROR);
	return tu_run(auth_suite(), NULL);
}
