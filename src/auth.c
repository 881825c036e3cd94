/*
 * auth.c: HS256 tokens through libjwt, scrypt password hashes through
 * OpenSSL and the legacy bcrypt hashes through libxcrypt. This is the only
 * file that includes their headers; the rest of the program sees auth.h.
 *
 * libjwt 1.10 checks the signature and nothing else: it takes HS384/HS512
 * signed with our secret, never looks at exp and takes a 1-byte key, so
 * every one of those checks is made here (doc/design.md, "Library facts").
 */

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "util.h"

/*
 * Longer tokens are refused before libjwt parses them (it copies each
 * segment onto the stack with alloca); ours are about 300 bytes.
 */
#define AUTH_TOKEN_MAX		4096

/* The "typ" claim of each token type. */
static const char *const token_typs[TOKEN__MAX] = {
	"access",	/* TOKEN_ACCESS */
	"refresh",	/* TOKEN_REFRESH */
};

/*
 * scrypt. What we write: 16-byte salt, 32-byte key. What we read: a salt
 * of 8..64 bytes (any honest PHC writer) and a 32-byte key.
 *
 * The cost comes from a stored string, so it is bounded before anything
 * is allocated: ln 1..20, r 1..32, p 1..16, and on top of that at most
 * 256 MiB of memory (128 * r * N) and 2^23 block mixes (N * r * p, about
 * 13 times the default ln=14,r=8,p=5). The configured cost must fit the
 * same bounds, so whatever we write we can read back.
 */
#define SCRYPT_PREFIX		"$scrypt$"
#define SCRYPT_SALT_LEN		16
#define SCRYPT_SALT_MIN		8
#define SCRYPT_SALT_MAX		64
#define SCRYPT_KEY_LEN		32
#define SCRYPT_LN_MAX		20
#define SCRYPT_R_MAX		32
#define SCRYPT_P_MAX		16
#define SCRYPT_MEM_MAX		(UINT64_C(256) << 20)
#define SCRYPT_WORK_MAX		(UINT64_C(1) << 23)
/* Longest PHC string we parse: the fields above at their maximum. */
#define SCRYPT_PHC_MAX		160
/* Room given to OpenSSL beyond its B and V arrays (see scrypt_derive). */
#define SCRYPT_MEM_SLACK	(UINT64_C(1) << 20)

/*
 * bcrypt hashes are always 60 characters. The cost is an exponent read
 * from the stored string: "$2b$31$" would run for hours, so anything above
 * 14 (~0.7 s here; the old system used 12) is refused unparsed.
 */
#define BCRYPT_LEN		60
#define BCRYPT_COST_MIN		4
#define BCRYPT_COST_MAX		14

struct scrypt_params {
	uint64_t	 ln;	/* log2 of N */
	uint64_t	 r;
	uint64_t	 p;
};

/* A parsed "$scrypt$ln=..,r=..,p=..$<salt>$<key>". */
struct scrypt_hash {
	struct scrypt_params	 prm;
	unsigned char		 salt[SCRYPT_SALT_MAX];
	size_t			 saltlen;
	unsigned char		 key[SCRYPT_KEY_LEN];
};

/*
 * Tokens
 */

/*
 * Sets *key and *len to the signing secret (borrowed from cfg). False,
 * after logging, when there is no issuer or the secret is shorter than
 * CONFIG_MIN_SECRET_LEN: config_load refuses both, but a short key would
 * make every token forgeable, so it is checked again where it is used.
 */
static bool
token_key(const struct config *cfg, const unsigned char **key, int *len)
{
	size_t n;

	n = cfg->jwt_secret != NULL ? strlen(cfg->jwt_secret) : 0;
	if (n < CONFIG_MIN_SECRET_LEN || n > INT_MAX ||
	    cfg->jwt_issuer == NULL) {
		log_error("auth: jwt_secret shorter than %d bytes or no "
		    "jwt_issuer: tokens refused", CONFIG_MIN_SECRET_LEN);
		return false;
	}
	*key = (const unsigned char *)cfg->jwt_secret;
	*len = (int)n;
	return true;
}

