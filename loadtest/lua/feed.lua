-- wrk script: one consumer following a sector's change feed (GET /v1/feed,
-- CONTRACT.md section 6) from its start, a page at a time, until a page
-- comes back empty; counts the changes read.  Run with one thread and one
-- connection (-t1 -c1): each request waits for the answer before it.
--
--   LT_FEED_SECTOR  the sector (HT); LT_FEED_LIMIT  items a page (1000)
--
-- At the end it prints changes=, pages=, errors=, seconds= (first request
-- to last answer) and rate= (changes/s), and exits: wrk itself would run
-- on to its -d.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = dir .. "?.lua;" .. package.path

local clock = require "clock"
local sign = require "sign"

local sector = os.getenv("LT_FEED_SECTOR") or "HT"
local limit = os.getenv("LT_FEED_LIMIT") or "1000"
local after = nil
local sent = 0

local changes, pages, errors, first_us, last_us = 0, 0, 0, nil, nil

local function finish()
    local seconds = (last_us - first_us) / 1e6

    io.write(string.format("changes=%d\npages=%d\nerrors=%d\nseconds=%.3f\n"
                           .. "rate=%.0f\n", changes, pages, errors, seconds,
                           changes / seconds))
    io.flush()
    os.exit(errors > 0 and 1 or 0)
end

function request()
    local query = "?sector=" .. sector .. "&limit=" .. limit
                  .. (after and ("&after=" .. after) or "")
    sent = sent + 1
    local headers = sign.headers("GET", "/v1/feed",
                                 "feed-" .. os.time() .. "-" .. sent, query)
    first_us = first_us or clock.mono_us()

    return wrk.format("GET", "/v1/feed" .. query, headers)
end

function response(status, headers, body)
    last_us = clock.mono_us()

    if status ~= 200 then
        errors = errors + 1
        if errors > 10 then
            finish()
        end
        return
    end

    local _, n = body:gsub('"cursor":', "")
    changes = changes + n
    pages = pages + 1
    after = body:match('"next":"([%w_-]+)"') or after

    if n == 0 then
        finish()
    end
end
