/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * page-flip: a tiny compositor on the bochs card, for the scanout tests
 * (issue 9: a fresh open of scanout/.../plane-K must follow page flips).
 *
 * Makes two dumb framebuffers of the connector's preferred mode, A filled
 * with vm_pattern(x, y, SEED_A) and B with SEED_B (vmtest.h, which the host
 * checker shares), shows A (drmModeSetCrtc), prints
 *
 *   VMINFO page-flip card=PATH crtc=ID plane=ID width=W height=H pitch=P
 *   FB name=A id=ID seed=SEED      (and the same for B)
 *   SHOWING name=A id=ID seed=SEED method=setcrtc
 *
 * then on each stdin line "flip" (or SIGUSR1) shows the other one
 * (drmModePageFlip with an event, or drmModeSetCrtc where the driver
 * refuses page flips), checks with drmModeGetCrtc and the primary plane's
 * drmModeGetPlane that the new framebuffer is the one on screen, and
 * prints the SHOWING line again. "quit" or EOF ends it. Exit: 0, 77 (no
 * bochs card, no connector), 1.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include "vmkms.h"

struct fb {
	const char *name;
	uint32_t id, handle, seed;
};

static volatile sig_atomic_t flip_requested;

static void on_usr1(int sig)
{
	(void)sig;
	flip_requested = 1;
}

static void make_fb(int card, uint32_t w, uint32_t h, struct fb *fb, uint32_t *pitch)
{
	struct drm_mode_create_dumb cd;
	uint32_t *px;

	vm_create_dumb(card, w, h, &cd);
	px = vm_map_dumb(card, &cd);
	vm_draw_pattern(px, w, h, cd.pitch, fb->seed);
	munmap(px, cd.size);
	if (drmModeAddFB(card, w, h, 24, 32, cd.pitch, cd.handle, &fb->id))
		vm_fail("drmModeAddFB: %s", strerror(errno));
	fb->handle = cd.handle;
	*pitch = cd.pitch;
	printf("FB name=%s id=%u seed=%u\n", fb->name, fb->id, fb->seed);
}

