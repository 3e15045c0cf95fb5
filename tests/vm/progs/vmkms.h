/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KMS for the guest test programs that put something on screen: the
 * output to use (libdrm's xf86drmMode).
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

#endif
