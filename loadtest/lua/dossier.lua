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
--   LT_THREADS  wrk threads (-t); LT_ECHO 1: the server echoes the
--               X-Loadtest-Id of each request (see below), else there must
--               be one connection per thread
--   LT_MODE     submit | retry | lookup | resend | batch
--   LT_BATCH    batch mode: dossiers per request (POST /v1/dossiers/batch)
--   LT_SOURCE   retry/lookup: a file of accepted dossiers to resend/look up;
--               resend: dossiers to send again once each (those refused or
--               unanswered during a failover), thread t taking t, t + T,
--               t + 2T... and then idling
--   LT_LOOKUP   lookup mode: share of GET lookups (the rest are submissions)
--   LT_SIGN     0: unsigned requests (default: signed, see sign.lua)
--   LT_NODES    "HOST:PORT,HOST:PORT,...": gateway nodes; thread t's
--               connections go to node (t - 1) % n instead of the URL's
--               (numeric hosts)
--   LT_GO_MS, LT_STOP_MS  the measured window (wall clock, ms): every
--               connection sends its first request at LT_GO_MS and none
--               after LT_STOP_MS
--
-- The common start: wrk creates its threads (and their Lua states) one
-- after the other and each starts sending at once; on 2 busy cores the
-- last one may start long after the first, and wrk counts those seconds'
-- answers in a window that does not contain them.  So every connection
-- waits in delay() until LT_GO_MS, which the runner sets after the time
-- wrk needs to create them all, and goes idle at LT_STOP_MS.
--
-- Which answer is whose: wrk's response() does not say which connection
-- (hence which request) an answer belongs to.  Each request carries
-- X-Loadtest-Id (this thread's counter), which the gateway's development
-- configuration and the bare nginx echo (conf/nginx.conf.in); the answer
-- is tied to its MaHoSo whatever its status, which the no-loss audit
-- needs, and the time between request() and response(), read from
-- clock_gettime through LuaJIT's FFI, is its latency.  A server that does
-- not echo is run with one connection per thread: request() and
-- response() of a thread then alternate strictly.
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
-- Cheap per request, so that the generator is not the ceiling: each
-- thread builds its dossier templates (gen.lua) in init(), before the
-- measured window; a request is then one splice, a SHA-256, an HMAC and
-- their base64 through OpenSSL (sign.lua), and the request text is built
-- here in one concatenation.  Few threads (2 by default, one a core) with
-- many connections each: a wrk thread woken for one answer at a time
-- costs more than the Lua.  (BENCHMARKS.md has the cost before and
-- after.)
--
-- No JIT: it gains nothing here (what is left per request is mostly C:
-- OpenSSL, string concatenation) and each Lua state compiles its traces
-- again.
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
local THREADS = tonumber(env("LT_THREADS") or "1")
local BATCH = tonumber(env("LT_BATCH") or "100")
local ECHO = env("LT_ECHO") == "1"
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

-- One line of t<thread>.log.
local function record(p, status, id, end_ms, lat)
    return string.format("%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d", end_ms,
                         p.sector, p.kind, status, lat, p.mhs, id or "-",
                         p.expect or "-", p.start_ms)
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
        -- the requests in flight when wrk stopped
        for _, line in pairs(t:get("unanswered") or {}) do
            lost[#lost + 1] = line
        end
    end
    write(OUT .. "/counts.tsv", table.concat(counts, "\n") .. "\n")
    write(OUT .. "/unanswered.log", #lost > 0 and table.concat(lost, "\n") .. "\n" or "")
end

---------------------------------------------------------------- thread state

counts = {}          -- status -> answers (read by done())
-- id -> the record of a request in flight (read by done(): wrk passes
-- tables of strings between Lua states, not tables of tables)
unanswered = {}

local tid, log, blog, r, n, items = 0, nil, nil, nil, 0, 0
local inflight = {}  -- id -> the request in flight
local delays = 0     -- calls of delay(): none before wrk's own check
local sources = {}   -- retry: {mhs, sector, id}; lookup: accepted MaHoSo
local slots = {}     -- submit: this thread's templates, gen.POOL of them
local host = nil     -- the Host header

local function pick_sector(r)
    local x = r:float()
    for _, m in ipairs(MIX) do
        if x < m.upto then
            return m.code
        end
    end
    return MIX[#MIX].code
end

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
    r = rng.new(RUN .. PHASE .. tid .. ":" .. EPOCH)
    log = assert(io.open(OUT .. "/t" .. tid .. ".log", "w"))
    -- flushed by the C library when wrk exits
    log:setvbuf("full", 65536)
    if (env("LT_SOURCE") or "") ~= "" then
        sources = load_source(env("LT_SOURCE"))
        assert(#sources > 0, "no accepted dossiers in " .. env("LT_SOURCE"))
    end
    host = wrk.headers["Host"] or wrk.host
    -- the templates of new dossiers, before the common start (a dossier
    -- is rebuilt from its code, its sector and, valid, gen.seed's template)
    if MODE == "batch" then
        blog = assert(io.open(OUT .. "/b" .. tid .. ".log", "w"))
        blog:setvbuf("full", 65536)
    end
    if MODE == "submit" or MODE == "lookup" or MODE == "batch" then
        for k = 1, gen.POOL do
            local seed = "LT" .. RUN .. "-" .. PHASE .. "-" .. tid .. "-" .. k
            local sector = pick_sector(r)
            local bad = INVALID > 0 and r:chance(INVALID)
                        and r:pick(gen.invalid_kinds) or nil
            slots[k] = { sector = sector, kind = bad and "i" or "v",
                         template = gen.template(seed, sector, bad, EPOCH) }
        end
    end
    if GO > 0 and clock.wall_ms() > GO then
        io.stderr:write("loadtest: late thread ", tid, ": ready after the common start\n")
    end
end

-- resend: this thread's k-th source
local function resend_source(k)
    return sources[tid + (k - 1) * THREADS]
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

-- A request's records while no answer came: every dossier it carries.
local function unanswered_records(p, end_ms)
    return p.items and batch_records(p, 0, {}, {}, end_ms, 0)
           or record(p, 0, nil, end_ms, 0)
end

-- One dossier of a batch, from this thread's templates (its own code and
-- so its own citizen, as a single submission's).
local function batch_dossier()
    items = items + 1
    local slot = slots[(items - 1) % gen.POOL + 1]
    local it = { mhs = "LT" .. RUN .. "-" .. PHASE .. "-" .. tid .. "-" .. items,
                 sector = slot.sector, kind = slot.kind }
    return it, gen.fill(slot.template, it.mhs)
end

-- The next request of this connection: what it is and its bytes.
local function next_request()
    n = n + 1
    local p = {}
    if MODE == "resend" then
        -- (past this thread's share only after a reconnection resent one)
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
        local slot = slots[(n - 1) % gen.POOL + 1]
        p.mhs = "LT" .. RUN .. "-" .. PHASE .. "-" .. tid .. "-" .. n
        p.sector, p.kind = slot.sector, slot.kind
        p.body = gen.fill(slot.template, p.mhs)
    end
    p.method = p.method or "POST"
    p.path = p.path or "/v1/dossiers"
    return p
end

local function start(p, req)
    inflight[p.id] = p
    p.start_ms = clock.wall_ms()
    unanswered[p.id] = unanswered_records(p, p.start_ms)
    p.t0 = clock.mono_us()
    return req
end

-- The request in flight an answer is for: by its echoed id, or the one
-- there is (one connection per thread).
local function answered(hdrs)
    local id = ECHO and tonumber(hdrs["X-Loadtest-Id"]) or next(inflight)
    local p = id and inflight[id]
    if p then
        inflight[id], unanswered[id] = nil, nil
    end
    return p
end

function request()
    if delays == 0 then
        -- wrk's check of the script (script_verify_request), before any
        -- connection: a well-formed request that is never sent
        return "GET / HTTP/1.1\r\nHost: " .. host .. "\r\n\r\n"
    end
    local lost = not ECHO and next(inflight)
    if lost then
        -- no answer came (wrk reconnected after an error): keep the fact
        log:write(unanswered_records(inflight[lost], clock.wall_ms()), "\n")
        inflight[lost], unanswered[lost] = nil, nil
    end
    local p = next_request()
    p.id = n
    -- a nonce the gateway has never seen: run, phase, thread, counter
    local nonce = RUN .. "." .. PHASE .. "." .. tid .. "." .. n
    local req
    if p.body then
        local digest = sign.enabled and sign.digest(p.body)
        req = p.method .. " " .. p.path .. " HTTP/1.1\r\nHost: " .. host
              .. "\r\nX-Loadtest-Id: " .. n
              .. "\r\nContent-Type: application/json; charset=utf-8"
              .. "\r\nContent-Length: " .. #p.body .. "\r\n"
              .. (digest and "Content-Digest: " .. digest .. "\r\n" or "")
              .. sign.lines(p.method, p.path, digest, nonce) .. "\r\n"
              .. p.body
    else
        req = p.method .. " " .. p.path .. " HTTP/1.1\r\nHost: " .. host
              .. "\r\nX-Loadtest-Id: " .. n .. "\r\n"
              .. sign.lines(p.method, p.path, nil, nonce) .. "\r\n"
    end
    p.body = nil
    return start(p, req)
end

function response(status, hdrs, body)
    local t1 = clock.mono_us()
    local p = answered(hdrs)
    if not p then
        return
    end
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
-- the thread when a rate is asked for, idles it after the window.
-- Pacing: each thread keeps a schedule of one request every THREADS/RATE
-- s, starting at a random point of the first interval, and each of its
-- connections takes the next free time; a late answer delays that
-- connection's next request, it never causes a burst to catch up.
local interval = RATE > 0 and 1000 * THREADS / RATE or 0
local next_at = nil
local claimed = 0    -- requests this delay() let go

function delay()
    delays = delays + 1
    local now = clock.wall_ms()
    if STOP > 0 and now >= STOP then
        return 3600000          -- until wrk stops
    end
    -- resend: idle once this thread's share is sent
    if MODE == "resend" and not resend_source(claimed + 1) then
        return 3600000
    end
    claimed = claimed + 1
    if not next_at then
        next_at = math.max(GO, now) + r:float() * interval
    else
        next_at = math.max(next_at + interval, now)
    end
    return math.max(0, math.floor(next_at - now + 0.5))
end