/* The primary plane of crtc (index crtc_index in the resources). */
static uint32_t primary_plane(int card, int crtc_index)
{
	drmModePlaneResPtr pr;
	uint32_t found = 0;

	drmSetClientCap(card, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	pr = drmModeGetPlaneResources(card);
	for (uint32_t i = 0; pr && i < pr->count_planes && !found; i++) {
		drmModePlanePtr p = drmModeGetPlane(card, pr->planes[i]);
		drmModeObjectPropertiesPtr props;

		if (!p)
			continue;
		props = drmModeObjectGetProperties(card, p->plane_id, DRM_MODE_OBJECT_PLANE);
		for (uint32_t k = 0; props && k < props->count_props; k++) {
			drmModePropertyPtr prop = drmModeGetProperty(card, props->props[k]);

			if (prop && !strcmp(prop->name, "type") &&
			    props->prop_values[k] == DRM_PLANE_TYPE_PRIMARY &&
			    (p->possible_crtcs & (1u << crtc_index)))
				found = p->plane_id;
			drmModeFreeProperty(prop);
		}
		drmModeFreeObjectProperties(props);
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
	return found;
}

static void on_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec, void *data)
{
	(void)fd, (void)seq, (void)sec, (void)usec;
	*(int *)data = 1;
}

/* Flip to fb; returns the method that worked. */
static const char *show(int card, uint32_t crtc, uint32_t conn, drmModeModeInfo *mode,
			const struct fb *fb, bool first)
{
	drmEventContext ev = { .version = 2, .page_flip_handler = on_flip };
	int done = 0;

	if (!first && drmModePageFlip(card, crtc, fb->id, DRM_MODE_PAGE_FLIP_EVENT, &done) == 0) {
		struct pollfd pfd = { .fd = card, .events = POLLIN };

		while (!done) {
			if (poll(&pfd, 1, 5000) <= 0)
				vm_fail("no page-flip event within 5 s");
			drmHandleEvent(card, &ev);
		}
		return "pageflip";
	}
	if (!first)
		vm_log("drmModePageFlip: %s; drmModeSetCrtc instead", strerror(errno));
	if (vm_set_crtc(card, crtc, fb->id, conn, mode))
		vm_fail("drmModeSetCrtc: %s", strerror(errno));
	return "setcrtc";
}

static void check_on_screen(int card, uint32_t crtc, uint32_t plane, const struct fb *fb)
{
	drmModeCrtcPtr c = drmModeGetCrtc(card, crtc);

	if (!c || c->buffer_id != fb->id)
		vm_fail("crtc %u shows fb %u, expected %s (%u)", crtc, c ? c->buffer_id : 0,
			fb->name, fb->id);
	drmModeFreeCrtc(c);
	if (plane) {
		drmModePlanePtr p = drmModeGetPlane(card, plane);

		if (!p || p->fb_id != fb->id)
			vm_fail("plane %u shows fb %u, expected %s (%u)", plane, p ? p->fb_id : 0,
				fb->name, fb->id);
		drmModeFreePlane(p);
	}
}

int main(int argc, char **argv)
{
	struct fb fbs[2] = { { .name = "A", .seed = 0x1234 }, { .name = "B", .seed = 0xbeef } };
	struct vm_output o;
	drmModeResPtr res;
	uint32_t plane, pitch = 0;
	int card, cur = 0;
	char path[300], line[64];
	struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };

	if (argc > 2) {
		fbs[0].seed = (uint32_t)strtoul(argv[1], NULL, 0);
		fbs[1].seed = (uint32_t)strtoul(argv[2], NULL, 0);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	card = vm_open_card("bochs-drm", path, sizeof(path));
	if (card < 0)
		vm_skip("no bochs-drm card");
	res = drmModeGetResources(card);
	if (!res)
		vm_fail("drmModeGetResources: %s", strerror(errno));
	if (vm_pick_output(card, res, &o) < 0)
		vm_skip("no connected connector with modes");
	plane = primary_plane(card, o.crtc_index);

	for (int i = 0; i < 2; i++)
		make_fb(card, o.mode.hdisplay, o.mode.vdisplay, &fbs[i], &pitch);
	printf("VMINFO page-flip card=%s crtc=%u plane=%u width=%u height=%u pitch=%u\n", path,
	       o.crtc, plane, o.mode.hdisplay, o.mode.vdisplay, pitch);
	printf("SHOWING name=%s id=%u seed=%u method=%s\n", fbs[0].name, fbs[0].id, fbs[0].seed,
	       show(card, o.crtc, o.conn->connector_id, &o.mode, &fbs[0], true));
	check_on_screen(card, o.crtc, plane, &fbs[0]);

	signal(SIGUSR1, on_usr1);
	for (;;) {
		bool flip = false;

		if (poll(&in, 1, 200) > 0) {
			if (!fgets(line, sizeof(line), stdin) || !strncmp(line, "quit", 4))
				break;
			flip = !strncmp(line, "flip", 4);
		}
		if (flip_requested) {
			flip_requested = 0;
			flip = true;
		}
		if (!flip)
			continue;
		cur ^= 1;
		const char *how =
			show(card, o.crtc, o.conn->connector_id, &o.mode, &fbs[cur], false);

		check_on_screen(card, o.crtc, plane, &fbs[cur]);
		printf("SHOWING name=%s id=%u seed=%u method=%s\n", fbs[cur].name, fbs[cur].id,
		       fbs[cur].seed, how);
	}
	for (int i = 0; i < 2; i++)
		drmModeRmFB(card, fbs[i].id);
	drmModeFreeConnector(o.conn);
	drmModeFreeResources(res);
	return 0;
}
