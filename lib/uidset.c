#include "autoconfig.h"

#include "uidset.h"

#include <stdlib.h>
#include <string.h>

#include "uid.h"

void uidset_init(struct uidset *s)
{
	memset(s, 0, sizeof *s);
}

void uidset_free(struct uidset *s)
{
	free(s->slots);
	uidset_init(s);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The 32 hex digits of a UUID as two words. */
static bool words_of(const char *uid, uint64_t w[2])
{
	int digits = 0;

	if (!vspc_uid_valid(uid, strlen(uid)))
		return false;
	w[0] = w[1] = 0;
	for (const char *p = uid; *p; p++) {
		int v = hex_value(*p);

		if (v < 0)
			continue; /* a dash */
		w[digits / 16] = (w[digits / 16] << 4) | (uint64_t)v;
		digits++;
	}
	return true;
}

static size_t slot_of(const struct uidset *s, const uint64_t w[2])
{
	uint64_t h = (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return (size_t)(h >> 17) & (s->capacity - 1);
}

/* Finds @w's slot: its own, or the empty one where it belongs. */
static uint64_t *probe(const struct uidset *s, const uint64_t w[2])
{
	for (size_t i = slot_of(s, w);; i = (i + 1) & (s->capacity - 1)) {
		uint64_t *slot = s->slots + 2 * i;

		if ((slot[0] == w[0] && slot[1] == w[1]) || (slot[0] == 0 && slot[1] == 0))
			return slot;
	}
}

static bool grow(struct uidset *s)
{
	size_t capacity = s->capacity ? s->capacity * 2 : 1024;
	struct uidset bigger = { .capacity = capacity, .count = s->count, .has_zero = s->has_zero };

	bigger.slots = calloc(capacity, 2 * sizeof(uint64_t));
	if (bigger.slots == NULL)
		return false;
	for (size_t i = 0; i < s->capacity; i++) {
		const uint64_t *old = s->slots + 2 * i;

		if (old[0] || old[1])
			memcpy(probe(&bigger, old), old, 2 * sizeof(uint64_t));
	}
	free(s->slots);
	*s = bigger;
	return true;
}

enum uidset_rc uidset_add(struct uidset *s, const char *uid)
{
	uint64_t w[2];

	return words_of(uid, w) ? uidset_add_words(s, w) : UIDSET_BAD;
}

enum uidset_rc uidset_add_words(struct uidset *s, const uint64_t w[2])
{
	uint64_t *slot;

	if (w[0] == 0 && w[1] == 0) {
		if (s->has_zero)
			return UIDSET_PRESENT;
		s->has_zero = true;
		return UIDSET_ADDED;
	}
	/* keep the load under one half */
	if ((s->count + 1) * 2 > s->capacity && (s->count >= UIDSET_MAX_MEMBERS || !grow(s)))
		return UIDSET_NOMEM;
	slot = probe(s, w);
	if (slot[0] || slot[1])
		return UIDSET_PRESENT;
	slot[0] = w[0];
	slot[1] = w[1];
	s->count++;
	return UIDSET_ADDED;
}
