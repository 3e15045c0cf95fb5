// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whether a SIGTERM is half of a restart (daemon/restart-job.h).
 *
 * `systemctl stop` and `systemctl restart` (what a package upgrade runs)
 * both end the daemon with SIGTERM. A stop must end the mount: nobody
 * would serve it, and every access would wait. A restart must not: the
 * next start re-attaches to it, and files open across an upgrade keep
 * working. systemd tells the two apart only in its job: while the unit's
 * old process is being stopped, the queued job's JobType is "restart"
 * (it becomes "start" once the stop is done). So the daemon asks, over
 * systemd's private bus (root only, no dbus-daemon needed), the way
 * systemctl itself talks to PID 1. Anything that fails is a stop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "daemon/restart-job.h"
#include "shared/log.h"
#include "shared/macro.h"

#define SD_DEST "org.freedesktop.systemd1"
#define PRIVATE_BUS "unix:path=/run/systemd/private"

static void bus_closep(sd_bus **bus)
{
	sd_bus_flush_close_unref(*bus);
}

static void msg_unrefp(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}

static int connect_pid1(sd_bus **out)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, PRIVATE_BUS);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		/* Not root's private socket: the system bus, if there is one. */
		r = sd_bus_open_system(&bus);
	}
	if (r < 0)
		return r;
	/* A stop must not wait long for an answer. */
	sd_bus_set_method_call_timeout(bus, 2 * 1000 * 1000);
	*out = bus;
	return 0;
}

/* The job queued for our unit: its type (malloc'ed), or NULL for none. */
static int unit_job_type(sd_bus *bus, char **type)
{
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *reply = NULL;
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *job = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *unit = NULL;
	const char *path, *job_path;
	uint32_t job_id;
	int r;

	*type = NULL;
	r = sd_bus_call_method(bus, SD_DEST, "/org/freedesktop/systemd1",
			       "org.freedesktop.systemd1.Manager", "GetUnitByPID", &err, &reply,
			       "u", (uint32_t)getpid());
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0 && !(unit = strdup(path)))
		r = -ENOMEM;
	if (r >= 0)
		r = sd_bus_get_property(bus, SD_DEST, unit, "org.freedesktop.systemd1.Unit", "Job",
					&err, &job, "(uo)");
	if (r >= 0)
		r = sd_bus_message_read(job, "(uo)", &job_id, &job_path);
	if (r >= 0 && job_id)
		r = sd_bus_get_property_string(bus, SD_DEST, job_path,
					       "org.freedesktop.systemd1.Job", "JobType", &err,
					       type);
	if (r < 0 && sd_bus_error_is_set(&err))
		log_info("asking systemd for our unit's job: %s", err.message);
	sd_bus_error_free(&err);
	return r;
}

bool restart_job_queued(void)
{
	__attribute__((cleanup(bus_closep))) sd_bus *bus = NULL;
	_cleanup_free_ char *type = NULL;
	int r;

	/* Started by systemd (it sets $INVOCATION_ID for every service). */
	if (!getenv("INVOCATION_ID"))
		return false;
	r = connect_pid1(&bus);
	if (r >= 0)
		r = unit_job_type(bus, &type);
	if (r < 0) {
		log_info("cannot ask systemd whether this stop is a restart (%s): unmounting",
			 strerror(-r));
		return false;
	}
	return type && (!strcmp(type, "restart") || !strcmp(type, "try-restart"));
}
