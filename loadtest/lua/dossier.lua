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
--   LT_MODE     submit | retry | lookup | resend | batch
--   LT_BATCH    batch mode: dossiers per request (POST /v1/dossiers/batch)
--   LT_SOURCE   retry/lookup: a file of accepted dossiers to resend/look up;
--               resend: dossiers to send again once each (those refused or
--               unanswered during a failover), connection t taking t,
--               t + C, t + 2C... and then idling
--   LT_LOOKUP   lookup mode: share of GET lookups (the rest are submissions)
--   LT_SIGN     0: unsigned requests (default: signed, see sign.lua)
--   LT_NODES    "HOST:PORT,HOST:PORT,...": gateway nodes; connection t goes
--               to node (t - 1) % n instead of the URL's (numeric hosts)
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
--     kind: v valid, i invalid, r resent, l lookup; status 0: never answered
--     (batch mode: one record per dossier, its own status and id from the
--     answer's results, the batch's latency; a batch refused whole gives
--     each of its dossiers the batch's status)
--   b<thread>.log  batch mode, one line per batch:
--     end_ms status latency_us dossiers accepted start_ms
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
local BATCH = tonumber(env("LT_BATCH") or "100")
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

local NODES = {}
for host, port in (env("LT_NODES") or ""):gmatch("([^,]+):(%d+)") do
    NODES[#NODES + 1] = wrk.lookup(host, port)[1]
end

function setup(thread)
    threads[#threads + 1] = thread
    thread:set("tid", #threads)
    if #NODES > 0 then
        thread.addr = NODES[(#threads - 1) % #NODES + 1]
    end
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

local tid, log, blog, r, n, items = 0, nil, nil, nil, 0, 0
local pending = nil
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
    if MODE == "batch" then
        blog = assert(io.open(OUT .. "/b" .. tid .. ".log", "w"))
        blog:setvbuf("full", 65536)
    end
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

-- resend: this connection's k-th source
local function resend_source(k)
    return sources[tid + (k - 1) * CONNS]
end

-- A batch's records, one per dossier: status[k] and id[k] from the
-- answer (a dossier without a result gets the batch's status).
local function batch_records(p, status, st, ids, end_ms, lat)
    local lines = {}
    for k, it in ipairs(p.items) do
        it.start_ms = p.start_ms
        lines[k] = record(it, st[k] or status, ids[k], end_ms, lat)
    end
    return table.concat(lines, "\n")
end

-- Batch mode: a few dossiers per sector made by the generator, then each
-- dossier of a batch is one of them under a code and an applicant ID of
-- its own (the last 6 digits; the per-citizen limit must not bite): the
-- full generator costs too much CPU to feed batches of 100 from the same
-- 2 cores.  Template codes hold no pattern characters.
local templates = {}

local function template(sector)
    local list = templates[sector]
    if not list then
        list = {}
        for i = 1, 8 do
            local mhs = "LTTPL" .. tid .. "X" .. sector .. i .. "Z"
            local body = gen.dossier(mhs, sector, nil, EPOCH)
            list[i] = { mhs = mhs, body = body,
                        id = body:match('"SoGiayToChuHoSo":"(%d+)"') }
        end
        templates[sector] = list
    end
    return list[r:int(1, #list)]
end

local function batch_dossier()
    items = items + 1
    local it = { mhs = "LT" .. RUN .. "-" .. PHASE .. "-" .. tid .. "-" .. items,
                 sector = pick_sector() }
    local bad = INVALID > 0 and r:chance(INVALID)
                and r:pick(gen.invalid_kinds) or nil
    it.kind = bad and "i" or "v"
    if bad then
        return it, gen.dossier(it.mhs, it.sector, bad, EPOCH)
    end
    local t = template(it.sector)
    local body = t.body:gsub(t.mhs, it.mhs)
    if t.id then
        body = body:gsub(t.id, t.id:sub(1, #t.id - 6)
                         .. string.format("%06d", (items * 64 + tid) % 1000000))
    end
    return it, body
end

-- The next request of this connection: what it is and its bytes.
local function next_request()
    n = n + 1
    local p = {}
    if MODE == "resend" then
        -- sources[1]: only for wrk's check of the script, never sent
        local s = resend_source(n) or sources[1]
        p.mhs, p.sector, p.kind, p.expect = s.mhs, s.sector, "r", s.id
        p.body = gen.dossier(s.mhs, s.sector, nil, EPOCH)
    elseif MODE == "retry" then
        local s = sources[r:int(1, #sources)]
        p.mhs, p.sector, p.kind, p.expect = s.mhs, s.sector, "r", s.id
        p.body = gen.dossier(s.mhs, s.sector, nil, EPOCH)
    elseif MODE == "batch" then
        local parts = {}
        p.items = {}
        for k = 1, BATCH do
            p.items[k], parts[k] = batch_dossier()
        end
        p.mhs, p.sector, p.kind = p.items[1].mhs, p.items[1].sector, "b"
        p.path = "/v1/dossiers/batch"
        p.body = '{"data":[' .. table.concat(parts, ",") .. ']}'
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
    pending_line = p.items and batch_records(p, 0, {}, {}, p.start_ms, 0)
                   or record(p, 0, nil, p.start_ms, 0)
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
        local now = clock.wall_ms()
        log:write(pending.items and batch_records(pending, 0, {}, {}, now, 0)
                  or record(pending, 0, nil, now, 0), "\n")
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
    pending, pending_line = nil, nil
    if p.items then
        -- {"results":[{"index":0,"status":201,"id":17,...},...]}
        local st, ids, ok = {}, {}, 0
        if status == 200 then
            for i, s, at in body:gmatch('"index":(%d+),"status":(%d+)()') do
                local k = tonumber(i) + 1
                st[k] = tonumber(s)
                ids[k] = body:match('^,"id":(%d+)', at)
            end
        end
        for k = 1, #p.items do
            local s = st[k] or status
            counts[s] = (counts[s] or 0) + 1
            ok = ok + ((s == 200 or s == 201) and 1 or 0)
        end
        local now = clock.wall_ms()
        log:write(batch_records(p, status, st, ids, now, t1 - p.t0), "\n")
        blog:write(string.format("%d\t%d\t%d\t%d\t%d\t%d\n", now, status,
                                 t1 - p.t0, #p.items, ok, p.start_ms))
        return
    end
    local id = nil
    if status == 200 or status == 201 then
        id = body:match('"id":%s*(%d+)')
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
    -- resend: idle once this connection's share is sent (the next one is
    -- the kept first request, or a new one)
    if MODE == "resend" and not resend_source(
            (first and pending == first.p) and n or n + 1) then
        return 3600000
    end
    if not next_at then
        next_at = math.max(GO, now) + r:float() * interval
    else
        next_at = math.max(next_at + interval, now)
    end
    return math.max(0, math.floor(next_at - now + 0.5))
end
