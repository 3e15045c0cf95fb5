// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * scanout/CARD/crtc-N/plane-K: what each KMS plane shows now. Nothing is
 * cached: every stat, lookup, getxattr and open asks the card again
 * (drmModeGetPlane, drmModeGetFB2), so a compositor flipping between
 * buffers is followed, and an open takes the framebuffer's object as a
 * dma-buf (drmPrimeHandleToFD) that the open file keeps.
 *
 * GetFB2 gives handles only to DRM master or CAP_SYS_ADMIN: the tree is
 * root's (0700 directories, 0600 files, and open checks the uid again).
 * Cards are the registry's DRM backends that have CRTCs, named DRIVER-cardN
 * (driver first, as everywhere in the tree; the minor tells two apart).
 * N and K are the KMS object ids, as drm_info, modetest and kmsgrab show.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "backend/backend.h"
#include "buffer.h"
#include "conf.h"
#include "fs/fs-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/util.h"

/* The inode id: card table index + 1 (0: scanout/ itself), CRTC id, plane
 * id (0: the level above). KMS object ids are small idr numbers. */
#define SC_CARD_SHIFT 48
#define SC_OBJ_BITS 24
#define SC_OBJ_MASK ((UINT64_C(1) << SC_OBJ_BITS) - 1)
#define SC_CARDS_MAX 255

#define SC_DIR_MODE (S_IFDIR | 0700)
#define SC_FILE_MODE (S_IFREG | 0600)

/* Append-only, so that a card keeps its inode numbers; backends are never
 * freed (backend.h), a card that went away is skipped. */
static pthread_mutex_t cards_lock = PTHREAD_MUTEX_INITIALIZER;
static struct backend *cards[SC_CARDS_MAX];
static unsigned int ncards;

static uint64_t sc_ino(unsigned int card, uint32_t crtc, uint32_t plane)
{
	return ino_make(NODE_SCANOUT, (uint64_t)card << SC_CARD_SHIFT |
					      (uint64_t)(crtc & SC_OBJ_MASK) << SC_OBJ_BITS |
					      (plane & SC_OBJ_MASK));
}

static void sc_split(fuse_ino_t ino, unsigned int *card, uint32_t *crtc, uint32_t *plane)
{
	uint64_t id = ino_id(ino);

	*card = (unsigned int)(id >> SC_CARD_SHIFT);
	*crtc = (uint32_t)((id >> SC_OBJ_BITS) & SC_OBJ_MASK);
	*plane = (uint32_t)(id & SC_OBJ_MASK);
}

static void card_name(const struct backend *be, char *buf, size_t bufsz)
{
	const char *slash = strrchr(be->devnode, '/');

	snprintf(buf, bufsz, "%s-%s", be->driver, slash ? slash + 1 : be->devnode);
}

/* The table index (+1) of a KMS card, added on first sight; 0 if it is no
 * KMS card or the table is full. */