/* True when s is exactly AUTH_JTI_LEN hex digits (either case). */
static bool
jti_ok(const char *s)
{
	size_t i;

	/* The NUL is not a hex digit, so a short s stops the loop. */
	for (i = 0; i < AUTH_JTI_LEN; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[AUTH_JTI_LEN] == '\0';
}

/*
 * Parses sub, the canonical decimal of a positive int64. The first digit
 * is checked because str_to_i64 (strtoll) also takes "+7" and "007".
 */
static bool
sub_parse(const char *s, int64_t *out)
{
	return s[0] >= '1' && s[0] <= '9' && str_to_i64(s, 1, INT64_MAX, out);
}

/*
 * Reads a positive integer claim. libjwt 1.10 answers -1 with errno ENOENT
 * for a missing claim and 0, errno untouched, for a claim of another type;
 * exp and iat are never <= 0, so v > 0 rules out both.
 */
static bool
claim_time(jwt_t *j, const char *name, time_t *out)
{
	long v;

	errno = 0;
	v = jwt_get_grant_int(j, name);
	if (errno != 0 || v <= 0)
		return false;
	*out = (time_t)v;
	return true;
}

/*
 * Reads the "ver" claim: a JSON integer in 0..AUTH_VER_MAX, written
 * plainly. Its JSON text decides, as for claim_bool: libjwt reads 0 for a
 * claim of another type without an error, and 0 is a valid version. A
 * token without it was issued before versions existed (every user then
 * had version 0), so it keeps working through an upgrade, until the
 * user's first change.
 */
static bool
claim_version(jwt_t *j, int64_t *out)
{
	char *js;
	bool good;

	if ((js = jwt_get_grants_json(j, "ver")) == NULL) {
		*out = 0;
		return true;
	}
	/* Digits only (strtoll would take "+1" and " 1"), no leading 0. */
	good = js[0] >= '0' && js[0] <= '9' &&
	    (js[0] != '0' || js[1] == '\0') &&
	    str_to_i64(js, 0, AUTH_VER_MAX, out);
	free(js);
	return good;
}

/*
 * Reads a JSON boolean claim. jwt_get_grant_bool reads 1, "yes" or
 * anything else as 0 without an error, so the claim's JSON text decides.
 */
static bool
claim_bool(jwt_t *j, const char *name, bool *out)
{
	char *js;
	bool good = true;

	if ((js = jwt_get_grants_json(j, name)) == NULL)
		return false;
	if (strcmp(js, "true") == 0)
		*out = true;
	else if (strcmp(js, "false") == 0)
		*out = false;
	else
		good = false;
	free(js);
	return good;
}

/*
 * True when token (len bytes) has the shape of a compact JWS: three
 * non-empty base64url segments. libjwt 1.10 writes past a heap buffer
 * when it decodes an empty header or payload (valgrind shows it), so
 * nothing else may reach jwt_decode.
 */
static bool
token_shape_ok(const char *token, size_t len)
{
	size_t i, seg = 0;
	int dots = 0;
	char ch;

	for (i = 0; i < len; i++) {
		ch = token[i];
		if (ch == '.') {
			if (seg == 0 || ++dots > 2)
				return false;
			seg = 0;
		} else if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')
			seg++;
		else
			return false;
	}
	return dots == 2 && seg > 0;
}

/*
 * The checks of a token's claims that depend on the clock, the only ones
 * a verified token can fail later (auth_token_verify_memo repeats them).
 */
static const char *
claims_time_refusal(const struct token_claims *c, time_t now)
{
	if (c->exp <= now)
		return "expired";
	/* A token from the future was not made by a clock we trust. */
	if (c->iat > now + AUTH_IAT_LEEWAY)
		return "iat in the future";
	return NULL;
}

/*
 * Checks the claims of a decoded token whose signature and alg are good
 * and fills *c. Returns NULL, or a static reason for the debug log.
 * jwt_get_grant returns NULL for a missing claim and for a non-string one.
 */
static const char *
token_claims_read(jwt_t *j, const struct config *cfg,
    enum token_type expected, time_t now, struct token_claims *c)
{
	const char *s;

	if ((s = jwt_get_grant(j, "iss")) == NULL ||
	    strcmp(s, cfg->jwt_issuer) != 0)
		return "wrong iss";
	if ((s = jwt_get_grant(j, "typ")) == NULL ||
	    strcmp(s, token_typs[expected]) != 0)
		return "wrong typ";
	c->typ = expected;
	if (!claim_time(j, "exp", &c->exp))
		return "no exp";
	if (!claim_time(j, "iat", &c->iat))
		return "no iat";
	if ((s = claims_time_refusal(c, now)) != NULL)
		return s;
	if ((s = jwt_get_grant(j, "sub")) == NULL ||
	    !sub_parse(s, &c->user_id))
		return "bad sub";
	if ((s = jwt_get_grant(j, "jti")) == NULL || !jti_ok(s))
		return "bad jti";
	memcpy(c->jti, s, AUTH_JTI_LEN + 1);
	if (!claim_version(j, &c->version))
		return "bad ver";
	c->is_admin = false;
	if (expected == TOKEN_ACCESS && !claim_bool(j, "adm", &c->is_admin))
		return "bad adm";
	return NULL;
}

/*
 * Issues a token (see auth.h). INV_CONFIG for a short secret or a
 * lifetime that is not positive; INV_INVALID for bad arguments; INV_ENOMEM
 * when libjwt fails (allocation is all it can fail on here).
 * *out is set only on success: new, free() it.
 */
enum inv_err
auth_token_issue(const struct config *cfg, enum token_type typ,
    int64_t user_id, bool is_admin, int64_t version, const char *jti,
    time_t now, char **out)
{
	const unsigned char *key;
	int keylen;
	int64_t ttl;
	char sub[24];
	jwt_t *j = NULL;
	char *tok;
	enum inv_err e = INV_ENOMEM;

	if (!token_key(cfg, &key, &keylen))
		return INV_CONFIG;
	if ((unsigned)typ >= TOKEN__MAX || user_id <= 0 || jti == NULL ||
	    !jti_ok(jti) || now <= 0 || version < 0 || version > AUTH_VER_MAX)
		return INV_INVALID;
	ttl = typ == TOKEN_ACCESS ? cfg->access_token_ttl :
	    cfg->refresh_token_ttl;
	/* libjwt stores integer claims as long. */
	if (ttl <= 0 || (int64_t)now > (int64_t)LONG_MAX - ttl) {
		log_error("auth_token_issue: %s token lifetime %" PRId64
		    " refused", token_typs[typ], ttl);
		return INV_CONFIG;
	}
	snprintf(sub, sizeof(sub), "%" PRId64, user_id);

	if (jwt_new(&j) != 0)
		goto out;
	if (jwt_set_alg(j, JWT_ALG_HS256, key, keylen) != 0 ||
	    jwt_add_grant(j, "sub", sub) != 0 ||
	    jwt_add_grant(j, "typ", token_typs[typ]) != 0 ||
	    jwt_add_grant_int(j, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(j, "exp", (long)(now + ttl)) != 0 ||
	    jwt_add_grant(j, "iss", cfg->jwt_issuer) != 0 ||
	    jwt_add_grant(j, "jti", jti) != 0 ||
	    jwt_add_grant_int(j, "ver", (long)version) != 0)
		goto out;
	if (typ == TOKEN_ACCESS && jwt_add_grant_bool(j, "adm", is_admin) != 0)
		goto out;
	if ((tok = jwt_encode_str(j)) == NULL)
		goto out;
	*out = tok;
	e = INV_OK;
out:
	if (e != INV_OK)
		log_error("auth_token_issue: libjwt failed");
	jwt_free(j);
	return e;
}

/*
 * Verifies a token (see auth.h). *out is zeroed first and filled only when
 * every check passes, so a failure leaves nothing half-trusted in it. The
 * reason for a refusal goes to the debug log, never the token.
 */
enum inv_err
auth_token_verify(const struct config *cfg, const char *token,
    enum token_type expected, time_t now, struct token_claims *out)
{
	const unsigned char *key;
	int keylen;
	struct token_claims c;
	jwt_t *j = NULL;
	const char *why;
	size_t len;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!token_key(cfg, &key, &keylen))
		return INV_AUTH;
	if ((unsigned)expected >= TOKEN__MAX)
		why = "no such token type";
	else if (token == NULL ||
	    (len = strnlen(token, AUTH_TOKEN_MAX + 1)) > AUTH_TOKEN_MAX)
		why = "missing or too long";
	else if (!token_shape_ok(token, len))
		why = "not three base64url segments";
	/* Never a NULL key: then libjwt accepts alg "none". */
	else if (jwt_decode(&j, token, key, keylen) != 0) {
		j = NULL;
		why = "malformed or bad signature";
	} else if (jwt_get_alg(j) != JWT_ALG_HS256)
		why = "alg is not HS256";
	else
		why = token_claims_read(j, cfg, expected, now, &c);
	jwt_free(j);
	if (why != NULL) {
		log_debug("auth_token_verify: token refused: %s", why);
		return INV_AUTH;
	}
	*out = c;
	return INV_OK;
}

/*
 * Verified tokens kept by their text (auth.h). Slots are picked by the
 * token's last characters, its signature's: an HMAC output, evenly
 * spread for tokens that verified, the only ones ever kept.
 */
#define TOKEN_MEMO_SLOTS	256
#define TOKEN_MEMO_TAIL		16	/* characters hashed for the slot */

struct token_memo_slot {
	char			*token;		/* NULL: empty */
	size_t			 len;
	struct token_claims	 claims;
};

struct token_memo {
	const struct config	*cfg;		/* borrowed */
	struct token_memo_slot	 slot[TOKEN_MEMO_SLOTS];
};

struct token_memo *
token_memo_new(const struct config *cfg)
{
	struct token_memo *m = xcalloc(1, sizeof(*m));

	m->cfg = cfg;
	return m;
}

void
token_memo_free(struct token_memo *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < TOKEN_MEMO_SLOTS; i++)
		free(m->slot[i].token);
	free(m);
}

