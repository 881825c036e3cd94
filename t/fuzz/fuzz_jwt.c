/*
 * fuzz_jwt: auth_token_verify with a fixed configuration.
 *
 * The first byte chooses the expected token type (bit 2: refresh, else
 * access) and what the rest is (bits 0-1):
 *   0, 3  the token text itself;
 *   1     a payload JSON, put under the header {"alg":"HS256","typ":"JWT"}
 *         and signed with the configured secret;
 *   2     a header JSON, '\n', a payload JSON, signed the same way.
 * Random bytes never carry a good signature, so modes 1 and 2 are what
 * let the fuzzer past the signature into libjwt's JSON parsing and our
 * claim checks (iss, typ, exp, iat, sub, jti, adm).
 *
 * libjwt 1.10 writes past a heap buffer when it decodes an empty header
 * or payload, and copies every segment onto the stack; auth.c guards it
 * (token_shape_ok, AUTH_TOKEN_MAX). The harness is linked with
 * -Wl,--wrap=jwt_decode (t/fuzz/fuzz.mk): every call from auth.c comes
 * here first, and anything but three non-empty base64url segments of at
 * most 4096 bytes is a finding, whether or not libjwt would crash on it.
 *
 * Invariants: a verified token gives the expected type, a positive user
 * id, a 32-hex-digit jti and an exp after now; a refused one leaves the
 * claims zeroed. The memo of verified tokens the router uses, kept across
 * inputs, answers exactly as auth_token_verify, now and at a later time
 * the input picks (when a kept token may have expired).
 */
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "config.h"
#include "fuzz.h"

#define NOW		((time_t)1700000000)
#define SECRET		"fuzz-jwt-secret-0123456789abcdef0123456789"
#define TOKEN_MAX	4096	/* AUTH_TOKEN_MAX in auth.c */

int __real_jwt_decode(jwt_t **, const char *, const unsigned char *, int);
int __wrap_jwt_decode(jwt_t **, const char *, const unsigned char *, int);

static struct config cfg;
static struct token_memo *memo;
static unsigned long decodes;	/* calls that reached libjwt */

/* Three non-empty base64url segments, as token_shape_ok demands. */
static bool
shape_ok(const char *t)
{
	size_t seg = 0;
	int dots = 0;

	for (; *t != '\0'; t++) {
		if (*t == '.') {
			if (seg == 0)
				return false;
			dots++;
			seg = 0;
		} else if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_", *t) != NULL)
			seg++;
		else
			return false;
	}
	return dots == 2 && seg > 0;
}

int
__wrap_jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key,
    int key_len)
{
	decodes++;
	FUZZ_ASSERT(token != NULL && strnlen(token, TOKEN_MAX + 1) <=
	    TOKEN_MAX);
	FUZZ_ASSERT(shape_ok(token));
	FUZZ_ASSERT(key != NULL && key_len >= CONFIG_MIN_SECRET_LEN);
	return __real_jwt_decode(jwt, token, key, key_len);
}

/* Appends the unpadded base64url of in[0..n) to b. */
static void
b64url(struct buf *b, const void *in, size_t n)
{
	char *out = xmalloc(4 * (n / 3 + 1) + 1);
	int len, i;

	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	for (i = 0; i < len; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	while (len > 0 && out[len - 1] == '=')
		len--;
	buf_append(b, out, (size_t)len);
	free(out);
}

/* New token "b64(header).b64(payload).b64(HS256)", signed with SECRET. */
static char *
sign(const char *header, size_t hlen, const uint8_t *payload, size_t plen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf b;

	buf_init(&b);
	b64url(&b, header, hlen);
	buf_puts(&b, ".");
	b64url(&b, payload, plen);
	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)b.data, b.len, mac, &maclen) == NULL)
		abort();
	buf_puts(&b, ".");
	b64url(&b, mac, maclen);
	return buf_take(&b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *why = NULL;

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	if (config_load_string(&cfg, "jwt_secret = " SECRET "\n", "fuzz_jwt",
	    &why) != INV_OK) {
		fprintf(stderr, "fuzz_jwt: config: %s\n", why);
		abort();
	}
	memo = token_memo_new(&cfg);
	return 0;
}

/* The memo's answer at now is auth_token_verify's, claims and all. */
static void
memo_agrees(const char *token, enum token_type typ, time_t now)
{
	struct token_claims c, m;
	enum inv_err rc = auth_token_verify(&cfg, token, typ, now, &c);

	FUZZ_ASSERT(auth_token_verify_memo(memo, token, typ, now, &m) == rc);
	FUZZ_ASSERT(c.typ == m.typ && c.user_id == m.user_id &&
	    c.is_admin == m.is_admin && c.version == m.version &&
	    strcmp(c.jti, m.jti) == 0 && c.iat == m.iat && c.exp == m.exp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char std_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const uint8_t *nl;
	struct token_claims c;
	enum token_type typ;
	unsigned long before = decodes;
	char *token;
	int mode;

	if (size < 1 || size > 2 * TOKEN_MAX)
		return 0;
	typ = data[0] & 4 ? TOKEN_REFRESH : TOKEN_ACCESS;
	mode = data[0] & 3;
	data++;
	size--;
	if (mode == 1)
		token = sign(std_header, strlen(std_header), data, size);
	else if (mode == 2 && (nl = memchr(data, '\n', size)) != NULL)
		token = sign((const char *)data, (size_t)(nl - data), nl + 1,
		    size - (size_t)(nl - data) - 1);
	else
		token = fuzz_cstr(data, size);

	if (auth_token_verify(&cfg, token, typ, NOW, &c) == INV_OK) {
		FUZZ_ASSERT(c.typ == typ);
		FUZZ_ASSERT(c.user_id >= 1);
		FUZZ_ASSERT(c.exp > NOW && c.iat > 0);
		FUZZ_ASSERT(strlen(c.jti) == AUTH_JTI_LEN);
		FUZZ_ASSERT(typ == TOKEN_ACCESS || !c.is_admin);
	} else
		FUZZ_ASSERT(c.user_id == 0 && c.jti[0] == '\0' &&
		    !c.is_admin && c.exp == 0);
	/* A well-formed token is checked by libjwt: through the wrapper,
	 * so the wrapper really guards every call. */
	if (strlen(token) <= TOKEN_MAX && shape_ok(token))
		FUZZ_ASSERT(decodes == before + 1);
	memo_agrees(token, typ, NOW);
	memo_agrees(token, typ, NOW + (time_t)(size % 2000));
	free(token);
	return 0;
}
