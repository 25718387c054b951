-- wrk script of the load-test kit: submits generated dossiers, records
-- every answer.  Configured by environment variables that loadtest/run
-- (lib/phase.sh) sets for each phase:
--
--   LT_OUT      directory of this phase's records (required)
--   LT_RUN      run id; LT_PHASE  phase tag: MaHoSo = LT<run>-<tag>-<thread>-<n>
--   LT_EPOCH    run start (Unix s): the latest NgayTiepNhan
--   LT_MIX      sector weights, "HT:30,BTXH:15,..."
--   LT_INVALID  share of invalid dossiers (expected 422), 0..1
--   LT_RATE     target requests/s over all connections (absent: as fast as
--               the answers come)
--   LT_CONNECTIONS  connection count (= wrk threads, see below)
--   LT_MODE     submit | retry | lookup | resend
--   LT_SOURCE   retry/lookup: a file of accepted dossiers to resend/look up;
--               resend: of dossiers whose answer was in doubt, each sent
--               once (connection k sends lines k, k + connections, ...)
--   LT_LOOKUP   lookup mode: share of GET lookups (the rest are submissions)
--   LT_SIGN     0: unsigned requests (default: signed, see sign.lua)
--   LT_GO_MS, LT_STOP_MS  the measured window (wall clock, ms): every
--               connection sends its first request at LT_GO_MS and none
--               after LT_STOP_MS
--
-- The common start: wrk creates its threads (and their Lua states) one
-- after the other and each starts sending at once; with 64 threads on 2
-- busy cores the last one starts seconds after the first, and wrk counts
-- those seconds' answers in a window that does not contain them.  So every
-- connection waits in delay() until LT_GO_MS, which the runner sets after
-- the time wrk needs to create them all, and goes idle at LT_STOP_MS.
--
-- Timing: wrk runs one connection per thread (-t = -c), so request() and
-- response() of a thread's Lua state alternate strictly and the time
-- between them, read from clock_gettime through LuaJIT's FFI, is that
-- request's latency.  It also tells which MaHoSo every answer (422, 503...)
-- belongs to, which the no-loss audit needs.
--
-- Records, one file per thread (wrk threads have separate Lua states):
--   t<thread>.log  end_ms sector kind status latency_us MaHoSo id expect_id start_ms
--     kind: v valid, i invalid, r resent, l lookup, d resent after an
--     answer in doubt; status 0: never answered
--   counts.tsv, summary.env, unanswered.log: written by done() at the end
--
-- No JIT: with one Lua state per connection every state would compile the
-- same traces again, and the generator (strings, os.date, string.format)
-- gains little from them.  Measured at 64 connections on 2 cores: 425 us
-- of CPU per request with the JIT, 174 us without.
jit.off()

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path

local clock = require "clock"
local gen = require "gen"
local rng = require "rng"
local sign = require "sign"

local env = os.getenv
local OUT = env("LT_OUT") or error("LT_OUT is not set")
local RUN = env("LT_RUN") or "x"
local PHASE = env("LT_PHASE") or "p"
local EPOCH = tonumber(env("LT_EPOCH") or os.time())
local INVALID = tonumber(env("LT_INVALID") or "0")
local RATE = tonumber(env("LT_RATE") or "0")
local CONNS = tonumber(env("LT_CONNECTIONS") or "1")
local MODE = env("LT_MODE") or "submit"
local LOOKUP = tonumber(env("LT_LOOKUP") or "0")
local GO = tonumber(env("LT_GO_MS") or "0")
local STOP = tonumber(env("LT_STOP_MS") or "0")