static struct token_memo_slot *
token_memo_slot(struct token_memo *m, const char *token, size_t len)
{
	size_t i = len > TOKEN_MEMO_TAIL ? len - TOKEN_MEMO_TAIL : 0;
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 16777619u;
	return &m->slot[h % TOKEN_MEMO_SLOTS];
}

enum inv_err
auth_token_verify_memo(struct token_memo *m, const char *token,
    enum token_type expected, time_t now, struct token_claims *out)
{
	struct token_memo_slot *s;
	const char *why;
	size_t len;

	if (token == NULL)
		return auth_token_verify(m->cfg, token, expected, now, out);
	/* An overlong token is never kept: it misses, and
	 * auth_token_verify refuses it. */
	len = strnlen(token, AUTH_TOKEN_MAX + 1);
	s = token_memo_slot(m, token, len);
	/* Constant time: how long the comparison takes must not tell how
	 * much of a kept token a guess shares. */
	if (s->token != NULL && s->len == len && s->claims.typ == expected &&
	    CRYPTO_memcmp(s->token, token, len) == 0) {
		if ((why = claims_time_refusal(&s->claims, now)) != NULL) {
			log_debug("auth_token_verify: token refused: %s", why);
			memset(out, 0, sizeof(*out));
			return INV_AUTH;
		}
		*out = s->claims;
		return INV_OK;
	}
	if (auth_token_verify(m->cfg, token, expected, now, out) != INV_OK)
		return INV_AUTH;
	free(s->token);
	s->token = xstrndup(token, len);
	s->len = len;
	s->claims = *out;
	return INV_OK;
}

