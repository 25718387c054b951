-- Clocks for per-request timing.  wrk 4.x gives its Lua no clock, and
-- os.clock() is CPU time, so LuaJIT's FFI calls clock_gettime(2) directly:
-- CLOCK_MONOTONIC for latencies, CLOCK_REALTIME for the per-second time
-- series (the phases of a run are separate wrk processes; wall time is the
-- clock they share).
local ffi = require("ffi")

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } lt_timespec_t;
int clock_gettime(int clk_id, lt_timespec_t *tp);
]]

local CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
local ts = ffi.new("lt_timespec_t")

local M = {}

-- microseconds on the monotonic clock
function M.mono_us()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

-- milliseconds since the Unix epoch
function M.wall_ms()
    ffi.C.clock_gettime(CLOCK_REALTIME, ts)
    return tonumber(ts.tv_sec) * 1000 + math.floor(tonumber(ts.tv_nsec) / 1000000)
end

return M
