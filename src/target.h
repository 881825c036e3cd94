/*
 * target.h: whether an outgoing HTTP target (a webhook's URL) may be
 * reached, so the service cannot be made to call into the network it
 * runs in (server-side request forgery). Below the request layer: the
 * admin API checks a URL when it is stored, and the worker checks each
 * address it connects to, since a name may resolve elsewhere by then
 * (DNS rebinding).
 */
#ifndef INV_TARGET_H
#define INV_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

/* The longest target URL, in bytes (webhooks.url). */
#define TARGET_URL_MAX	2048

/*
 * Whether sa (AF_INET or AF_INET6; any other family counts as private)
 * is an address no target may have: unspecified (0.0.0.0/8, ::),
 * loopback (127/8, ::1), private (10/8, 172.16/12, 192.168/16,
 * fc00::/7, fec0::/10), link-local (169.254/16, fe80::/10), shared
 * (CGNAT, 100.64/10), multicast (224/4, ff00::/8), reserved and
 * broadcast (240/4), and an IPv6 address that carries one of those IPv4
 * addresses (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64
 * 64:ff9b::/96).
 */
bool target_addr_private(const struct sockaddr *sa);

/* Why a target URL is refused. */
enum target_fault {
	TARGET_OK = 0,
	TARGET_SCHEME,		/* not http:// or https:// */
	TARGET_TOO_LONG,	/* more than TARGET_URL_MAX bytes */
	TARGET_HOST,		/* no host, or one that is not a host */
	TARGET_UNRESOLVED,	/* the name resolves to no address */
	TARGET_PRIVATE,		/* the host is, or resolves to, an
				   address target_addr_private refuses */
	TARGET__MAX
};

/*
 * The host of url (an http or https URL) into host (size bytes, the
 * brackets of an IPv6 literal left out). Returns the fault of a URL
 * that is none; TARGET_OK when host is filled.
 */
enum target_fault target_url_host(const char *url, char *host, size_t size);

/*
 * Whether url may be a target: an http(s) URL of at most TARGET_URL_MAX
 * bytes with a host that, unless allow_private, is no address
 * target_addr_private refuses and resolves only to such addresses as
 * it accepts (every address a name has is checked; resolving may take
 * the resolver's time). With allow_private the name is not resolved.
 */
enum target_fault target_url_check(const char *url, bool allow_private);

#endif
