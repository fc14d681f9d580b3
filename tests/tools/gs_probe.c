/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gs-probe: plays one attack against a gsnet server over kernel UDP and
 * prints what came back, as "probe SCENARIO: key=value ..." for the auth
 * test to check. It never decides pass or fail itself, except for exit
 * status 2 (bad usage) and 1 (a step that should work could not be done,
 * e.g. the honest handshake before an attack).
 *
 *   bad-token   CONNECT with the token of line N (forged, expired, for another
 *               server: the test mints it so), --tries times, each returning
 *               the cookie of the CHALLENGE it gets (the primary does not
 *               open tokens): challenged=, answers= (after the cookie)
 *   flip        the same with one byte of the token flipped (--flip OFFSET)
 *   no-token    one padded CONNECT without a token, one unpadded: answers=
 *   reuse       connect with the token, DISCONNECT, connect with it again from
 *               another socket: challenge=, accepted=
 *   retransmit  connect, then the last CONNECT (token and cookie) again,
 *               --tries times, as after a lost accept: accepts=, same_session=
 *   forged-tag  connect; a HEARTBEAT with its tag altered, then an honest one
 *   replay      connect; a HEARTBEAT, the same datagram again, and an older one
 *   other-addr  connect; the session's HEARTBEAT sent from another socket,
 *               then from the session's own
 *   handshake   connect: sizes of CONNECT, CHALLENGE and CONNECT_ACCEPT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gsclient.h"

#define WAIT_MS 400

struct probe {
	struct sockaddr_in server;
	uint8_t token[GS_TOKEN_LEN];
	uint8_t c2s[GS_PKT_KEY_LEN];
	uint8_t s2c[GS_PKT_KEY_LEN];
	unsigned int tries;
	/* sizes seen in the last handshake */
	size_t connect_len, challenge_len, accept_len;
};

static struct gsc_session sess; /* large: not on the stack */

static int
open_sock(const struct probe *pr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)&pr->server, sizeof(pr->server)) < 0) {
		perror("gs-probe: socket");
		exit(1);
	}
	return fd;
}

static void
send_or_die(int fd, const uint8_t *buf, size_t len)
{
	if (send(fd, buf, len, 0) != (ssize_t)len) {
		perror("gs-probe: send");
		exit(1);
	}
}

/* Wait up to @p ms for one datagram; its length, or 0 on timeout. */
static size_t
recv_one(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(fd, buf, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

/* Datagrams arriving on @p fd within @p ms, fed to @p s when non-NULL. */
static unsigned int
count_answers(int fd, struct gsc_session *s, int ms)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	unsigned int n = 0;
	struct gsc_event ev;
	size_t len;

	while ((len = recv_one(fd, buf, sizeof(buf), ms)) > 0) {
		n++;
		if (s != NULL)
			gsc_session_input(s, buf, len, gsc_now_ns(), &ev);
	}
	return n;
}

/* Connect @p s over @p fd with its token: CONNECT, CHALLENGE, CONNECT, CONNECT_ACCEPT. */
static int
handshake(struct probe *pr, struct gsc_session *s, int fd, uint64_t player)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	struct gsc_event ev;
	size_t len;

	gsc_session_init(s, player);
	gsc_session_set_token(s, pr->token, pr->c2s, pr->s2c);
	pr->challenge_len = pr->accept_len = 0;
	for (unsigned int attempt = 0; attempt < 5 && s->state != GSC_STATE_CONNECTED; attempt++) {
		if (gsc_session_connect(s, gsc_now_ns(), buf, sizeof(buf), &len) < 0)
			return -1;
		pr->connect_len = len;
		send_or_die(fd, buf, len);
		while ((len = recv_one(fd, buf, sizeof(buf), WAIT_MS)) > 0) {
			if (gsc_session_input(s, buf, len, gsc_now_ns(), &ev) < 0)
				continue;
			if (ev.type == GSC_EVENT_CHALLENGE) {
				pr->challenge_len = len;
				if (gsc_session_connect(s, gsc_now_ns(), buf, sizeof(buf), &len) <
					0)
					return -1;
				send_or_die(fd, buf, len);
			} else if (ev.type == GSC_EVENT_CONNECTED) {
				pr->accept_len = len;
				break;
			}
		}
	}
	return s->state == GSC_STATE_CONNECTED ? 0 : -1;
}