-- "HT:30,BTXH:15" -> cumulative weights
local function parse_mix(s)
    local mix, total = {}, 0
    for code, w in s:gmatch("(%w+):([%d.]+)") do
        total = total + tonumber(w)
        mix[#mix + 1] = { code = code, upto = total }
    end
    assert(total > 0, "LT_MIX has no weights: " .. s)
    for _, m in ipairs(mix) do
        m.upto = m.upto / total
    end
    return mix
end

local MIX = parse_mix(env("LT_MIX") or "HT:30,BTXH:15,DD:20,XD:10,HKD:10,CT:15")

------------------------------------------------------------------ main state

local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
    thread:set("tid", #threads)
end

local function write(path, text)
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
end

function done(summary, latency, requests)
    local e = summary.errors
    write(OUT .. "/summary.env", string.format(
        "requests=%d\nduration_us=%d\nbytes=%d\nerr_connect=%d\n"
        .. "err_read=%d\nerr_write=%d\nerr_status=%d\nerr_timeout=%d\n"
        .. "lat_mean_us=%d\nlat_max_us=%d\nlat_p50_us=%d\nlat_p90_us=%d\n"
        .. "lat_p99_us=%d\nlat_p999_us=%d\n",
        summary.requests, summary.duration, summary.bytes, e.connect,
        e.read, e.write, e.status, e.timeout, latency.mean, latency.max,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency:percentile(99.9)))

    local counts, lost = {}, {}
    for _, t in ipairs(threads) do
        for status, n in pairs(t:get("counts") or {}) do
            counts[#counts + 1] = t:get("tid") .. "\t" .. status .. "\t" .. n
        end
        -- the request in flight when wrk stopped
        local p = t:get("pending_line")
        if p then
            lost[#lost + 1] = p
        end
    end
    write(OUT .. "/counts.tsv", table.concat(counts, "\n") .. "\n")
    write(OUT .. "/unanswered.log", #lost > 0 and table.concat(lost, "\n") .. "\n" or "")
end

---------------------------------------------------------------- thread state

counts = {}          -- status -> answers (read by done())
pending_line = nil   -- the record of the request in flight (read by done())

local tid, log, r, n = 0, nil, nil, 0
local pending = nil
-- requests given up for lost (no answer before the next one was made), by
-- MaHoSo: see response()
local lost = {}
local sources = {}   -- retry: {mhs, sector, id}; lookup: accepted MaHoSo
local headers = { ["Content-Type"] = "application/json; charset=utf-8" }

-- The accepted dossiers of an earlier phase: the runner extracts them from
-- its records (lib/phase.sh), one "MaHoSo sector id" line each.
local function load_source(path)
    local list = {}
    for line in assert(io.open(path)):lines() do
        local mhs, sector, id = line:match("^(%S+)\t(%S+)\t(%S+)")
        if mhs then
            list[#list + 1] = { mhs = mhs, sector = sector, id = id }
        end
    end
    return list
end

function init(args)
    tid = _G.tid or 1          -- set by setup() in the main state
    if GO > 0 and clock.wall_ms() > GO then
        io.stderr:write("loadtest: late thread ", tid, ": ready after the common start\n")
    end
    r = rng.new(RUN .. PHASE .. tid .. ":" .. EPOCH)
    log = assert(io.open(OUT .. "/t" .. tid .. ".log", "w"))
    -- flushed by the C library when wrk exits
    log:setvbuf("full", 65536)
    if (env("LT_SOURCE") or "") ~= "" then
        sources = load_source(env("LT_SOURCE"))
        assert(#sources > 0, "no accepted dossiers in " .. env("LT_SOURCE"))
    end
end

local function pick_sector()
    local x = r:float()
    for _, m in ipairs(MIX) do
        if x < m.upto then
            return m.code
        end
    end
    return MIX[#MIX].code
end

local function record(p, status, id, end_ms, lat)
    return string.format("%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d", end_ms,
                         p.sector, p.kind, status, lat, p.mhs, id or "-",
                         p.expect or "-", p.start_ms)
end

-- The next request of this connection: what it is and its bytes.
local function next_request()
    n = n + 1
    local p = {}
    if MODE == "retry" then
        local s = sources[r:int(1, #sources)]
        p.mhs, p.sector, p.kind, p.expect = s.mhs, s.sector, "r", s.id
        p.body = gen.dossier(s.mhs, s.sector, nil, EPOCH)
    elseif MODE == "resend" then
        local s = sources[math.min(tid + (n - 1) * CONNS, #sources)]
        p.mhs, p.sector, p.kind, p.expect = s.mhs, s.sector, "d", s.id
        p.body = gen.dossier(s.mhs, s.sector, nil, EPOCH)
    elseif MODE == "lookup" and #sources > 0 and r:chance(LOOKUP) then
        local s = sources[r:int(1, #sources)]
        p.mhs, p.sector, p.kind = s.mhs, s.sector, "l"
        p.method, p.path = "GET", "/v1/dossiers/" .. s.mhs:gsub("/", "%%2F")
    else
        p.mhs = "LT" .. RUN .. "-" .. PHASE .. "-" .. tid .. "-" .. n
        p.sector = pick_sector()
        local bad = INVALID > 0 and r:chance(INVALID)
                    and r:pick(gen.invalid_kinds) or nil
        p.kind = bad and "i" or "v"
        p.body = gen.dossier(p.mhs, p.sector, bad, EPOCH)
    end
    p.method = p.method or "POST"
    p.path = p.path or "/v1/dossiers"
    return p
end

-- wrk calls request() once more than it sends: the first call of the
-- first thread only checks that the script makes a valid request
-- (script_verify_request).  So the first request of a thread is kept and,
-- when no answer came before the next call, sent then instead of a new one.
local first = nil

local function start(p, req)
    pending = p
    p.start_ms = clock.wall_ms()
    pending_line = record(p, 0, nil, p.start_ms, 0)
    p.t0 = clock.mono_us()
    return req
end

function request()
    if first then
        local f = first
        first = nil
        if pending == f.p then
            return start(f.p, f.req)
        end
    end
    if pending then
        -- no answer came (wrk reconnected after an error): keep the fact
        log:write(record(pending, 0, nil, clock.wall_ms(), 0), "\n")
        lost[pending.mhs] = pending
    end
    local p = next_request()
    local h = headers
    if p.method == "GET" then
        h = {}
    end
    -- a nonce the gateway has never seen: run, phase, thread, counter
    sign.sign(p.method, p.path, h, p.body,
              RUN .. "." .. PHASE .. "." .. tid .. "." .. n)
    local req = wrk.format(p.method, p.path, h, p.body)
    p.body = nil
    if n == 1 then
        first = { p = p, req = req }
    end
    return start(p, req)
end

function response(status, hdrs, body)
    local t1 = clock.mono_us()
    local p = pending
    if not p then
        return
    end
    local id = nil
    if status == 200 or status == 201 then
        id = body:match('"id":%s*(%d+)')
        -- wrk may make the next request while one is still outstanding
        -- (seen across reloads: a connection the server closes while a
        -- delay timer is armed gets a second timer on reconnect), and
        -- that request() gives the first up for lost.  The first's answer
        -- then arrives as if it were the second's; the body says whose
        -- it is, and the second is still awaited.
        local m = body:match('"MaHoSo":"([^"]+)"')
        if m and m ~= p.mhs and lost[m] then
            counts[status] = (counts[status] or 0) + 1
            log:write(record(lost[m], status, id, clock.wall_ms(), 0), "\n")
            lost[m] = nil
            return
        end
    end
    pending, pending_line = nil, nil
    if status == 200 or status == 201 then
        if MODE == "lookup" and status == 201 and #sources < 10000 then
            sources[#sources + 1] = { mhs = p.mhs, sector = p.sector }
        end
    end
    counts[status] = (counts[status] or 0) + 1
    log:write(record(p, status, id, clock.wall_ms(), t1 - p.t0), "\n")
end

-- Called by wrk before every request (the first one included) because the
-- function exists: holds every connection until the common start, paces
-- it when a rate is asked for, idles it after the window.  Pacing: each
-- connection keeps its own schedule of one request every CONNS/RATE s,
-- starting at a random point of the first interval; a late answer delays
-- the next request, it never causes a burst to catch up.
local interval = RATE > 0 and 1000 * CONNS / RATE or 0
local next_at = nil

function delay()
    local now = clock.wall_ms()
    if STOP > 0 and now >= STOP then
        return 3600000          -- until wrk stops
    end
    -- resend: this connection's share sent (the kept first request aside)
    if MODE == "resend" and tid + n * CONNS > #sources
       and not (first and pending == first.p) then
        return 3600000
    end
    if not next_at then
        next_at = math.max(GO, now) + r:float() * interval
    else
        next_at = math.max(next_at + interval, now)
    end
    return math.max(0, math.floor(next_at - now + 0.5))
end
