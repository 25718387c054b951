-- wrk script: the same signed GET again and again, each with a nonce of
-- its own (the gateway accepts a nonce once).  LT_PATH: the request
-- target with its query ("/v1/stats?from=20261201&to=20261201").
--
-- done() prints requests=, errors= (answers other than 200) and the
-- latency percentiles p50_ms=, p90_ms=, p99_ms=, max_ms=.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path

local sign = require "sign"

local target = os.getenv("LT_PATH") or error("LT_PATH is not set")
local path, query = target:match("^([^?]*)(%??.*)$")
local sent = 0
local id = 0

errors = 0

local threads = {}

function setup(thread)
    thread:set("id", #threads)
    threads[#threads + 1] = thread
end

function init(args)
    id = wrk.thread:get("id") or 0
end

function request()
    sent = sent + 1
    local headers = sign.headers("GET", path,
                                 "get-" .. id .. "-" .. os.time() .. "-"
                                 .. sent, query ~= "" and query or nil)

    return wrk.format("GET", target, headers)
end

function response(status, headers, body)
    if status ~= 200 then
        errors = errors + 1
    end
end

function done(summary, latency, requests)
    local bad = 0

    for _, t in ipairs(threads) do
        bad = bad + t:get("errors")
    end

    io.write(string.format("requests=%d\nerrors=%d\np50_ms=%.2f\n"
                           .. "p90_ms=%.2f\np99_ms=%.2f\nmax_ms=%.2f\n",
                           summary.requests, bad,
                           latency:percentile(50) / 1000,
                           latency:percentile(90) / 1000,
                           latency:percentile(99) / 1000,
                           latency.max / 1000))
end