static int
read_token(struct probe *pr, const char *path, unsigned int line_no)
{
	char line[1024];
	unsigned int n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "gs-probe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (++n == line_no)
			break;
	fclose(f);
	if (n != line_no)
		return -1;
	return gsc_token_line_parse(line, pr->token, pr->c2s, pr->s2c);
}

/*
 * A CONNECT with the token as it is (maybe bad), --tries times: the stateless
 * CHALLENGE comes back whatever the token; is there any answer once the
 * CONNECT returns its cookie?
 */
static int
bad_token(struct probe *pr, const char *name)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	unsigned int answers = 0, challenged = 0;
	int fd = open_sock(pr);
	struct gsc_event ev;
	size_t len;

	for (unsigned int i = 0; i < pr->tries; i++) {
		gsc_session_init(&sess, 1);
		gsc_session_set_token(&sess, pr->token, pr->c2s, pr->s2c);
		gsc_session_connect(&sess, gsc_now_ns(), buf, sizeof(buf), &len);
		send_or_die(fd, buf, len);
		len = recv_one(fd, buf, sizeof(buf), WAIT_MS);
		if (len == 0 || gsc_session_input(&sess, buf, len, gsc_now_ns(), &ev) < 0 ||
			ev.type != GSC_EVENT_CHALLENGE)
			continue;
		challenged++;
		gsc_session_connect(&sess, gsc_now_ns(), buf, sizeof(buf), &len);
		send_or_die(fd, buf, len);
		answers += count_answers(fd, NULL, WAIT_MS / 2);
	}
	printf("probe %s: sent=%u challenged=%u answers=%u\n", name, pr->tries, challenged,
		answers);
	close(fd);
	return 0;
}

static int
no_token(struct probe *pr)
{
	static const uint8_t zeros[GS_CONNECT_MIN_PAYLOAD];
	Gs__Connect c = GS__CONNECT__INIT;
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	unsigned int answers = 0;
	int fd = open_sock(pr);
	size_t len;

	c.player_id = 7;
	c.padding.data = (uint8_t *)(uintptr_t)zeros;
	c.padding.len = sizeof(zeros);
	gsc_frame_build(buf, sizeof(buf), GS_MSG_CONNECT, 0, 0, &c.base, &len);
	send_or_die(fd, buf, len); /* long enough, no token */
	answers += count_answers(fd, NULL, WAIT_MS / 2);
	c.padding.len = 0;
	gsc_frame_build(buf, sizeof(buf), GS_MSG_CONNECT, 0, 1, &c.base, &len);
	send_or_die(fd, buf, len); /* too short for a CONNECT */
	answers += count_answers(fd, NULL, WAIT_MS / 2);
	printf("probe no-token: sent=2 answers=%u\n", answers);
	close(fd);
	return 0;
}

static int
reuse(struct probe *pr)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	int fd = open_sock(pr), fd2;
	unsigned int challenged = 0, accepted = 0;
	struct gsc_event ev;
	size_t len;

	if (handshake(pr, &sess, fd, 1) < 0) {
		fprintf(stderr, "gs-probe reuse: the first connect with the token failed\n");
		return 1;
	}
	gsc_session_disconnect(&sess, buf, sizeof(buf), &len);
	send_or_die(fd, buf, len);
	count_answers(fd, NULL, WAIT_MS / 2);
	close(fd);

	/* the same token again, from another address */
	fd2 = open_sock(pr);
	gsc_session_init(&sess, 1);
	gsc_session_set_token(&sess, pr->token, pr->c2s, pr->s2c);
	for (unsigned int i = 0; i < pr->tries; i++) {
		gsc_session_connect(&sess, gsc_now_ns(), buf, sizeof(buf), &len);
		send_or_die(fd2, buf, len);
		while ((len = recv_one(fd2, buf, sizeof(buf), WAIT_MS / 2)) > 0) {
			if (gsc_session_input(&sess, buf, len, gsc_now_ns(), &ev) < 0)
				continue;
			if (ev.type == GSC_EVENT_CHALLENGE) {
				challenged++;
				gsc_session_connect(&sess, gsc_now_ns(), buf, sizeof(buf), &len);
				send_or_die(fd2, buf, len);
			} else if (ev.type == GSC_EVENT_CONNECTED) {
				accepted++;
			}
		}
	}
	printf("probe reuse: first=connected tries=%u challenged=%u accepted=%u\n", pr->tries,
		challenged, accepted);
	close(fd2);
	return 0;
}

