/*
 * target.c: which outgoing targets may be reached (target.h).
 */
#include <ctype.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>

#include "target.h"
#include "util.h"

/* An IPv4 address in host order against the ranges of target.h. */
static bool
v4_private(uint32_t a)
{
	return (a >> 24) == 0 ||		/* 0/8: "this network" */
	    (a >> 24) == 127 ||			/* loopback */
	    (a >> 24) == 10 ||			/* RFC 1918 */
	    (a & 0xfff00000u) == 0xac100000u ||	/* 172.16/12 */
	    (a & 0xffff0000u) == 0xc0a80000u ||	/* 192.168/16 */
	    (a & 0xffff0000u) == 0xa9fe0000u ||	/* 169.254/16 */
	    (a & 0xffc00000u) == 0x64400000u ||	/* 100.64/10 CGNAT */
	    (a >> 28) >= 0xe;			/* 224/4, 240/4 */
}

/* The IPv4 address at b[0..4) (network order) against them. */
static bool
v4_bytes_private(const unsigned char *b)
{
	return v4_private((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]);
}

static bool
v6_private(const unsigned char *b)
{
	static const unsigned char zero[12], nat64[12] = { 0x00, 0x64,
	    0xff, 0x9b };

	/* ::/96 (::, ::1 and IPv4-compatible), ::ffff:0:0/96 (mapped) and
	 * NAT64's 64:ff9b::/96 reach the IPv4 address they end with. */
	if (memcmp(b, zero, 12) == 0 || memcmp(b, nat64, 12) == 0 ||
	    (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff))
		return v4_bytes_private(b + 12);
	/* 6to4, 2002::/16, that of the IPv4 address after its prefix. */
	if (b[0] == 0x20 && b[1] == 0x02)
		return v4_bytes_private(b + 2);
	/* fc00::/7 unique local, fe80::/10 link-local and fec0::/10
	 * site-local, ff00::/8 multicast. */
	return (b[0] & 0xfe) == 0xfc ||
	    (b[0] == 0xfe && (b[1] & 0x80) == 0x80) || b[0] == 0xff;
}

bool
target_addr_private(const struct sockaddr *sa)
{
	const struct sockaddr_in *in;
	const struct sockaddr_in6 *in6;

	if (sa == NULL)
		return true;
	switch (sa->sa_family) {
	case AF_INET:
		in = (const struct sockaddr_in *)(const void *)sa;
		return v4_bytes_private((const unsigned char *)
		    &in->sin_addr.s_addr);
	case AF_INET6:
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return v6_private(in6->sin6_addr.s6_addr);
	default:
		return true;
	}
}

/* A character of a host name or IPv4 address as a URL writes it. */
static bool
host_char(unsigned char c)
{
	return is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

enum target_fault
target_url_host(const char *url, char *host, size_t size)
{
	const char *auth, *end, *h;
	size_t n, i;
	bool literal;

	if (strlen(url) > TARGET_URL_MAX)
		return TARGET_TOO_LONG;
	if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else
		return TARGET_SCHEME;
	end = auth + strcspn(auth, "/?#");
	/* A user name is no part of a target: where it ends is where
	 * clients disagree about the host. */
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return TARGET_HOST;
	literal = *auth == '[';
	if (literal) {
		h = auth + 1;
		n = strcspn(h, "]");
		if (h + n >= end)
			return TARGET_HOST;
		if (h[n + 1] != ':' && h + n + 1 != end)
			return TARGET_HOST;
	} else {
		h = auth;
		n = strcspn(h, ":/?#");
	}
	if (n == 0 || n >= size)
		return TARGET_HOST;
	for (i = 0; i < n; i++)
		if (literal ? !(isxdigit((unsigned char)h[i]) || h[i] == ':' ||
		    h[i] == '.') : !host_char((unsigned char)h[i]))
			return TARGET_HOST;
	memcpy(host, h, n);
	host[n] = '\0';
	return TARGET_OK;
}

enum target_fault
target_url_check(const char *url, bool allow_private)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[TARGET_URL_MAX + 1];
	enum target_fault f;
	bool literal;

	if ((f = target_url_host(url, host, sizeof(host))) != TARGET_OK ||
	    allow_private)
		return f;
	literal = strchr(host, ':') != NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = literal ? AI_NUMERICHOST : 0;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return literal ? TARGET_HOST : TARGET_UNRESOLVED;
	for (ai = res; ai != NULL && f == TARGET_OK; ai = ai->ai_next)
		if (target_addr_private(ai->ai_addr))
			f = TARGET_PRIVATE;
	freeaddrinfo(res);
	return f;
}
