# The sources of shared/'s libraries, relative to shared/src: the main build
# (shared/CMakeLists.txt) and the fuzzers' own clang build (tests/fuzz/)
# make their libraries from these lists, so each file is listed once.
#
# gs_core: the DPDK-free half (wire header, connect tokens and packet tags,
# protobuf arena and payloads, world rules, counter names, type lists, world
# replication). The client library, gs-kserver and anything outside a DPDK
# process link it alone: no DPDK, no libnuma.
set(GS_CORE_SOURCES wire.c auth.c class.c names.c parse.c pb_arena.c world.c game_pb.c repl.c)
# the config loader (rte_cfgfile, no EAL), part of gs_shared
set(GS_CFG_SOURCES cfg.c cfg_check.c cfg_defaults.c cfg_eal.c)
# the rest of gs_shared: the runtime every gsnet DPDK process links
set(GS_RUNTIME_SOURCES app.c idle.c handler.c handler_main.c session_tbl.c world_shm.c)