/*
 * The server's CONNECT_ACCEPT is lost: the client sends its last CONNECT
 * (token and cookie) again. The server must answer with the same session,
 * not refuse the token as reused nor open a second session.
 */
static int
retransmit(struct probe *pr)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64], last[GSC_DATAGRAM_MAX + 64];
	unsigned int accepts = 0, same = 0;
	int fd = open_sock(pr);
	struct gs_hdr h;
	size_t len, last_len = 0;
	struct gsc_event ev;

	gsc_session_init(&sess, 1);
	gsc_session_set_token(&sess, pr->token, pr->c2s, pr->s2c);
	if (gsc_session_connect(&sess, gsc_now_ns(), buf, sizeof(buf), &len) < 0)
		return 1;
	send_or_die(fd, buf, len);
	while ((len = recv_one(fd, buf, sizeof(buf), WAIT_MS)) > 0 &&
		sess.state != GSC_STATE_CONNECTED) {
		if (gsc_session_input(&sess, buf, len, gsc_now_ns(), &ev) < 0)
			continue;
		if (ev.type == GSC_EVENT_CHALLENGE) {
			if (gsc_session_connect(
				    &sess, gsc_now_ns(), last, sizeof(last), &last_len) < 0)
				return 1;
			send_or_die(fd, last, last_len);
		}
	}
	if (sess.state != GSC_STATE_CONNECTED || last_len == 0) {
		fprintf(stderr, "gs-probe retransmit: the first connect failed\n");
		return 1;
	}
	for (unsigned int i = 0; i < pr->tries; i++) {
		send_or_die(fd, last, last_len); /* the same CONNECT, byte for byte */
		while ((len = recv_one(fd, buf, sizeof(buf), WAIT_MS / 2)) > 0)
			if (gs_hdr_decode(buf, len, &h) == GS_HDR_OK &&
				h.type == GS_MSG_CONNECT_ACCEPT) {
				accepts++;
				same += h.session_id == sess.session_id;
			}
	}
	printf("probe retransmit: session=%08x tries=%u accepts=%u same_session=%u\n",
		sess.session_id, pr->tries, accepts, same);
	close(fd);
	return 0;
}

/* Connect over a fresh socket and produce one HEARTBEAT into @p buf. */
static int
connected_heartbeat(struct probe *pr, int fd, uint8_t *buf, size_t cap, size_t *len)
{
	if (handshake(pr, &sess, fd, 1) < 0) {
		fprintf(stderr, "gs-probe: the honest connect failed\n");
		return -1;
	}
	return gsc_session_heartbeat(&sess, gsc_now_ns(), buf, cap, len);
}

static int
forged_tag(struct probe *pr)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	unsigned int forged, honest;
	int fd = open_sock(pr);
	size_t len;

	if (connected_heartbeat(pr, fd, buf, sizeof(buf), &len) < 0)
		return 1;
	buf[GS_WIRE_HDR_LEN - 1] ^= 0x40; /* the last byte of the auth tag */
	send_or_die(fd, buf, len);
	forged = count_answers(fd, &sess, WAIT_MS);
	buf[GS_WIRE_HDR_LEN - 1] ^= 0x40;
	send_or_die(fd, buf, len);
	honest = count_answers(fd, &sess, WAIT_MS);
	printf("probe forged-tag: forged_answers=%u honest_answers=%u acks=%" PRIu64 "\n", forged,
		honest, sess.stats.hb_acked);
	close(fd);
	return 0;
}

static int
replay(struct probe *pr)
{
	uint8_t first[GSC_DATAGRAM_MAX + 64], buf[GSC_DATAGRAM_MAX + 64];
	unsigned int a1, a2, a3, a4;
	int fd = open_sock(pr);
	size_t len1, len;

	if (connected_heartbeat(pr, fd, first, sizeof(first), &len1) < 0)
		return 1;
	send_or_die(fd, first, len1);
	a1 = count_answers(fd, &sess, WAIT_MS);
	send_or_die(fd, first, len1); /* the same datagram again */
	a2 = count_answers(fd, &sess, WAIT_MS);
	gsc_session_heartbeat(&sess, gsc_now_ns(), buf, sizeof(buf), &len);
	send_or_die(fd, buf, len); /* a newer one is served */
	a3 = count_answers(fd, &sess, WAIT_MS);
	send_or_die(fd, first, len1); /* the older one, once more */
	a4 = count_answers(fd, &sess, WAIT_MS);
	printf("probe replay: first_answers=%u replay_answers=%u next_answers=%u old_answers=%u\n",
		a1, a2, a3, a4);
	close(fd);
	return 0;
}

