/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KMS for the guest test programs that put something on screen: the
 * output to use, dumb buffers, SetCrtc (libdrm's xf86drmMode).
 */
#ifndef VMKMS_H
#define VMKMS_H

#include <xf86drmMode.h>

#include "vmdrm.h"

struct vm_output {
	drmModeConnectorPtr conn; /* drmModeFreeConnector() when done */
	drmModeModeInfo mode;	  /* preferred, else the first */
	uint32_t crtc;		  /* the encoder's, else the first CRTC */
	int crtc_index;		  /* in res->crtcs[], for possible_crtcs */
};

/* The first connected connector with modes. Returns 0 or -ENODEV. */
static inline int vm_pick_output(int card, drmModeResPtr res, struct vm_output *out)
{
	drmModeConnectorPtr conn = NULL;

	for (int i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(card, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || !conn->count_modes)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	if (!conn)
		return -ENODEV;
	out->conn = conn;
	out->mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++)
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			out->mode = conn->modes[i];
			break;
		}
	out->crtc = 0;
	if (conn->encoder_id) {
		drmModeEncoderPtr enc = drmModeGetEncoder(card, conn->encoder_id);

		if (enc)
			out->crtc = enc->crtc_id;
		drmModeFreeEncoder(enc);
	}
	if (!out->crtc && res->count_crtcs)
		out->crtc = res->crtcs[0];
	out->crtc_index = 0;
	for (int i = 0; i < res->count_crtcs; i++)
		if (res->crtcs[i] == out->crtc)
			out->crtc_index = i;
	return out->crtc ? 0 : -ENODEV;
}

/* A dumb buffer of w x h XRGB8888 pixels: handle, pitch and size in *cd. */
static inline void vm_create_dumb(int card, uint32_t w, uint32_t h, struct drm_mode_create_dumb *cd)
{
	*cd = (struct drm_mode_create_dumb){ .width = w, .height = h, .bpp = 32 };
	if (drmIoctl(card, DRM_IOCTL_MODE_CREATE_DUMB, cd) < 0)
		vm_fail("CREATE_DUMB: %s", strerror(errno));
}

/* The dumb buffer's pixels, mapped shared and writable (munmap() cd->size
 * bytes when done). */
static inline uint32_t *vm_map_dumb(int card, const struct drm_mode_create_dumb *cd)
{
	struct drm_mode_map_dumb md = { .handle = cd->handle };
	uint32_t *px;

	if (drmIoctl(card, DRM_IOCTL_MODE_MAP_DUMB, &md) < 0)
		vm_fail("MAP_DUMB: %s", strerror(errno));
	px = mmap(NULL, cd->size, PROT_READ | PROT_WRITE, MAP_SHARED, card, md.offset);
	if (px == MAP_FAILED)
		vm_fail("mmap dumb buffer: %s", strerror(errno));
	return px;
}

/* drmModeSetCrtc() of fb on crtc for connector conn, once more after
 * drmSetMaster() when refused with EACCES (not master: a daemon that
 * opened the card first must have dropped it). 0, or -1 with errno set. */
static inline int vm_set_crtc(int card, uint32_t crtc, uint32_t fb, uint32_t conn,
			      drmModeModeInfo *mode)
{
	int r = drmModeSetCrtc(card, crtc, fb, 0, 0, &conn, 1, mode);

	if (r && errno == EACCES && !drmSetMaster(card))
		r = drmModeSetCrtc(card, crtc, fb, 0, 0, &conn, 1, mode);
	return r;
}

#endif