/*
 * Unpadded standard base64, as PHC strings use it
 */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the unpadded base64 of in[0..len) to b. */
static void
b64_encode(struct buf *b, const unsigned char *in, size_t len)
{
	char q[4];
	uint32_t v;
	size_t i, n;

	for (i = 0; i < len; i += 3) {
		n = len - i < 3 ? len - i : 3;
		v = (uint32_t)in[i] << 16;
		if (n > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (n > 2)
			v |= in[i + 2];
		q[0] = b64_chars[v >> 18];
		q[1] = b64_chars[(v >> 12) & 0x3f];
		q[2] = b64_chars[(v >> 6) & 0x3f];
		q[3] = b64_chars[v & 0x3f];
		/* n bytes need n + 1 characters. */
		buf_append(b, q, n + 1);
	}
}

/* Value of a base64 character, -1 for anything else ('=' included). */
static int
b64_value(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64_chars, c)) == NULL)
		return -1;
	return (int)(p - b64_chars);
}

/*
 * Decodes the len characters at s into out (room for cap bytes) and sets
 * *outlen. Strict: only the alphabet, no padding, no length of 1 mod 4,
 * and the unused low bits of the last character zero, so each byte string
 * has exactly one accepted spelling.
 */
static bool
b64_decode(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, n = 0;
	int v;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return false;
	for (i = 0; i < len; i++) {
		if ((v = b64_value(s[i])) < 0)
			return false;
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return false;
	*outlen = n;
	return true;
}

/*
 * scrypt
 */

/* True when the cost is within the bounds at the top of this file. */
static bool
scrypt_params_ok(const struct scrypt_params *prm)
{
	uint64_t n;

	if (prm->ln < 1 || prm->ln > SCRYPT_LN_MAX ||
	    prm->r < 1 || prm->r > SCRYPT_R_MAX ||
	    prm->p < 1 || prm->p > SCRYPT_P_MAX)
		return false;
	n = UINT64_C(1) << prm->ln;
	return 128 * prm->r * n <= SCRYPT_MEM_MAX &&
	    n * prm->r * prm->p <= SCRYPT_WORK_MAX;
}

/* The configured cost into *prm; false (logged) when out of bounds. */
static bool
scrypt_params_cfg(const struct config *cfg, struct scrypt_params *prm)
{
	/* A negative value converts to a huge one, which the bounds refuse. */
	prm->ln = (uint64_t)cfg->scrypt_ln;
	prm->r = (uint64_t)cfg->scrypt_r;
	prm->p = (uint64_t)cfg->scrypt_p;
	if (scrypt_params_ok(prm))
		return true;
	log_error("auth: scrypt cost ln=%" PRId64 ",r=%" PRId64 ",p=%" PRId64
	    " outside the accepted bounds", cfg->scrypt_ln, cfg->scrypt_r,
	    cfg->scrypt_p);
	return false;
}

/*
 * Derives the SCRYPT_KEY_LEN-byte key of password and salt into key.
 * prm must have passed scrypt_params_ok. INV_ENOMEM (logged) if OpenSSL
 * fails, which within those bounds only allocation does.
 */
static enum inv_err
scrypt_derive(const struct scrypt_params *prm, const char *password,
    const unsigned char *salt, size_t saltlen,
    unsigned char key[SCRYPT_KEY_LEN])
{
	uint64_t n = UINT64_C(1) << prm->ln, maxmem;

	/*
	 * With maxmem 0 OpenSSL caps itself at 32 MiB, which N=2^15,r=8
	 * already needs. What it allocates is B (128*r*p bytes) and
	 * V (128*r*(N+2)): give exactly that plus slack.
	 */
	maxmem = 128 * prm->r * (n + 2 + prm->p) + SCRYPT_MEM_SLACK;
	if (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n,
	    prm->r, prm->p, maxmem, key, SCRYPT_KEY_LEN) != 1) {
		log_error("auth: EVP_PBE_scrypt ln=%" PRIu64 ",r=%" PRIu64
		    ",p=%" PRIu64 " failed: %s", prm->ln, prm->r, prm->p,
		    ERR_reason_error_string(ERR_peek_last_error()));
		ERR_clear_error();
		return INV_ENOMEM;
	}
	return INV_OK;
}

