-- SPDX-License-Identifier: BSD-3-Clause
--
-- Wireshark / tshark dissector for the gsnet game protocol, version 1
-- (docs/PROTOCOL.md). Lua, no C plugin: Wireshark 4.0 and later.
--
--   tshark -X lua_script:tools/wireshark/gsnet.lua -r capture.pcapng -Y gsnet
--
-- or copy this file into Wireshark's personal Lua plugin folder
-- (~/.local/lib/wireshark/plugins/; tools/wireshark/install.sh). See
-- tools/wireshark/README.md.
--
-- What it shows: every field of the 24-byte game header (big-endian), the
-- message type by name, the auth tag (shown, never verified: that needs the
-- session's packet key) or, in a packet of session 0, the connect nonce, and
-- the protobuf payload of every known type decoded field by field with the
-- names of schemas/*.proto (MESSAGES below; the test tests/wireshark checks
-- it against the .proto files, so a field added there and not here fails).
--
-- A header the primary would refuse is flagged as expert info (Malformed,
-- Error) named like the primary's drop counter (shared/include/gs_drop.h):
-- gs_truncated, gs_magic, gs_version, gs_length, gs_flags (the checks of
-- gs_hdr_decode in shared/src/wire.c, in its order), then gs_type (the
-- classification table of primary/classify.c, checked by dispatch() in
-- primary/dataplane.c) for datagrams to the game port only: the types the
-- server sends (CONNECT_ACCEPT, ...) have no handler class and are fine
-- from the server. Only the first failing check is reported, as the primary
-- counts only one reason (an empty datagram, which Wireshark hands to no
-- dissector, is flagged gs_truncated by a postdissector). The session,
-- address, replay, tag and rate checks need the server's state and keys and
-- are not made here.
--
-- Wireshark's UDP dissector tries the lower of a datagram's two ports
-- first: from a client port below the game port that another dissector
-- registered (4000, 5060, ...) it wins. Decode As (-d udp.port==N,gsnet)
-- hands such a port to gsnet.

local gsnet = Proto("gsnet", "gsnet game protocol")

-- --- wire constants (shared/include/gs_wire.h) ----------------------------

local MAGIC = 0x4753
local VERSION = 1
local HDR_LEN = 24
local MAX_PAYLOAD = 1200
local DEFAULT_PORT = 7777

local TYPE_NAMES = {
	[1] = "CONNECT",
	[2] = "CONNECT_ACCEPT",
	[3] = "HEARTBEAT",
	[4] = "HEARTBEAT_ACK",
	[5] = "DISCONNECT",
	[6] = "SESSION_ERROR",
	[7] = "CHALLENGE",
	[16] = "MOVE",
	[17] = "MOVE_ACK",
	[18] = "MOVE_REJECT",
	[32] = "ATTACK",
	[33] = "ATTACK_RESULT",
	[34] = "DAMAGED",
	[48] = "SNAPSHOT",
	[49] = "SNAPSHOT_ACK",
}
-- unassigned types of a class, named as gs_msg_type_str() names them
for t = 19, 31 do TYPE_NAMES[t] = "MOVE_RANGE" end
for t = 35, 47 do TYPE_NAMES[t] = "COMBAT_RANGE" end
for t = 50, 63 do TYPE_NAMES[t] = "REPL_RANGE" end

-- The primary's classification table (classify_build, primary/classify.c)
-- with the classes of deploy/gsnet.ini: the types a client may send, each to
-- a handler class (session 1, 3, 5; move 16..31; combat 32..47; replicate
-- 48..63). A group with other [class.NAME] sections dispatches other types.
local function has_class(t)
	return t == 1 or t == 3 or t == 5 or (t >= 16 and t <= 63)
end

-- --- payload schemas (schemas/*.proto) -----------------------------------
--
-- Each message: its fields as { number, name, type[, enum or message[,
-- "repeated"]] }. Types are the protobuf scalar types the schemas use; an
-- enum field names its table in ENUMS and is an int32 on the wire; a
-- "message" field names the message it holds (decoded as a subtree). A
-- repeated scalar is packed (proto3's default; one not packed is decoded
-- too).

local ENUMS = {
	["Disconnect.Reason"] = { [0] = "CLIENT_QUIT", [1] = "IDLE_TIMEOUT", [2] = "SERVER_SHUTDOWN" },
	["SessionError.Code"] = { [0] = "UNKNOWN", [1] = "TABLE_FULL", [2] = "BAD_PAYLOAD",
		[3] = "NOT_CONNECTED" },
	["MoveReject.Reason"] = { [0] = "UNKNOWN", [1] = "OUT_OF_BOUNDS", [2] = "TOO_FAST",
		[3] = "DEAD", [4] = "NOT_OWNER", [5] = "BUSY" },
	["AttackResult.Result"] = { [0] = "HIT", [1] = "KILLED", [2] = "OUT_OF_RANGE",
		[3] = "COOLDOWN", [4] = "ATTACKER_DEAD", [5] = "TARGET_DEAD", [6] = "NO_TARGET",
		[7] = "BAD_SKILL", [8] = "NOT_OWNER", [9] = "BUSY" },
}

local MESSAGES = {
	-- session.proto
	Connect = {
		{ 1, "client_version", "uint32" },
		{ 2, "player_id", "uint64" },
		{ 3, "client_time_ns", "uint64" },
		{ 4, "token", "bytes" },
		{ 5, "cookie", "bytes" },
		{ 6, "padding", "bytes" },
	},
	Challenge = {
		{ 1, "cookie", "bytes" },
		{ 2, "client_time_ns", "uint64" },
	},
	ConnectAccept = {
		{ 1, "session_id", "uint32" },
		{ 2, "client_time_ns", "uint64" },
		{ 3, "server_time_ns", "uint64" },
		{ 4, "heartbeat_interval_ms", "uint32" },
		{ 5, "idle_timeout_ms", "uint32" },
		{ 6, "entity_id", "uint32" },
		{ 7, "spawn_x", "float" },
		{ 8, "spawn_y", "float" },
		{ 9, "spawn_z", "float" },
	},
	Heartbeat = {
		{ 1, "client_time_ns", "uint64" },
	},
	HeartbeatAck = {
		{ 1, "client_time_ns", "uint64" },
		{ 2, "server_time_ns", "uint64" },
	},
	Disconnect = {
		{ 1, "reason", "enum", "Disconnect.Reason" },
	},
	SessionError = {
		{ 1, "code", "enum", "SessionError.Code" },
		{ 2, "detail", "string" },
	},
	-- move.proto
	Move = {
		{ 1, "entity_id", "uint32" },
		{ 2, "x", "float" },
		{ 3, "y", "float" },
		{ 4, "z", "float" },
		{ 5, "seq", "uint32" },
		{ 6, "client_time_ns", "uint64" },
	},
	MoveAck = {
		{ 1, "entity_id", "uint32" },
		{ 2, "x", "float" },
		{ 3, "y", "float" },
		{ 4, "z", "float" },
		{ 5, "seq", "uint32" },
		{ 6, "client_time_ns", "uint64" },
	},
	MoveReject = {
		{ 1, "entity_id", "uint32" },
		{ 2, "x", "float" },
		{ 3, "y", "float" },
		{ 4, "z", "float" },
		{ 5, "seq", "uint32" },
		{ 6, "reason", "enum", "MoveReject.Reason" },
		{ 7, "client_time_ns", "uint64" },
	},
	-- combat.proto
	Attack = {
		{ 1, "attacker", "uint32" },
		{ 2, "target", "uint32" },
		{ 3, "skill", "uint32" },
		{ 4, "seq", "uint32" },
		{ 5, "client_time_ns", "uint64" },
	},
	AttackResult = {
		{ 1, "attacker", "uint32" },
		{ 2, "target", "uint32" },
		{ 3, "skill", "uint32" },
		{ 4, "seq", "uint32" },
		{ 5, "result", "enum", "AttackResult.Result" },
		{ 6, "damage", "int32" },
		{ 7, "target_hp", "int32" },
		{ 8, "cooldown_ms", "uint32" },
		{ 9, "client_time_ns", "uint64" },
	},
	Damaged = {
		{ 1, "target", "uint32" },
		{ 2, "attacker", "uint32" },
		{ 3, "skill", "uint32" },
		{ 4, "damage", "int32" },
		{ 5, "hp", "int32" },
		{ 6, "killed", "bool" },
		{ 7, "respawn_in_ms", "uint32" },
		{ 8, "respawn_x", "float" },
		{ 9, "respawn_y", "float" },
		{ 10, "respawn_z", "float" },
	},
	-- replicate.proto
	EntityState = {
		{ 1, "id", "uint32" },
		{ 2, "x", "sint32" },
		{ 3, "y", "sint32" },
		{ 4, "z", "sint32" },
		{ 5, "vx", "sint32" },
		{ 6, "vy", "sint32" },
		{ 7, "vz", "sint32" },
		{ 8, "hp", "sint32" },
		{ 9, "alive", "sint32" },
	},
	Snapshot = {
		{ 1, "tick", "uint32" },
		{ 2, "baseline", "uint32" },
		{ 3, "full", "message", "EntityState", "repeated" },
		{ 4, "delta", "message", "EntityState", "repeated" },
		{ 5, "removed", "uint32", nil, "repeated" },
		{ 6, "cut", "uint32" },
	},
	SnapshotAck = {
		{ 1, "tick", "uint32" },
	},
}

-- message type -> payload message (docs/PROTOCOL.md, "Message types")
local TYPE_MESSAGE = {
	[1] = "Connect", [2] = "ConnectAccept", [3] = "Heartbeat", [4] = "HeartbeatAck",
	[5] = "Disconnect", [6] = "SessionError", [7] = "Challenge",
	[16] = "Move", [17] = "MoveAck", [18] = "MoveReject",
	[32] = "Attack", [33] = "AttackResult", [34] = "Damaged",
	[48] = "Snapshot", [49] = "SnapshotAck",
}

-- the wire type of each scalar type the schemas use (a new one needs a line
-- here, in PF_OF_TYPE and in add_known)
local WIRE_OF = { uint32 = 0, uint64 = 0, int32 = 0, sint32 = 0, bool = 0, enum = 0, string = 2,
	bytes = 2, float = 5, message = 2 }
local WIRE_NAMES = { [0] = "varint", [1] = "64-bit", [2] = "length-delimited",
	[3] = "start group", [4] = "end group", [5] = "32-bit" }

-- "ConnectAccept" -> "connect_accept": the filter name of a message
local function snake(name)
	return (name:gsub("(%l)(%u)", "%1_%2"):lower())
end

-- --- fields ------------------------------------------------------------------

local pf = {
	magic = ProtoField.uint16("gsnet.magic", "Magic", base.HEX),
	version = ProtoField.uint8("gsnet.version", "Version", base.DEC),
	type = ProtoField.uint8("gsnet.type", "Type", base.DEC, TYPE_NAMES),
	session_id = ProtoField.uint32("gsnet.session_id", "Session id", base.DEC),
	sequence = ProtoField.uint32("gsnet.sequence", "Sequence", base.DEC),
	payload_len = ProtoField.uint16("gsnet.payload_len", "Payload length", base.DEC),
	flags = ProtoField.uint16("gsnet.flags", "Flags", base.HEX),
	auth_tag = ProtoField.bytes("gsnet.auth_tag", "Auth tag"),
	connect_nonce = ProtoField.bytes("gsnet.connect_nonce", "Connect nonce"),
	direction = ProtoField.string("gsnet.direction", "Direction"),
	drop = ProtoField.string("gsnet.drop", "Dropped by the primary as"),
	payload = ProtoField.bytes("gsnet.payload", "Payload"),
	pb_unknown = ProtoField.bytes("gsnet.pb.unknown", "Unknown protobuf field"),
}

local PF_OF_TYPE = {
	uint32 = function(a, l) return ProtoField.uint32(a, l, base.DEC) end,
	uint64 = function(a, l) return ProtoField.uint64(a, l, base.DEC) end,
	int32 = function(a, l) return ProtoField.int32(a, l, base.DEC) end,
	sint32 = function(a, l) return ProtoField.int32(a, l, base.DEC) end,
	message = function(a, l) return ProtoField.none(a, l) end,
	bool = function(a, l) return ProtoField.bool(a, l) end,
	-- a float's exact value: FT_FLOAT shows 6 digits only (9999.125 as
	-- 9999.12); the item's text gives the shortest decimal that reads back
	-- as the same float (float_text)
	float = function(a, l) return ProtoField.double(a, l) end,
	string = function(a, l) return ProtoField.string(a, l) end,
	bytes = function(a, l) return ProtoField.bytes(a, l) end,
}

-- one ProtoField per message field: gsnet.<message>.<field>, e.g. gsnet.move.x
local msg_fields = {}
for mname, fields in pairs(MESSAGES) do
	local byno = {}
	for _, f in ipairs(fields) do
		local num, fname, ftype, enum = f[1], f[2], f[3], f[4]
		local abbr = "gsnet." .. snake(mname) .. "." .. fname
		local field
		if ftype == "enum" then
			field = ProtoField.int32(abbr, fname, base.DEC, ENUMS[enum])
		else
			field = PF_OF_TYPE[ftype](abbr, fname)
		end
		pf[abbr] = field
		byno[num] = { name = fname, type = ftype, enum = enum, field = field,
			sub = (ftype == "message") and enum or nil, repeated = f[5] == "repeated" }
	end
	msg_fields[mname] = byno
end

local fields_list = {}
for _, f in pairs(pf) do fields_list[#fields_list + 1] = f end
gsnet.fields = fields_list

-- --- expert info ---------------------------------------------------------------

-- the primary's drop reasons for a game header, in the order it checks them
local DROP_NAMES = { "gs_truncated", "gs_magic", "gs_version", "gs_length", "gs_flags", "gs_type" }
local ef_drop = {}
for _, n in ipairs(DROP_NAMES) do
	ef_drop[n] = ProtoExpert.new("gsnet.drop." .. n, n, expert.group.MALFORMED,
		expert.severity.ERROR)
end
local ef_pb_bad = ProtoExpert.new("gsnet.pb.bad", "payload is no valid protobuf message",
	expert.group.MALFORMED, expert.severity.WARN)
local ef_pb_wire = ProtoExpert.new("gsnet.pb.wire_type", "field with the wrong wire type",
	expert.group.MALFORMED, expert.severity.WARN)
local ef_unassigned = ProtoExpert.new("gsnet.unassigned", "type with no payload defined",
	expert.group.UNDECODED, expert.severity.NOTE)
local ef_unknown_type = ProtoExpert.new("gsnet.unknown_type", "unknown message type",
	expert.group.UNDECODED, expert.severity.WARN)

local ef_short = ProtoExpert.new("gsnet.short", "datagram not wholly captured",
	expert.group.UNDECODED, expert.severity.WARN)

local experts = { ef_pb_bad, ef_pb_wire, ef_unassigned, ef_unknown_type, ef_short }
for _, n in ipairs(DROP_NAMES) do experts[#experts + 1] = ef_drop[n] end
gsnet.experts = experts

-- --- preferences ---------------------------------------------------------------

gsnet.prefs.udp_port = Pref.uint("UDP port", DEFAULT_PORT,
	"The server's game port ([net] udp_port in gsnet.ini). Datagrams to it are "
	.. "client -> server, from it server -> client.")

local udp_table = DissectorTable.get("udp.port")
local registered_port = nil

local function register_port()
	local port = gsnet.prefs.udp_port
	if registered_port == port then return end
	if registered_port ~= nil then udp_table:remove(registered_port, gsnet) end
	if port ~= 0 then udp_table:add(port, gsnet) end
	registered_port = port
end

function gsnet.prefs_changed()
	register_port()
end

-- --- protobuf ------------------------------------------------------------------

-- A varint at off of at most 10 bytes, within limit: its value (UInt64) and
-- length, or nil when it does not end before limit or runs past 10 bytes.
local function read_varint(tvb, off, limit)
	local v = UInt64(0, 0)
	for i = 0, 9 do
		if off + i >= limit then return nil end
		local b = tvb(off + i, 1):uint()
		local low7 = b % 128
		if low7 ~= 0 then v = v + UInt64(low7, 0):lshift(7 * i) end
		if b < 128 then return v, i + 1 end
	end
	return nil
end

local TWO32 = 4294967296
local TWO31 = 2147483648

-- the int32 a varint carries (negative numbers are 10-byte varints)
local function as_int32(v)
	local low = v:lower()
	if low >= TWO31 then return low - TWO32 end
	return low
end

-- the sint32 a varint carries: zigzag, of its low 32 bits as protobuf-c reads it
local function as_sint32(v)
	local low = v:lower()
	if low % 2 == 0 then return low / 2 end
	return -(low + 1) / 2
end

-- The shortest decimal that reads back as the float32 whose bytes (little
-- endian) are raw: 0.1 rather than 0.100000001, 9999.125 rather than 9999.12.
local function float_text(raw, d)
	if d ~= d then return "nan" end
	if d == math.huge then return "inf" end
	if d == -math.huge then return "-inf" end
	for p = 6, 8 do
		local s = string.format("%." .. p .. "g", d)
		if Struct.pack("<f", tonumber(s)) == raw then return s end
	end
	return string.format("%.9g", d)
end

local function fmt_value(info, value)
	if info.type == "enum" then
		local name = ENUMS[info.enum][value]
		return name or tostring(value)
	elseif info.type == "bytes" then
		return "<" .. tostring(value:len()) .. " bytes>"
	elseif info.type == "string" then
		return '"' .. value .. '"'
	end
	return tostring(value)
end

-- Add the field at [foff, vend) to tree, its value at [voff, vend) (v: a
-- varint's value). Returns the value's short text for the Info column.
local function add_known(tree, tvb, info, foff, voff, vend, v)
	local whole = tvb(foff, vend - foff)
	local t = info.type
	local value
	if t == "uint32" then
		value = v:lower() -- protobuf-c keeps the low 32 bits
	elseif t == "uint64" then
		value = v
	elseif t == "int32" or t == "enum" then
		value = as_int32(v)
	elseif t == "sint32" then
		value = as_sint32(v)
	elseif t == "bool" then
		value = not (v:lower() == 0 and v:higher() == 0)
	elseif t == "float" then
		value = tvb(voff, 4):le_float()
	elseif t == "string" then
		value = (vend > voff) and tvb(voff, vend - voff):string(ENC_UTF_8) or ""
	end
	local item
	if t == "bytes" then
		-- the value's own bytes (Lua gives FT_BYTES no value of its own)
		item = tree:add(info.field, tvb(voff, vend - voff))
		value = tvb(voff, vend - voff):bytes()
	else
		item = tree:add(info.field, whole, value)
	end
	if t == "float" then
		local text = float_text(tvb(voff, 4):raw(), value)
		item:set_text(info.name .. ": " .. text)
		return text
	end
	if t == "bytes" then
		if vend > voff then
			item:append_text(" (" .. tostring(vend - voff) .. " bytes)")
		else
			item:set_text(info.name .. ": <empty>")
		end
	end
	return fmt_value(info, value)
end

-- A packed repeated varint field, [voff, vend): each value an item of
-- info.field. Returns the number of values, or nil (and says why) when a
-- varint runs past the field.
local function add_packed(tree, tvb, info, mname, foff, voff, vend)
	local sub = tree:add(tvb(foff, vend - foff), info.name .. " (packed)")
	local p, n = voff, 0
	while p < vend do
		local v, vlen = read_varint(tvb, p, vend)
		if v == nil then
			tree:add_proto_expert_info(ef_pb_bad, string.format(
				"payload is no valid gs.%s: a varint of packed field %s runs past it",
				mname, info.name))
			return nil
		end
		add_known(sub, tvb, info, p, p, p + vlen, v)
		p = p + vlen
		n = n + 1
	end
	sub:set_text(string.format("%s: %d value%s (packed)", info.name, n, (n == 1) and "" or "s"))
	return n
end

-- Decode payload [off, off + len) as message mname into tree. Returns a
-- short "name=value ..." summary for the Info column (repeated fields:
-- "name=count").
local dissect_pb
dissect_pb = function(tvb, tree, off, len, mname)
	local byno = msg_fields[mname]
	local limit = off + len
	local p = off
	local summary = {}
	local counts, order = {}, {} -- repeated fields: how many, in the order first seen
	local function count(name, n)
		if counts[name] == nil then order[#order + 1] = name; counts[name] = 0 end
		counts[name] = counts[name] + n
	end
	local function done()
		for _, name in ipairs(order) do
			summary[#summary + 1] = string.format("%s=%d", name, counts[name])
		end
		return table.concat(summary, " ")
	end
	while p < limit do
		local key, klen = read_varint(tvb, p, limit)
		if key == nil then
			tree:add_proto_expert_info(ef_pb_bad, string.format(
				"payload is no valid gs.%s: field key cut at offset %d", mname, p - off))
			return table.concat(summary, " ")
		end
		local num = key:rshift(3):lower() + key:rshift(3):higher() * TWO32
		local wire = key:lower() % 8
		local voff = p + klen
		local vend, v
		if num == 0 or num > 536870911 then
			tree:add_proto_expert_info(ef_pb_bad, string.format(
				"payload is no valid gs.%s: field number %s at offset %d", mname,
				tostring(key:rshift(3)), p - off))
			return table.concat(summary, " ")
		end
		if wire == 0 then
			local vlen
			v, vlen = read_varint(tvb, voff, limit)
			if v == nil then
				tree:add_proto_expert_info(ef_pb_bad, string.format(
					"payload is no valid gs.%s: varint of field %d cut at offset %d",
					mname, num, voff - off))
				return table.concat(summary, " ")
			end
			vend = voff + vlen
		elseif wire == 1 or wire == 5 then
			vend = voff + ((wire == 1) and 8 or 4)
		elseif wire == 2 then
			local n, nlen = read_varint(tvb, voff, limit)
			if n ~= nil then
				voff = voff + nlen
				vend = (n:higher() == 0) and (voff + n:lower()) or (limit + 1)
			end
			if n == nil or vend > limit then
				tree:add_proto_expert_info(ef_pb_bad, string.format(
					"payload is no valid gs.%s: length of field %d runs past the payload",
					mname, num))
				return table.concat(summary, " ")
			end
		else
			tree:add_proto_expert_info(ef_pb_bad, string.format(
				"payload is no valid gs.%s: wire type %d (%s) of field %d at offset %d",
				mname, wire, WIRE_NAMES[wire] or "?", num, p - off))
			return table.concat(summary, " ")
		end
		if vend > limit then
			tree:add_proto_expert_info(ef_pb_bad, string.format(
				"payload is no valid gs.%s: field %d runs past the payload", mname, num))
			return table.concat(summary, " ")
		end

		local info = byno[num]
		if info ~= nil and info.type == "message" and wire == 2 then
			local item = tree:add(info.field, tvb(p, vend - p))
			item:set_text(string.format("%s: gs.%s (%d bytes)", info.name, info.sub,
				vend - voff))
			dissect_pb(tvb, item, voff, vend - voff, info.sub)
			count(info.name, 1)
		elseif info ~= nil and info.repeated and WIRE_OF[info.type] == 0 and wire == 2 then
			local n = add_packed(tree, tvb, info, mname, p, voff, vend)
			if n == nil then return done() end
			count(info.name, n)
		elseif info ~= nil and WIRE_OF[info.type] == wire then
			local text = add_known(tree, tvb, info, p, voff, vend, v)
			if info.repeated then
				count(info.name, 1)
			elseif info.type ~= "bytes" and #summary < 12 then
				summary[#summary + 1] = info.name .. "=" .. text
			elseif #summary == 12 then
				summary[#summary + 1] = "..."
			end
		else
			local item = tree:add(pf.pb_unknown, tvb(p, vend - p))
			if info ~= nil then
				item:set_text(string.format("%s (field %d): %s, the schema says %s",
					info.name, num, WIRE_NAMES[wire], info.type))
				item:add_proto_expert_info(ef_pb_wire, string.format(
					"field %s (%d) of gs.%s sent as %s, the schema says %s", info.name,
					num, mname, WIRE_NAMES[wire], info.type))
			else
				local vtext = (wire == 0) and tostring(v) or
					(tostring(vend - voff) .. " bytes")
				item:set_text(string.format("Unknown field %d (%s): %s", num,
					WIRE_NAMES[wire], vtext))
			end
		end
		p = vend
	end
	return done()
end

-- --- the dissector -------------------------------------------------------------

-- header fields in order: key, offset, size
local HDR_FIELDS = {
	{ "magic", 0, 2 }, { "version", 2, 1 }, { "type", 3, 1 }, { "session_id", 4, 4 },
	{ "sequence", 8, 4 }, { "payload_len", 12, 2 }, { "flags", 14, 2 },
}

function gsnet.dissector(tvb, pinfo, tree)
	-- The primary judges the datagram's length as the UDP header gives it
	-- (reported); a capture with a small snap length may hold fewer bytes
	-- (captured): what was not captured is not shown, and not judged.
	local len = tvb:reported_len()
	local cap = tvb:len()
	local port = gsnet.prefs.udp_port
	-- to the game port: client -> server; from it: server -> client; neither
	-- (Decode As on another port): judged as client -> server
	local to_server = (pinfo.dst_port == port) or (pinfo.src_port ~= port)

	pinfo.cols.protocol = "GSNET"
	local root = tree:add(gsnet, tvb(), "gsnet game protocol")
	root:add(pf.direction, to_server and "client -> server" or "server -> client")
		:set_generated()

	local function refuse(reason, text)
		root:add(pf.drop, reason):set_generated()
		root:add_proto_expert_info(ef_drop[reason], reason .. ": " .. text)
		pinfo.cols.info:append(" [" .. reason .. "]")
	end
	-- false (and says so) when bytes [0, n) were not all captured
	local function captured(n)
		if n <= cap then return true end
		root:add_proto_expert_info(ef_short, string.format(
			"the capture holds %d of the datagram's %d bytes (snap length): the rest "
			.. "is neither shown nor checked", cap, len))
		pinfo.cols.info:append(" [cut by the capture]")
		return false
	end

	-- gs_hdr_decode (shared/src/wire.c), check by check
	if len < HDR_LEN then
		for _, f in ipairs(HDR_FIELDS) do
			if f[2] + f[3] <= math.min(len, cap) then root:add(pf[f[1]], tvb(f[2], f[3])) end
		end
		pinfo.cols.info = string.format("gsnet %d bytes", len)
		refuse("gs_truncated", string.format("%d byte%s, shorter than the %d-byte game header",
			len, (len == 1) and "" or "s", HDR_LEN))
		return len
	end

	local hdr = root:add(tvb(0, math.min(HDR_LEN, cap)), "Header")
	for _, f in ipairs(HDR_FIELDS) do
		if f[2] + f[3] <= cap then hdr:add(pf[f[1]], tvb(f[2], f[3])) end
	end
	pinfo.cols.info = "gsnet"
	if not captured(16) then return len end

	local magic = tvb(0, 2):uint()
	local version = tvb(2, 1):uint()
	local mtype = tvb(3, 1):uint()
	local session = tvb(4, 4):uint()
	local seq = tvb(8, 4):uint()
	local plen = tvb(12, 2):uint()
	local flags = tvb(14, 2):uint()
	local tname = TYPE_NAMES[mtype] or string.format("type %d", mtype)

	root:append_text(string.format(", %s, session %d, seq %d", tname, session, seq))
	pinfo.cols.info = string.format("%s session=%d seq=%d", tname, session, seq)
	if cap >= HDR_LEN then
		if session == 0 then
			hdr:add(pf.connect_nonce, tvb(16, 8)):append_text(
				" (session 0: the CONNECT's nonce, echoed by its answers)")
		else
			hdr:add(pf.auth_tag, tvb(16, 8)):append_text(
				" (SipHash-2-4 under the session's key; not verified)")
		end
	end

	if magic ~= MAGIC then
		refuse("gs_magic", string.format("magic 0x%04x, not 0x%04x", magic, MAGIC))
		return len
	end
	if version ~= VERSION then
		refuse("gs_version", string.format("version %d, not %d", version, VERSION))
		return len
	end
	if plen > MAX_PAYLOAD or plen ~= len - HDR_LEN then
		refuse("gs_length", string.format(
			"payload_len %d, but %d bytes follow the header (at most %d)",
			plen, len - HDR_LEN, MAX_PAYLOAD))
		if cap > HDR_LEN then root:add(pf.payload, tvb(HDR_LEN, cap - HDR_LEN)) end
		return len
	end
	if flags ~= 0 then
		refuse("gs_flags", string.format("flags 0x%04x: reserved, must be 0", flags))
	elseif to_server and not has_class(mtype) then
		refuse("gs_type", string.format(
			"type %d (%s) has no handler class in the default config: the server accepts 1, 3, 5 and 16..63",
			mtype, TYPE_NAMES[mtype] or "unknown"))
	end
	if not captured(len) then
		if cap > HDR_LEN then root:add(pf.payload, tvb(HDR_LEN, cap - HDR_LEN)) end
		return len
	end

	-- the payload: an empty one is a valid message with every field at its default
	local mname = TYPE_MESSAGE[mtype]
	if mname ~= nil then
		local ptree = root:add(tvb(HDR_LEN, plen), string.format("gs.%s (%d bytes)", mname, plen))
		local summary = dissect_pb(tvb, ptree, HDR_LEN, plen, mname)
		if summary ~= "" then pinfo.cols.info:append(" {" .. summary .. "}") end
	else
		if plen > 0 then root:add(pf.payload, tvb(HDR_LEN, plen)) end
		if TYPE_NAMES[mtype] ~= nil then
			local class, handler = "movement", "gs-move"
			if mtype >= 48 then
				class, handler = "replication", "gs-replicate"
			elseif mtype >= 32 then
				class, handler = "combat", "gs-combat"
			end
			root:add_proto_expert_info(ef_unassigned, string.format(
				"type %d is an unassigned %s type: %s refuses it (bad_type)", mtype, class,
				handler))
		elseif not to_server then
			root:add_proto_expert_info(ef_unknown_type, string.format(
				"type %d is no gsnet message type", mtype))
		end
	end
	return len
end

-- Wireshark calls no dissector for a UDP datagram with no payload; the
-- primary drops it (gs_truncated). A postdissector flags those to or from
-- the game port, as the last layer of the frame (not one quoted in ICMP).
local f_protocols = Field.new("frame.protocols")
local f_udp_length = Field.new("udp.length")
local f_udp_srcport = Field.new("udp.srcport")
local f_udp_dstport = Field.new("udp.dstport")
local gsnet_empty = Proto("gsnet_empty", "gsnet empty datagram")

function gsnet_empty.dissector(tvb, pinfo, tree)
	local protocols = f_protocols()
	if protocols == nil or not tostring(protocols.value):match(":udp$") then return end
	local lens, srcs, dsts = { f_udp_length() }, { f_udp_srcport() }, { f_udp_dstport() }
	if #lens == 0 or #srcs == 0 or #dsts == 0 or lens[#lens].value ~= 8 then return end
	local port = gsnet.prefs.udp_port
	local src, dst = srcs[#srcs].value, dsts[#dsts].value
	if dst ~= port and src ~= port then return end
	local to_server = (dst == port)

	pinfo.cols.protocol = "GSNET"
	pinfo.cols.info = "gsnet 0 bytes [gs_truncated]"
	local root = tree:add(gsnet, "gsnet game protocol (empty datagram)")
	root:add(pf.direction, to_server and "client -> server" or "server -> client"):set_generated()
	root:add(pf.drop, "gs_truncated"):set_generated()
	root:add_proto_expert_info(ef_drop.gs_truncated, string.format(
		"gs_truncated: 0 bytes, shorter than the %d-byte game header", HDR_LEN))
end

register_postdissector(gsnet_empty)
register_port()