static unsigned int card_index(struct backend *be)
{
	drmModeResPtr res;
	unsigned int idx = 0;

	pthread_mutex_lock(&cards_lock);
	for (unsigned int i = 0; i < ncards && !idx; i++)
		if (cards[i] == be)
			idx = i + 1;
	pthread_mutex_unlock(&cards_lock);
	if (idx)
		return idx;
	/* Without universal planes GetPlaneResources lists overlays only,
	 * and the console is on the primary plane. Per open file, harmless
	 * to the backend's allocations. */
	if (drmSetClientCap(be->devfd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0)
		return 0;
	res = drmModeGetResources(be->devfd);
	if (!res || res->count_crtcs == 0) {
		drmModeFreeResources(res);
		return 0;
	}
	drmModeFreeResources(res);
	pthread_mutex_lock(&cards_lock);
	for (unsigned int i = 0; i < ncards && !idx; i++)
		if (cards[i] == be)
			idx = i + 1;
	if (!idx && ncards < SC_CARDS_MAX) {
		cards[ncards++] = be;
		idx = ncards;
	}
	pthread_mutex_unlock(&cards_lock);
	return idx;
}

static struct backend *card_at(unsigned int idx)
{
	struct backend *be = NULL;

	pthread_mutex_lock(&cards_lock);
	if (idx >= 1 && idx <= ncards)
		be = cards[idx - 1];
	pthread_mutex_unlock(&cards_lock);
	return be && !backend_is_gone(be) ? be : NULL;
}

/* Call fn on every live KMS card; stops at fn's first nonzero. */
static int for_each_card(int (*fn)(struct backend *be, unsigned int idx, void *data), void *data)
{
	char names[32][64];
	int n = registry_list(names, 32), r = 0;

	for (int i = 0; i < MIN(n, 32) && !r; i++) {
		struct backend *be;
		unsigned int idx;

		if (strncmp(names[i], "drm:", 4) != 0)
			continue;
		be = registry_find(names[i]);
		if (!be || be->kind != BACKEND_DRM || !(idx = card_index(be)))
			continue;
		r = fn(be, idx, data);
	}
	return r;
}

static int any_card_cb(struct backend *be, unsigned int idx, void *data)
{
	return 1;
}

bool scanout_present(void)
{
	return for_each_card(any_card_cb, NULL) == 1;
}

static bool crtc_exists(int fd, uint32_t crtc)
{
	drmModeResPtr res = drmModeGetResources(fd);
	bool found = false;

	for (int i = 0; res && i < res->count_crtcs && !found; i++)
		found = res->crtcs[i] == crtc;
	drmModeFreeResources(res);
	return found;
}

/* The framebuffer plane shows on crtc now; -ENOENT when it shows none
 * there. *out is freed with drmModeFreeFB2. */
static int plane_fb(int fd, uint32_t crtc, uint32_t plane, drmModeFB2Ptr *out)
{
	drmModePlanePtr p = drmModeGetPlane(fd, plane);
	drmModeFB2Ptr fb;
	uint32_t fb_id;

	if (!p)
		return -ENOENT;
	fb_id = p->crtc_id == crtc ? p->fb_id : 0;
	drmModeFreePlane(p);
	if (!fb_id)
		return -ENOENT;
	fb = drmModeGetFB2(fd, fb_id);
	if (!fb)
		return errno == EINVAL ? -EOPNOTSUPP : -ENOENT; /* gone meanwhile */
	*out = fb;
	return 0;
}

/* Let go of the GEM handles GetFB2 made in our file (planes of one object
 * share one handle). */
static void fb_close_handles(int fd, const drmModeFB2 *fb)
{
	for (int i = 0; i < 4; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen = seen || fb->handles[j] == fb->handles[i];
		if (fb->handles[i] && !seen && drmCloseBufferHandle(fd, fb->handles[i]) < 0)
			log_warn("scanout: closing GEM handle %u: %s", fb->handles[i],
				 strerror(errno));
	}
}

/* The dma-buf of plane 0's object; the fd is the caller's. */
static int fb_export(int fd, const drmModeFB2 *fb, int *out_fd)
{
	int pfd = -1;

	if (!fb->handles[0]) {
		log_info("scanout: framebuffer %u: the card gives no handle (not root?)",
			 fb->fb_id);
		return -EACCES;
	}
	if (drmPrimeHandleToFD(fd, fb->handles[0], DRM_CLOEXEC | DRM_RDWR, &pfd) < 0 &&
	    drmPrimeHandleToFD(fd, fb->handles[0], DRM_CLOEXEC, &pfd) < 0) {
		int r = -errno;

		log_warn("scanout: PRIME export of framebuffer %u: %s", fb->fb_id, strerror(-r));
		return r;
	}
	*out_fd = pfd;
	return 0;
}

/* Serialises GetFB2 + export + handle close on one card file: a handle
 * closed by one request must not be the one another is exporting. */
static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;

/* What a plane file is now: its framebuffer, and (out_fd != NULL) its
 * object as a dma-buf. */
static int resolve(fuse_ino_t ino, struct backend **be_out, drmModeFB2Ptr *fb_out, int *out_fd)
{
	unsigned int card;
	uint32_t crtc, plane;
	struct backend *be;
	drmModeFB2Ptr fb = NULL;
	int r;

	sc_split(ino, &card, &crtc, &plane);
	be = card_at(card);
	if (!be || !crtc || !plane)
		return -ENOENT;
	pthread_mutex_lock(&resolve_lock);
	r = plane_fb(be->devfd, crtc, plane, &fb);
	if (r == 0 && out_fd)
		r = fb_export(be->devfd, fb, out_fd);
	if (fb)
		fb_close_handles(be->devfd, fb);
	pthread_mutex_unlock(&resolve_lock);
	if (r < 0 || !fb_out)
		drmModeFreeFB2(fb);
	else
		*fb_out = fb;
	*be_out = be;
	return r;
}

/* ---- the node kind: stat, lookup, fill ---- */

static void sc_stat_base(struct stat *st, fuse_ino_t ino, mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = mount_time();
}

int scanout_stat(const struct config *cfg, fuse_ino_t ino, struct stat *st)
{
	_cleanup_close_ int fd = -1;
	unsigned int card;
	uint32_t crtc, plane;
	struct backend *be;
	off_t size;
	int r;

	sc_split(ino, &card, &crtc, &plane);
	if (card && !card_at(card))
		return -ENOENT;
	if (!plane) {
		if (crtc && !crtc_exists(card_at(card)->devfd, crtc))
			return -ENOENT;
		sc_stat_base(st, ino, SC_DIR_MODE);
		return 0;
	}
	r = resolve(ino, &be, NULL, &fd);
	if (r == -EACCES) {
		/* Listed but not ours to take: a file of unknown size. */
		sc_stat_base(st, ino, SC_FILE_MODE);
		return 0;
	}
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	sc_stat_base(st, ino, SC_FILE_MODE);
	st->st_size = size > 0 ? size : 0;
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

struct card_match {
	const char *name;
	unsigned int idx;
};

static int match_card_cb(struct backend *be, unsigned int idx, void *data)
{
	struct card_match *m = data;
	char name[192];

	card_name(be, name, sizeof(name));
	if (strcmp(name, m->name) != 0)
		return 0;
	m->idx = idx;
	return 1;
}

/* "PREFIX-NUMBER" with a canonical, nonzero number. */
static uint32_t parse_obj(const char *name, const char *prefix)
{
	uint64_t v;
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || name[n] < '1' || name[n] > '9' ||
	    parse_u64(name + n, 10, &v) < 0 || v > SC_OBJ_MASK)
		return 0;
	return (uint32_t)v;
}

fuse_ino_t scanout_lookup(const struct config *cfg, fuse_ino_t parent, const char *name)
{
	unsigned int card;
	uint32_t crtc, plane, id;
	struct backend *be;
	drmModeFB2Ptr fb = NULL;

	sc_split(parent, &card, &crtc, &plane);
	if (!card) {
		struct card_match m = { name, 0 };

		for_each_card(match_card_cb, &m);
		return m.idx ? sc_ino(m.idx, 0, 0) : 0;
	}
	be = card_at(card);
	if (!be || plane)
		return 0;
	if (!crtc) {
		id = parse_obj(name, "crtc-");
		return id && crtc_exists(be->devfd, id) ? sc_ino(card, id, 0) : 0;
	}
	id = parse_obj(name, "plane-");
	if (!id || plane_fb(be->devfd, crtc, id, &fb) < 0)
		return 0;
	/* No handles were asked for here, but GetFB2 made them anyway. */
	pthread_mutex_lock(&resolve_lock);
	fb_close_handles(be->devfd, fb);
	pthread_mutex_unlock(&resolve_lock);
	drmModeFreeFB2(fb);
	return sc_ino(card, crtc, id);
}

static int fill_card_cb(struct backend *be, unsigned int idx, void *data)
{
	char name[192];

	card_name(be, name, sizeof(name));
	return node_add(data, name, sc_ino(idx, 0, 0), S_IFDIR);
}

int scanout_fill(const struct config *cfg, const struct node_filler *f, fuse_ino_t ino)
{
	unsigned int card;
	uint32_t crtc, plane;
	struct backend *be;
	drmModePlaneResPtr pres;
	drmModeResPtr res;
	char name[64];
	int r = 0;

	sc_split(ino, &card, &crtc, &plane);
	if (plane)
		return -ENOTDIR;
	if (!card)
		return for_each_card(fill_card_cb, (void *)f);
	be = card_at(card);
	if (!be)
		return -ENOENT;
	if (!crtc) {
		res = drmModeGetResources(be->devfd);
		for (int i = 0; res && i < res->count_crtcs && !r; i++) {
			snprintf(name, sizeof(name), "crtc-%" PRIu32, res->crtcs[i]);
			r = node_add(f, name, sc_ino(card, res->crtcs[i], 0), S_IFDIR);
		}
		drmModeFreeResources(res);
		return r;
	}
	/* The planes that show a framebuffer on this CRTC now. */
	pres = drmModeGetPlaneResources(be->devfd);
	for (uint32_t i = 0; pres && i < pres->count_planes && !r; i++) {
		drmModePlanePtr p = drmModeGetPlane(be->devfd, pres->planes[i]);

		if (p && p->crtc_id == crtc && p->fb_id) {
			snprintf(name, sizeof(name), "plane-%" PRIu32, p->plane_id);
			r = node_add(f, name, sc_ino(card, crtc, p->plane_id), S_IFREG);
		}
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pres);
	return r;
}

/* ---- open and attributes ---- */

int scanout_open(fuse_ino_t ino, uid_t uid, enum iomem_mode mode, struct buffer **out)
{
	struct backend *be;
	int fd = -1, r;

	if (uid != 0) {
		log_info("scanout: uid %u may not take a scanout buffer", (unsigned)uid);
		return -EACCES;
	}
	r = resolve(ino, &be, NULL, &fd);
	if (r < 0)
		return r;
	/* With the card's backend, the map flag follows its driver's rule
	 * (bochs: VRAM, I/O memory). */
	return buffer_new(fd, be, mode, out);
}

/* "a,b,c" of the first n values. */
static void join_u64(char *buf, size_t bufsz, const uint64_t *v, unsigned int n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && used < bufsz; i++) {
		int k = snprintf(buf + used, bufsz - used, "%s%" PRIu64, i ? "," : "", v[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

int scanout_xattr(const struct config *cfg, fuse_ino_t ino, const char *key, char *val,
		  size_t valsz)
{
	_cleanup_close_ int fd = -1;
	struct backend *be;
	drmModeFB2Ptr fb = NULL;
	const char *why = NULL;
	uint64_t v[4];
	unsigned int nplanes = 0;
	char fcc[5];
	int r;

	if (ino_kind(ino) != NODE_SCANOUT || !(ino_id(ino) & SC_OBJ_MASK))
		return -ENODATA;
	r = resolve(ino, &be, &fb, strcmp(key, "inode") == 0 ? &fd : NULL);
	if (r < 0)
		return r;
	/* The planes of plane 0's object, the one the file reads. */
	while (nplanes < 4 && fb->handles[nplanes] == fb->handles[0] &&
	       (nplanes == 0 || fb->pitches[nplanes]))
		nplanes++;
	if (!strcmp(key, "format")) {
		fourcc_str(fb->pixel_format, fcc);
		snprintf(val, valsz, "%s", fcc);
	} else if (!strcmp(key, "width")) {
		snprintf(val, valsz, "%" PRIu32, fb->width);
	} else if (!strcmp(key, "height")) {
		snprintf(val, valsz, "%" PRIu32, fb->height);
	} else if (!strcmp(key, "stride")) {
		snprintf(val, valsz, "%" PRIu32, fb->pitches[0]);
	} else if (!strcmp(key, "modifier")) {
		/* Without DRM_MODE_FB_MODIFIERS the framebuffer came from the
		 * legacy ADDFB of a dumb buffer, which is linear. */
		snprintf(val, valsz, "0x%" PRIx64,
			 (uint64_t)((fb->flags & DRM_MODE_FB_MODIFIERS) ? fb->modifier :
									  DRM_FORMAT_MOD_LINEAR));
	} else if (!strcmp(key, "pitches") || !strcmp(key, "offsets")) {
		for (unsigned int i = 0; i < nplanes; i++)
			v[i] = key[0] == 'p' ? fb->pitches[i] : fb->offsets[i];
		join_u64(val, valsz, v, nplanes);
	} else if (!strcmp(key, "exporter")) {
		snprintf(val, valsz, "%s", be->exporter);
	} else if (!strcmp(key, "origin")) {
		snprintf(val, valsz, "scanout");
	} else if (!strcmp(key, "backend")) {
		snprintf(val, valsz, "%s", be->name);
	} else if (!strcmp(key, "inode")) {
		struct stat st;

		r = fstat(fd, &st) < 0 ? -errno : 0;
		if (r == 0)
			snprintf(val, valsz, "%llu", (unsigned long long)st.st_ino);
	} else if (!strcmp(key, "iomem") || !strcmp(key, "iomem_reason")) {
		int io = policy_decide(-1, cfg->iomem_mode, be->exporter, be->driver, &why);

		if (!strcmp(key, "iomem"))
			snprintf(val, valsz, "%d", io);
		else
			snprintf(val, valsz, "%s", why ? why : "");
	} else {
		r = -ENODATA;
	}
	drmModeFreeFB2(fb);
	return r;
}