/*
 * Reads "<name>=<decimal>" at *pp and advances *pp past it: 1 to 3 digits
 * without a leading zero (the value is checked by scrypt_params_ok).
 */
static bool
phc_param(const char **pp, const char *name, uint64_t *out)
{
	const char *p = *pp;
	size_t len = strlen(name);
	uint64_t v = 0;
	int digits = 0;

	if (strncmp(p, name, len) != 0 || p[len] != '=' || p[len + 1] == '0')
		return false;
	for (p += len + 1; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 3)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0)
		return false;
	*out = v;
	*pp = p;
	return true;
}

/*
 * Parses "$scrypt$ln=<ln>,r=<r>,p=<p>$<salt>$<key>" into *h: exactly
 * this order and shape, the cost within bounds, nothing after the key.
 */
static bool
phc_parse(const char *s, struct scrypt_hash *h)
{
	const char *p, *salt;
	size_t keylen;

	if (strnlen(s, SCRYPT_PHC_MAX + 1) > SCRYPT_PHC_MAX ||
	    strncmp(s, SCRYPT_PREFIX, strlen(SCRYPT_PREFIX)) != 0)
		return false;
	p = s + strlen(SCRYPT_PREFIX);
	/* Each test stops at a NUL before reading past it. */
	if (!phc_param(&p, "ln", &h->prm.ln) || *p++ != ',' ||
	    !phc_param(&p, "r", &h->prm.r) || *p++ != ',' ||
	    !phc_param(&p, "p", &h->prm.p) || *p++ != '$' ||
	    !scrypt_params_ok(&h->prm))
		return false;
	salt = p;
	if ((p = strchr(salt, '$')) == NULL ||
	    !b64_decode(salt, (size_t)(p - salt), h->salt, sizeof(h->salt),
	    &h->saltlen) || h->saltlen < SCRYPT_SALT_MIN)
		return false;
	p++;
	return b64_decode(p, strlen(p), h->key, sizeof(h->key), &keylen) &&
	    keylen == SCRYPT_KEY_LEN;
}

