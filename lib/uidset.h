/* A set of 128-bit values: UUIDs, for finding a job a walk has seen
 * before, or digests of other keys. Open addressing; grows up to a fixed
 * number of members. */
#ifndef VSPC_UIDSET_H
#define VSPC_UIDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UIDSET_MAX_MEMBERS 1000000u

struct uidset {
	uint64_t *slots; /* 2 words a slot; all-zero is an empty slot */
	size_t capacity; /* slots, a power of two */
	size_t count;
	bool has_zero; /* the all-zero UUID, which cannot live in a slot */
};

enum uidset_rc {
	UIDSET_ADDED = 0,
	UIDSET_PRESENT, /* it was in the set already */
	UIDSET_NOMEM,   /* allocation failed or the set is full */
	UIDSET_BAD      /* not a UUID */
};

void uidset_init(struct uidset *s);

/* Adds the UUID @uid (36 characters, any case). */
enum uidset_rc uidset_add(struct uidset *s, const char *uid);

/* Adds the 128-bit value @w (never UIDSET_BAD). */
enum uidset_rc uidset_add_words(struct uidset *s, const uint64_t w[2]);

/* Empties and releases the set; accepts a zeroed one. */
void uidset_free(struct uidset *s);

#endif
