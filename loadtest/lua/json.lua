-- Just enough JSON writing for the generator: strings are escaped, objects
-- keep their field order (the gateway stores what it is sent).
local M = {}

local esc = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n',
              ['\r'] = '\\r', ['\t'] = '\\t' }

local function escape(c)
    return esc[c] or string.format("\\u%04x", c:byte())
end

function M.q(s)
    s = tostring(s)
    -- the generator's strings rarely need escaping: skip gsub (which
    -- LuaJIT does not compile) when there is nothing to escape
    if not s:find('[%c"\\]') then
        return '"' .. s .. '"'
    end
    return '"' .. s:gsub('[%c"\\]', escape) .. '"'
end

-- obj{ "k1", v1, "k2", v2, ... }: values are raw JSON text already
function M.obj(kv)
    local t = {}
    for i = 1, #kv, 2 do
        t[#t + 1] = M.q(kv[i]) .. ":" .. kv[i + 1]
    end
    return "{" .. table.concat(t, ",") .. "}"
end

function M.arr(items)
    return "[" .. table.concat(items, ",") .. "]"
end

return M