/*
 * Hashes password (see auth.h). INV_CONFIG for a cost out of bounds, INV_IO
 * if the random generator fails, INV_ENOMEM if scrypt does.
 * *out is set only on success: new, free() it.
 */
enum inv_err
auth_password_hash(const struct config *cfg, const char *password,
    char **out)
{
	struct scrypt_params prm;
	unsigned char salt[SCRYPT_SALT_LEN], key[SCRYPT_KEY_LEN];
	struct buf b;
	enum inv_err e;

	if (password == NULL)
		return INV_INVALID;
	if (!scrypt_params_cfg(cfg, &prm))
		return INV_CONFIG;
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		log_error("auth_password_hash: RAND_bytes failed");
		ERR_clear_error();
		return INV_IO;
	}
	if ((e = scrypt_derive(&prm, password, salt, sizeof(salt), key)) !=
	    INV_OK)
		return e;
	buf_init(&b);
	buf_printf(&b, SCRYPT_PREFIX "ln=%" PRIu64 ",r=%" PRIu64 ",p=%" PRIu64
	    "$", prm.ln, prm.r, prm.p);
	b64_encode(&b, salt, sizeof(salt));
	buf_puts(&b, "$");
	b64_encode(&b, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	*out = buf_take(&b);
	return INV_OK;
}

/*
 * Verifies against a "$scrypt$" hash. A stored cost that differs from the
 * configured one either way asks for a rehash: the operator changed it.
 */
static enum inv_err
scrypt_verify(const struct config *cfg, const char *password,
    const char *stored, bool *ok, bool *rehash)
{
	struct scrypt_hash h;
	struct scrypt_params want;
	unsigned char key[SCRYPT_KEY_LEN];
	enum inv_err e;

	if (!phc_parse(stored, &h))
		return INV_INVALID;
	if ((e = scrypt_derive(&h.prm, password, h.salt, h.saltlen, key)) !=
	    INV_OK)
		return e;
	*ok = CRYPTO_memcmp(key, h.key, sizeof(key)) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	/* With a bad configured cost a rehash could not be written. */
	*rehash = *ok && scrypt_params_cfg(cfg, &want) &&
	    (h.saltlen != SCRYPT_SALT_LEN || h.prm.ln != want.ln ||
	    h.prm.r != want.r || h.prm.p != want.p);
	return INV_OK;
}

/* True for the "$2a$", "$2b$" and "$2y$" prefixes of bcrypt. */
static bool
bcrypt_is(const char *s)
{
	return s[0] == '$' && s[1] == '2' &&
	    (s[2] == 'a' || s[2] == 'b' || s[2] == 'y') && s[3] == '$';
}

