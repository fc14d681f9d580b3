/* SPDX-License-Identifier: BSD-3-Clause */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gs_auth.h"

/* Public part of a token: magic, protocol id, times, nonce (the AEAD's associated data). */
#define TOKEN_PUBLIC_LEN  56u
/* Sealed part: player id, server address, reserved, both packet keys. */
#define TOKEN_PRIVATE_LEN 48u

_Static_assert(TOKEN_PUBLIC_LEN + TOKEN_PRIVATE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES ==
		       GS_TOKEN_LEN,
	"token layout");
_Static_assert(GS_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "server key size");
_Static_assert(
	GS_TOKEN_NONCE_OFF + GS_TOKEN_NONCE_LEN == TOKEN_PUBLIC_LEN, "nonce ends the public part");
_Static_assert(GS_TOKEN_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce size");
_Static_assert(GS_PKT_KEY_LEN == crypto_shorthash_siphash24_KEYBYTES, "packet key size");
_Static_assert(crypto_shorthash_siphash24_BYTES == 8, "the header's auth_tag is 8 bytes");
_Static_assert(GS_COOKIE_KEY_LEN == crypto_shorthash_siphashx24_KEYBYTES, "cookie key size");
_Static_assert(GS_COOKIE_LEN == 8 + crypto_shorthash_siphashx24_BYTES, "cookie layout");

#define TAG_OFF 16u /* auth_tag in the game header */

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int
gs_auth_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void
gs_hex(char *out, const uint8_t *in, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, in, len);
}

int
gs_unhex(uint8_t *out, size_t len, const char *in)
{
	size_t got = 0;
	const char *end = NULL;

	if (strlen(in) != 2 * len || sodium_hex2bin(out, len, in, 2 * len, NULL, &got, &end) != 0 ||
		got != len)
		return -EINVAL;
	return 0;
}

