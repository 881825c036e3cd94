/*
 * auth.h: the only door to libjwt and OpenSSL. HS256 tokens and scrypt
 * password hashes (PHC string format), plus verification of the legacy
 * bcrypt hashes of the system this replaces.
 */
#ifndef INV_AUTH_H
#define INV_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

struct config;

enum token_type {
	TOKEN_ACCESS = 0,	/* typ "access" */
	TOKEN_REFRESH,		/* typ "refresh" */
	TOKEN__MAX
};

#define AUTH_JTI_LEN	32	/* hex characters in a jti */
/* How far in the future an iat may lie (clocks of several hosts). */
#define AUTH_IAT_LEEWAY	60	/* seconds */
/* The largest "ver": users.token_version is an INT UNSIGNED. */
#define AUTH_VER_MAX	INT64_C(4294967295)

struct token_claims {
	enum token_type	 typ;
	int64_t		 user_id;		/* "sub", decimal string */
	bool		 is_admin;		/* "adm" (access tokens) */
	int64_t		 version;		/* "ver": the user's token
						   version when issued */
	char		 jti[AUTH_JTI_LEN + 1];
	time_t		 iat;
	time_t		 exp;
};

/*
 * Issues a signed HS256 token of type typ for user_id, valid from now for
 * the configured lifetime, with claims sub, typ, iat, exp, iss, jti, ver
 * (the user's token version, 0..AUTH_VER_MAX) and (access only) adm. jti
 * must be AUTH_JTI_LEN hex characters. *out is new (free()).
 */
enum inv_err auth_token_issue(const struct config *, enum token_type typ,
    int64_t user_id, bool is_admin, int64_t version, const char *jti,
    time_t now, char **out);

/*
 * Verifies token: HS256 only (any other alg, "none" included, is refused),
 * good signature with the configured secret, iss matches, typ == expected,
 * exp > now, iat at most AUTH_IAT_LEEWAY seconds after now, sub a positive
 * integer, ver an integer in 0..AUTH_VER_MAX (0 when absent: tokens from
 * before versions existed). Fills *out and returns INV_OK, or returns
 * INV_AUTH. Never touches the database: whether ver is still the user's
 * is for the caller to check.
 */
enum inv_err auth_token_verify(const struct config *, const char *token,
    enum token_type expected, time_t now, struct token_claims *out);

/*
 * A process's memo of the tokens it verified. Verifying costs an HMAC
 * through OpenSSL and libjwt's parse of the claims, a fifth of a cached
 * read's CPU in inventory.fcgi (doc/BENCHMARKS.md), and a client sends
 * the same access token for the whole of its life. The same text under
 * the same secret has the same signature and claims, so a token found in
 * the memo skips both; the claims that depend on the clock (exp, iat) are
 * checked again at every use. Only tokens that verified are kept, and
 * at most 256 (a newer one takes an older one's slot), so a
 * forged or unknown token costs a full verification as before.
 * auth_token_verify_memo answers exactly as auth_token_verify with the
 * memo's config. The config must not change while the memo lives.
 */
struct token_memo;

struct token_memo *token_memo_new(const struct config *);
void token_memo_free(struct token_memo *);
enum inv_err auth_token_verify_memo(struct token_memo *, const char *token,
    enum token_type expected, time_t now, struct token_claims *out);

/*
 * Hashes password with scrypt at the configured cost and a random 16-byte
 * salt: "$scrypt$ln=14,r=8,p=5$<salt>$<hash>" (unpadded base64). *out new.
 */
enum inv_err auth_password_hash(const struct config *, const char *password,
    char **out);

/*
 * Checks password against stored (scrypt PHC or bcrypt $2b$/$2a$/$2y$) in
 * constant time. *ok tells the outcome; *rehash is true when the hash should
 * be replaced (bcrypt, or scrypt below the configured cost). Returns
 * INV_INVALID for a hash it cannot parse (then *ok is false).
 */
enum inv_err auth_password_verify(const struct config *, const char *password,
    const char *stored, bool *ok, bool *rehash);

/*
 * Does the work of one verification at the configured cost against a fixed
 * hash, so a login for an unknown email costs what a known one does.
 */
void auth_password_burn(const struct config *, const char *password);

/* Hex characters of a webhook's signing secret: 32 random bytes. */
#define AUTH_WEBHOOK_SECRET_LEN	64

/*
 * A new signing secret for a webhook into out: AUTH_WEBHOOK_SECRET_LEN
 * lower-case hex characters of OpenSSL's CSPRNG. INV_IO when it
 * has no randomness to give (logged).
 */
enum inv_err auth_webhook_secret(char out[AUTH_WEBHOOK_SECRET_LEN + 1]);
/* "v1=" and 64 hex digits, and the NUL. */
#define AUTH_SIGNATURE_LEN	(3 + 64 + 1)

/*
 * The signature of a webhook delivery (the X-Inventory-Signature header):
 * "v1=" and the lower-case hex HMAC-SHA256, keyed with secret, of
 * "<timestamp>.<body>" (body is len bytes), into out.
 */
void auth_webhook_signature(const char *secret, const char *timestamp,
    const char *body, size_t len, char out[AUTH_SIGNATURE_LEN]);

#endif