/*
 * Verifies against a legacy bcrypt hash through libxcrypt; a match always
 * asks for a rehash to scrypt. The cost ("$2b$NN$") is bounded first.
 */
static enum inv_err
bcrypt_verify(const char *password, const char *stored, bool *ok,
    bool *rehash)
{
	struct crypt_data *cd;
	const char *res;
	int cost;
	enum inv_err e = INV_OK;

	if (strnlen(stored, BCRYPT_LEN + 1) != BCRYPT_LEN ||
	    !isdigit((unsigned char)stored[4]) ||
	    !isdigit((unsigned char)stored[5]) || stored[6] != '$')
		return INV_INVALID;
	cost = (stored[4] - '0') * 10 + (stored[5] - '0');
	if (cost < BCRYPT_COST_MIN || cost > BCRYPT_COST_MAX)
		return INV_INVALID;
	/* About 32 KiB: too big for the stack of a request. */
	cd = xcalloc(1, sizeof(*cd));
	res = crypt_rn(password, stored, cd, (int)sizeof(*cd));
	/* Failure is NULL or a "*0"/"*1" token, never a hash. */
	if (res == NULL || res[0] == '*')
		e = INV_INVALID;
	else
		*ok = strlen(res) == BCRYPT_LEN &&
		    CRYPTO_memcmp(res, stored, BCRYPT_LEN) == 0;
	*rehash = *ok;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return e;
}

/*
 * Verifies password against stored (see auth.h). *ok and *rehash are
 * false unless the password matches. An unreadable hash is logged (not
 * its text) and gives INV_INVALID.
 */
enum inv_err
auth_password_verify(const struct config *cfg, const char *password,
    const char *stored, bool *ok, bool *rehash)
{
	enum inv_err e;

	*ok = *rehash = false;
	if (password == NULL || stored == NULL)
		return INV_INVALID;
	if (strncmp(stored, SCRYPT_PREFIX, strlen(SCRYPT_PREFIX)) == 0)
		e = scrypt_verify(cfg, password, stored, ok, rehash);
	else if (bcrypt_is(stored))
		e = bcrypt_verify(password, stored, ok, rehash);
	else
		e = INV_INVALID;
	if (e == INV_INVALID)
		log_warn("auth_password_verify: stored hash not readable");
	return e;
}

/*
 * One scrypt derivation at the configured cost, the whole price of a
 * verification (parsing and comparing are noise). The salt is fixed: the
 * result is thrown away.
 */
void
auth_password_burn(const struct config *cfg, const char *password)
{
	static const unsigned char salt[SCRYPT_SALT_LEN];
	struct scrypt_params prm;
	unsigned char key[SCRYPT_KEY_LEN];

	if (!scrypt_params_cfg(cfg, &prm))
		return;
	if (scrypt_derive(&prm, password != NULL ? password : "", salt,
	    sizeof(salt), key) == INV_OK)
		OPENSSL_cleanse(key, sizeof(key));
}

/* The n bytes of raw as 2n lower-case hex digits and a NUL into out. */
static void
hex_lower(const unsigned char *raw, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * n] = '\0';
}

enum inv_err
auth_webhook_secret(char out[AUTH_WEBHOOK_SECRET_LEN + 1])
{
	unsigned char raw[AUTH_WEBHOOK_SECRET_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_error("auth_webhook_secret: RAND_bytes failed");
		ERR_clear_error();
		return INV_IO;
	}
	hex_lower(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return INV_OK;
}

void
auth_webhook_signature(const char *secret, const char *timestamp,
    const char *body, size_t len, char out[AUTH_SIGNATURE_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
		    0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t maclen = 0;

	/* One message in three parts, none copied. */
	if ((hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(hmac)) == NULL ||
	    !EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
	    params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)timestamp,
	    strlen(timestamp)) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)body, len) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) || maclen != 32) {
		log_error("auth_webhook_signature: HMAC-SHA256 failed");
		abort();
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	memcpy(out, "v1=", 3);
	hex_lower(mac, maclen, out + 3);
}