int
gs_key_load(const char *path, uint8_t key[GS_KEY_LEN], char *err, size_t err_len)
{
	char buf[2 * GS_KEY_LEN + 64], *s, *e;
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "server key %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		snprintf(err, err_len, "server key %s: fstat: %s", path, strerror(-ret));
		return ret;
	}
	/* the group's members are other users too: a shared group would be the
	 * easiest way to let the key out */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		snprintf(err, err_len,
			"server key %s: mode %04o gives its group or other users access; run chmod 600 %s",
			path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	/* someone else's file (root reads anything) would be theirs to replace */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		close(fd);
		snprintf(err, err_len,
			"server key %s: owned by uid %u, not by this process (uid %u) or root; run chown %u %s",
			path, (unsigned int)st.st_uid, (unsigned int)geteuid(),
			(unsigned int)geteuid(), path);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, err_len, "server key %s: %s", path, strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	ret = gs_unhex(key, GS_KEY_LEN, s);
	sodium_memzero(buf, sizeof(buf));
	if (ret < 0) {
		snprintf(err, err_len,
			"server key %s: expected %u hex digits (gs-token keygen writes one)", path,
			2 * GS_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

int
gs_key_generate(const char *path)
{
	uint8_t key[GS_KEY_LEN];
	char hex[2 * GS_KEY_LEN + 2];
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	randombytes_buf(key, sizeof(key));
	gs_hex(hex, key, sizeof(key));
	hex[2 * GS_KEY_LEN] = '\n';
	n = write(fd, hex, 2 * GS_KEY_LEN + 1);
	if (n != (ssize_t)(2 * GS_KEY_LEN + 1))
		ret = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	if (ret < 0)
		unlink(path);
	return ret;
}

void
gs_token_new(struct gs_token *t, uint64_t protocol_id, uint64_t player_id, uint32_t ip,
	uint16_t port, uint64_t now_s, uint32_t lifetime_s)
{
	memset(t, 0, sizeof(*t));
	t->protocol_id = protocol_id;
	t->create_s = now_s;
	t->expire_s = now_s + lifetime_s;
	randombytes_buf(t->nonce, sizeof(t->nonce));
	t->player_id = player_id;
	t->server_ip = ip;
	t->server_port = port;
	randombytes_buf(t->c2s_key, sizeof(t->c2s_key));
	randombytes_buf(t->s2c_key, sizeof(t->s2c_key));
}

static void
token_public(const struct gs_token *t, uint8_t pub[TOKEN_PUBLIC_LEN])
{
	memcpy(pub, GS_TOKEN_MAGIC, 8);
	put_be64(pub + 8, t->protocol_id);
	put_be64(pub + 16, t->create_s);
	put_be64(pub + 24, t->expire_s);
	memcpy(pub + 32, t->nonce, GS_TOKEN_NONCE_LEN);
}

void
gs_token_seal(const uint8_t key[GS_KEY_LEN], const struct gs_token *t, uint8_t out[GS_TOKEN_LEN])
{
	uint8_t priv[TOKEN_PRIVATE_LEN] = { 0 };
	unsigned long long clen;

	token_public(t, out);
	put_be64(priv, t->player_id);
	memcpy(priv + 8, &t->server_ip, 4); /* both already in network order */
	memcpy(priv + 12, &t->server_port, 2);
	/* priv[14..15]: reserved, zero */
	memcpy(priv + 16, t->c2s_key, GS_PKT_KEY_LEN);
	memcpy(priv + 32, t->s2c_key, GS_PKT_KEY_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + TOKEN_PUBLIC_LEN, &clen, priv,
		sizeof(priv), out, TOKEN_PUBLIC_LEN, NULL, t->nonce, key);
	sodium_memzero(priv, sizeof(priv));
}

enum gs_token_err
gs_token_open(const uint8_t key[GS_KEY_LEN], const uint8_t *buf, size_t len, uint64_t now_s,
	uint64_t protocol_id, uint32_t ip, uint16_t port, struct gs_token *out)
{
	uint8_t priv[TOKEN_PRIVATE_LEN];
	unsigned long long plen;

	if (len != GS_TOKEN_LEN)
		return GS_TOKEN_LENGTH;
	if (memcmp(buf, GS_TOKEN_MAGIC, 8) != 0)
		return GS_TOKEN_MAGIC_BAD;
	memset(out, 0, sizeof(*out));
	out->protocol_id = get_be64(buf + 8);
	out->create_s = get_be64(buf + 16);
	out->expire_s = get_be64(buf + 24);
	memcpy(out->nonce, buf + 32, GS_TOKEN_NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(priv, &plen, NULL, buf + TOKEN_PUBLIC_LEN,
		    GS_TOKEN_LEN - TOKEN_PUBLIC_LEN, buf, TOKEN_PUBLIC_LEN, out->nonce, key) != 0 ||
		plen != TOKEN_PRIVATE_LEN)
		return GS_TOKEN_FORGED;
	if (now_s > out->expire_s) {
		sodium_memzero(priv, sizeof(priv));
		return GS_TOKEN_EXPIRED;
	}
	if (out->protocol_id != protocol_id) {
		sodium_memzero(priv, sizeof(priv));
		return GS_TOKEN_PROTOCOL;
	}
	out->player_id = get_be64(priv);
	memcpy(&out->server_ip, priv + 8, 4);
	memcpy(&out->server_port, priv + 12, 2);
	if (out->server_ip != ip || out->server_port != port) {
		sodium_memzero(priv, sizeof(priv));
		return GS_TOKEN_SERVER;
	}
	memcpy(out->c2s_key, priv + 16, GS_PKT_KEY_LEN);
	memcpy(out->s2c_key, priv + 32, GS_PKT_KEY_LEN);
	sodium_memzero(priv, sizeof(priv));
	return GS_TOKEN_OK;
}

enum gs_token_err
gs_token_check_lifetime(const struct gs_token *t, uint64_t now_s, uint32_t max_lifetime_s)
{
	/* a used token is remembered until it expires: its lifetime bounds the used-token table */
	if (t->expire_s < t->create_s || t->expire_s - t->create_s > max_lifetime_s ||
		t->create_s > now_s + GS_TOKEN_CLOCK_SKEW_S)
		return GS_TOKEN_LIFETIME;
	return GS_TOKEN_OK;
}

const char *
gs_token_err_str(enum gs_token_err e)
{
	switch (e) {
	case GS_TOKEN_OK:
		return "ok";
	case GS_TOKEN_LENGTH:
		return "length";
	case GS_TOKEN_MAGIC_BAD:
		return "magic";
	case GS_TOKEN_FORGED:
		return "forged";
	case GS_TOKEN_EXPIRED:
		return "expired";
	case GS_TOKEN_PROTOCOL:
		return "protocol";
	case GS_TOKEN_SERVER:
		return "server";
	case GS_TOKEN_LIFETIME:
		return "lifetime";
	}
	return "?";
}

void
gs_tag_compute(const uint8_t key[GS_PKT_KEY_LEN], const uint8_t *dgram, size_t len, uint8_t tag[8])
{
	uint8_t copy[TAG_OFF + 8 + 1200 + 64];

	if (len < TAG_OFF + 8 || len > sizeof(copy)) {
		memset(tag, 0, 8);
		return;
	}
	memcpy(copy, dgram, len);
	memset(copy + TAG_OFF, 0, 8);
	crypto_shorthash_siphash24(tag, copy, len, key);
}

void
gs_tag_sign(const uint8_t key[GS_PKT_KEY_LEN], uint8_t *dgram, size_t len)
{
	uint8_t tag[8];

	memset(dgram + TAG_OFF, 0, 8);
	crypto_shorthash_siphash24(tag, dgram, len, key);
	memcpy(dgram + TAG_OFF, tag, 8);
}

bool
gs_tag_verify(const uint8_t key[GS_PKT_KEY_LEN], uint8_t *dgram, size_t len)
{
	uint8_t got[8], want[8];

	if (len < TAG_OFF + 8)
		return false;
	memcpy(got, dgram + TAG_OFF, 8);
	memset(dgram + TAG_OFF, 0, 8);
	crypto_shorthash_siphash24(want, dgram, len, key);
	memcpy(dgram + TAG_OFF, got, 8);
	return sodium_memcmp(got, want, 8) == 0;
}

bool
gs_tag_equal(const uint8_t a[8], const uint8_t b[8])
{
	return sodium_memcmp(a, b, 8) == 0;
}

enum gs_replay_res
gs_replay_check(const struct gs_replay *r, uint32_t seq)
{
	uint32_t behind;

	if (!r->any || (int32_t)(seq - r->top) > 0)
		return GS_REPLAY_NEW;
	behind = r->top - seq;
	if (behind >= GS_REPLAY_WINDOW)
		return GS_REPLAY_TOO_OLD;
	return (r->bits[behind / 64] >> (behind % 64)) & 1u ? GS_REPLAY_DUPLICATE : GS_REPLAY_NEW;
}

/* Shift the 256-bit window towards older numbers by @p n bits (bit i -> bit i + n). */
static void
window_shift(uint64_t bits[GS_REPLAY_WINDOW / 64], uint32_t n)
{
	const unsigned int words = GS_REPLAY_WINDOW / 64;
	unsigned int w = n / 64, b = n % 64;

	if (n >= GS_REPLAY_WINDOW) {
		memset(bits, 0, words * sizeof(bits[0]));
		return;
	}
	for (int i = (int)words - 1; i >= 0; i--) {
		uint64_t v = 0;
		int src = i - (int)w;

		if (src >= 0) {
			v = bits[src] << b;
			if (b != 0 && src >= 1)
				v |= bits[src - 1] >> (64 - b);
		}
		bits[i] = v;
	}
}

void
gs_replay_accept(struct gs_replay *r, uint32_t seq)
{
	uint32_t behind;

	if (!r->any) {
		memset(r->bits, 0, sizeof(r->bits));
		r->any = 1;
		r->top = seq;
		r->bits[0] = 1;
		return;
	}
	if ((int32_t)(seq - r->top) > 0) {
		window_shift(r->bits, seq - r->top);
		r->top = seq;
		r->bits[0] |= 1;
		return;
	}
	behind = r->top - seq;
	if (behind < GS_REPLAY_WINDOW)
		r->bits[behind / 64] |= 1ull << (behind % 64);
}

static void
cookie_mac(const uint8_t key[GS_COOKIE_KEY_LEN], const uint8_t time_be[8], uint32_t ip,
	uint16_t port, const uint8_t nonce[GS_TOKEN_NONCE_LEN], uint8_t mac[16])
{
	uint8_t in[8 + 4 + 2 + GS_TOKEN_NONCE_LEN];

	memcpy(in, time_be, 8);
	memcpy(in + 8, &ip, 4);
	memcpy(in + 12, &port, 2);
	memcpy(in + 14, nonce, GS_TOKEN_NONCE_LEN);
	crypto_shorthash_siphashx24(mac, in, sizeof(in), key);
}

void
gs_cookie_make(const uint8_t key[GS_COOKIE_KEY_LEN], uint64_t now_ms, uint32_t ip, uint16_t port,
	const uint8_t nonce[GS_TOKEN_NONCE_LEN], uint8_t out[GS_COOKIE_LEN])
{
	put_be64(out, now_ms);
	cookie_mac(key, out, ip, port, nonce, out + 8);
}

enum gs_cookie_err
gs_cookie_check(const uint8_t key[GS_COOKIE_KEY_LEN], const uint8_t *cookie, size_t len,
	uint64_t now_ms, uint32_t ttl_ms, uint32_t ip, uint16_t port,
	const uint8_t nonce[GS_TOKEN_NONCE_LEN])
{
	uint8_t mac[16];
	uint64_t t;

	if (len != GS_COOKIE_LEN)
		return GS_COOKIE_LENGTH;
	cookie_mac(key, cookie, ip, port, nonce, mac);
	if (sodium_memcmp(mac, cookie + 8, sizeof(mac)) != 0)
		return GS_COOKIE_FORGED;
	t = get_be64(cookie);
	/* a second of leeway for a clock that stepped back */
	if (t > now_ms + 1000 || now_ms - (t > now_ms ? now_ms : t) > ttl_ms)
		return GS_COOKIE_EXPIRED;
	return GS_COOKIE_OK;
}

uint64_t
gs_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
