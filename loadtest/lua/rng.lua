-- A small deterministic generator (Park-Miller "minimal standard", exact in
-- doubles).  Every dossier draws from its own generator seeded by its
-- MaHoSo, so the retry-storm profile can rebuild a dossier byte for byte
-- from its code alone, with no state shared between wrk threads.
local M = {}
M.__index = M

local MOD, MUL = 2147483647, 48271

-- a string's hash, 1 .. 2^31 - 2
local function hash(s)
    local h = 5381
    for i = 1, #s do
        h = (h * 33 + s:byte(i)) % MOD
    end
    return h == 0 and 1 or h
end

M.hash = hash

function M.new(seed)
    local x = type(seed) == "string" and hash(seed) or (seed % MOD)
    local r = setmetatable({ x = x == 0 and 1 or x }, M)
    -- seeds of codes that differ in their last character are close, and
    -- so would be their first draws: a few steps spread them apart
    for _ = 1, 3 do
        r:float()
    end
    return r
end

-- a float in [0, 1)
function M:float()
    self.x = (self.x * MUL) % MOD
    return (self.x - 1) / (MOD - 1)
end

-- an integer in [lo, hi]
function M:int(lo, hi)
    return lo + math.floor(self:float() * (hi - lo + 1))
end

function M:pick(list)
    return list[self:int(1, #list)]
end

function M:chance(p)
    return self:float() < p
end

-- n decimal digits, leading zeros kept (up to 9 digits a draw)
function M:digits(n)
    local t = {}
    while n > 0 do
        local k = n > 9 and 9 or n
        t[#t + 1] = string.format("%0" .. k .. "d", self:int(0, 10 ^ k - 1))
        n = n - k
    end
    return table.concat(t)
end

-- n hexadecimal digits (up to 7 a draw: the state has 31 bits)
function M:hex(n)
    local t = {}
    while n > 0 do
        local k = n > 7 and 7 or n
        t[#t + 1] = string.format("%0" .. k .. "x", self:int(0, 16 ^ k - 1))
        n = n - k
    end
    return table.concat(t)
end

return M
