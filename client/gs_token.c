/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-token: the game backend's side of connect tokens. `keygen` writes a
 * server key; `mint` seals connect tokens for players of one server. The
 * backend hands each player its token line (token and both packet keys)
 * over its own authenticated channel; gs-client --tokens reads such lines.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gs_auth.h"

#define DEFAULT_PROTOCOL_ID 0x47534e4554ull /* [auth] protocol_id's default */

static void
usage(FILE *f)
{
	fprintf(f, "usage: gs-token keygen FILE\n"
		   "       gs-token mint --key-file FILE --server IP:PORT [options]\n"
		   "keygen writes a fresh random server key (64 hex digits, mode 0600) to FILE,\n"
		   "which must not exist: configure it as [auth] key_file on the server and give\n"
		   "it to the game's backend.\n"
		   "mint prints one line per token, for the backend to hand to a player:\n"
		   "  player=N expires=UNIX_S token=HEX c2s=HEX s2c=HEX\n"
		   "  --key-file FILE      the server key\n"
		   "  --server IP:PORT     the server the token is for (its [net] ip, udp_port)\n"
		   "  --player N           first player id (default 1)\n"
		   "  --count N            tokens for players N, N+1, ... (default 1)\n"
		   "  --lifetime SEC       valid for (default 60; servers refuse more than their\n"
		   "                       [auth] max_token_lifetime_s, 3600 by default)\n"
		   "  --issued-at UNIX_S   mint as if at this time (default now)\n"
		   "  --protocol-id N      the game ([auth] protocol_id, default 0x47534e4554)\n");
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || *end != '\0' ? -EINVAL : 0;
}

static int
parse_server(const char *s, uint32_t *ip, uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	uint64_t p;
	struct in_addr a;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 || parse_u64(colon + 1, &p) < 0 || p == 0 ||
		p > 65535)
		return -EINVAL;
	*ip = a.s_addr;
	*port = htons((uint16_t)p);
	return 0;
}

static int
mint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "server", required_argument, NULL, 's' },
		{ "player", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "issued-at", required_argument, NULL, 'i' },
		{ "protocol-id", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t player = 1, count = 1, lifetime = 60, now = (uint64_t)time(NULL),
		 proto = DEFAULT_PROTOCOL_ID;
	const char *key_file = NULL, *bad = NULL;
	uint8_t key[GS_KEY_LEN], sealed[GS_TOKEN_LEN];
	char err[512], hex_t[2 * GS_TOKEN_LEN + 1], hex_c[2 * GS_PKT_KEY_LEN + 1],
		hex_s[2 * GS_PKT_KEY_LEN + 1];
	bool have_server = false;
	uint32_t ip = 0;
	uint16_t port = 0;
	int opt, ret;

	while (bad == NULL && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			key_file = optarg;
			break;
		case 's':
			have_server = parse_server(optarg, &ip, &port) == 0;
			if (!have_server)
				bad = "--server wants IPV4:PORT";
			break;
		case 'p':
			if (parse_u64(optarg, &player) < 0)
				bad = "--player wants an unsigned integer";
			break;
		case 'n':
			if (parse_u64(optarg, &count) < 0 || count == 0 || count > 1000000)
				bad = "--count wants 1..1000000";
			break;
		case 'l':
			if (parse_u64(optarg, &lifetime) < 0 || lifetime == 0 ||
				lifetime > 86400 * 7)
				bad = "--lifetime wants 1..604800 seconds";
			break;
		case 'i':
			if (parse_u64(optarg, &now) < 0)
				bad = "--issued-at wants Unix seconds";
			break;
		case 'P':
			if (parse_u64(optarg, &proto) < 0)
				bad = "--protocol-id wants an unsigned integer";
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (bad == NULL && key_file == NULL)
		bad = "--key-file is required";
	if (bad == NULL && !have_server)
		bad = "--server is required";
	if (bad != NULL) {
		fprintf(stderr, "gs-token mint: %s (try --help)\n", bad);
		return 2;
	}
	if (lifetime > GS_TOKEN_MAX_LIFETIME_S)
		fprintf(stderr,
			"gs-token mint: warning: --lifetime %" PRIu64
			" is above the servers' default [auth] max_token_lifetime_s (%u): they refuse these tokens (token_lifetime) unless configured for them\n",
			lifetime, GS_TOKEN_MAX_LIFETIME_S);
	ret = gs_key_load(key_file, key, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "gs-token: %s\n", err);
		return 1;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct gs_token t;

		gs_token_new(&t, proto, player + i, ip, port, now, (uint32_t)lifetime);
		gs_token_seal(key, &t, sealed);
		gs_hex(hex_t, sealed, sizeof(sealed));
		gs_hex(hex_c, t.c2s_key, sizeof(t.c2s_key));
		gs_hex(hex_s, t.s2c_key, sizeof(t.s2c_key));
		printf("player=%" PRIu64 " expires=%" PRIu64 " token=%s c2s=%s s2c=%s\n",
			t.player_id, t.expire_s, hex_t, hex_c, hex_s);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int ret;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (gs_auth_init() < 0) {
		fprintf(stderr, "gs-token: libsodium cannot initialise\n");
		return 1;
	}
	if (strcmp(argv[1], "keygen") == 0) {
		if (argc != 3) {
			fprintf(stderr, "usage: gs-token keygen FILE\n");
			return 2;
		}
		ret = gs_key_generate(argv[2]);
		if (ret < 0) {
			fprintf(stderr, "gs-token: %s: %s\n", argv[2], strerror(-ret));
			return 1;
		}
		printf("gs-token: wrote a new server key to %s (mode 0600)\n", argv[2]);
		return 0;
	}
	if (strcmp(argv[1], "mint") == 0)
		return mint(argc - 1, argv + 1);
	fprintf(stderr, "gs-token: unknown command '%s' (keygen, mint)\n", argv[1]);
	return 2;
}