static int
other_addr(struct probe *pr)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	unsigned int other, own_after_other, own;
	int fd = open_sock(pr), fd2 = open_sock(pr);
	size_t len;

	if (connected_heartbeat(pr, fd, buf, sizeof(buf), &len) < 0)
		return 1;
	send_or_die(fd2, buf, len); /* right session id and tag, wrong source port */
	other = count_answers(fd2, NULL, WAIT_MS);
	own_after_other = count_answers(fd, NULL, 1);
	send_or_die(fd, buf, len); /* from the session's own address */
	own = count_answers(fd, &sess, WAIT_MS);
	printf("probe other-addr: other_answers=%u session_saw=%u own_answers=%u\n", other,
		own_after_other, own);
	close(fd);
	close(fd2);
	return 0;
}

static int
sizes(struct probe *pr)
{
	uint8_t buf[GSC_DATAGRAM_MAX + 64];
	int fd = open_sock(pr);
	size_t len;

	if (handshake(pr, &sess, fd, 1) < 0) {
		fprintf(stderr, "gs-probe handshake: connect failed\n");
		return 1;
	}
	printf("probe handshake: connect_bytes=%zu challenge_bytes=%zu accept_bytes=%zu "
	       "session=%08x\n",
		pr->connect_len, pr->challenge_len, pr->accept_len, sess.session_id);
	gsc_session_disconnect(&sess, buf, sizeof(buf), &len);
	send_or_die(fd, buf, len);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "tokens", required_argument, NULL, 't' },
		{ "line", required_argument, NULL, 'l' },
		{ "tries", required_argument, NULL, 'n' },
		{ "flip", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe pr = { .tries = 3 };
	const char *tokens = NULL, *scenario;
	unsigned int line = 1;
	int flip = -1, opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': {
			char host[64];
			const char *colon = strrchr(optarg, ':');

			if (colon == NULL || (size_t)(colon - optarg) >= sizeof(host))
				return 2;
			memcpy(host, optarg, (size_t)(colon - optarg));
			host[colon - optarg] = '\0';
			pr.server.sin_family = AF_INET;
			pr.server.sin_port = htons((uint16_t)atoi(colon + 1));
			if (inet_pton(AF_INET, host, &pr.server.sin_addr) != 1)
				return 2;
			break;
		}
		case 't':
			tokens = optarg;
			break;
		case 'l':
			line = (unsigned int)atoi(optarg);
			break;
		case 'n':
			pr.tries = (unsigned int)atoi(optarg);
			break;
		case 'f':
			flip = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || pr.server.sin_port == 0) {
		fprintf(stderr, "usage: gs-probe --server IP:PORT [--tokens FILE --line N] "
				"[--tries N] [--flip OFFSET] SCENARIO\n");
		return 2;
	}
	scenario = argv[optind];
	if (strcmp(scenario, "no-token") == 0)
		return no_token(&pr);
	if (tokens == NULL || read_token(&pr, tokens, line) < 0) {
		fprintf(stderr, "gs-probe: no token at line %u of %s\n", line,
			tokens != NULL ? tokens : "(no --tokens)");
		return 2;
	}
	if (gs_auth_init() < 0)
		return 1;
	if (strcmp(scenario, "bad-token") == 0)
		return bad_token(&pr, "bad-token");
	if (strcmp(scenario, "flip") == 0) {
		if (flip < 0 || flip >= (int)GS_TOKEN_LEN)
			return 2;
		pr.token[flip] ^= 0x01;
		return bad_token(&pr, "flip");
	}
	if (strcmp(scenario, "reuse") == 0)
		return reuse(&pr);
	if (strcmp(scenario, "retransmit") == 0)
		return retransmit(&pr);
	if (strcmp(scenario, "forged-tag") == 0)
		return forged_tag(&pr);
	if (strcmp(scenario, "replay") == 0)
		return replay(&pr);
	if (strcmp(scenario, "other-addr") == 0)
		return other_addr(&pr);
	if (strcmp(scenario, "handshake") == 0)
		return sizes(&pr);
	fprintf(stderr, "gs-probe: unknown scenario %s\n", scenario);
	return 2;
}
