/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GS_SDK_H
#define GS_SDK_H

/*
 * The gsnet handler SDK: the one header a handler class built out of tree
 * includes (pkg-config gsnet-handler, or find_package(gsnet) and
 * gsnet::handler). docs/HANDLER_SDK.md walks through it; examples/chat/ is
 * a whole handler built on it alone.
 *
 *   attach, run, leave     gs_handler_main() with a struct gs_handler_prog
 *                          (its class name, init, burst and tick callbacks)
 *   receive a burst        gs_handler_ops.burst: struct gs_msg copies, one
 *                          primary lcore's at a time
 *   reply to the sender    gs_handler_answering(), gs_handler_reply_pb()
 *   send to a session      gs_handler_send_pb() (any open session)
 *   sessions, the world    gs_world_attach_game(): the session table and
 *                          the entities; gs_session_of_msg(),
 *                          gs_world_position(), gs_world_read_combat()
 *   counters               gs_handler_events_declare() (own counts),
 *                          gs_handler_rejects_declare() (own reasons),
 *                          gs_handler_reject(): exported by gs-stats under
 *                          the class's name
 *   a duration histogram   gs_handler_hist_declare(), gs_handler_hist_add():
 *                          its p50 and p99 in gs-stats, telemetry, gs-ctl
 *   own settings           gs_cfg_class_param_u64() on the class section's
 *                          own keys (listed in gs_handler_prog.params)
 *   shared state           gs_handler_class_zone(): memory every instance
 *                          of the class sees, outliving any of them
 *   idle and wake-ups      the class section's idle = wake | poll | backoff
 *   version                GS_SDK_VERSION, checked at attach
 */
#include "gs_handler.h"
#include "gs_log.h"
#include "gs_pb_arena.h"
#include "gs_sdk_version.h"
#include "gs_session_tbl.h"
#include "gs_world.h"
#include "gs_world_shm.h"

#endif /* GS_SDK_H */
