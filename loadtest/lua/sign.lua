-- Request signing (CONTRACT.md section 4): HTTP Message Signatures
-- (RFC 9421) with hmac-sha256, and Content-Digest (RFC 9530) of the body.
-- The same bytes as auto/sign-request.sh, the contract's worked example:
--
--   "@method": POST
--   "@path": /v1/dossiers
--   "@query": ?
--   "content-digest": sha-256=:<base64 SHA-256 of the body>:
--   "@signature-params": ("@method" "@path" "@query" "content-digest");created=<unix s>;nonce="<nonce>";keyid="<client>";alg="hmac-sha256"
--
-- (lines end with LF, the last has none; without a body content-digest is
-- left out of the list and the base).  SHA-256 and HMAC come from OpenSSL
-- through LuaJIT's FFI.  Client and secret: LT_CLIENT, LT_SECRET (default
-- the development stack's "loadtest" client, CONTRACT.md section 5, which
-- has no per-client rate limit).  LT_SIGN=0 sends unsigned requests.
local ffi = require "ffi"

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]]

local M = {}

M.enabled = os.getenv("LT_SIGN") ~= "0"
local client = os.getenv("LT_CLIENT") or "loadtest"
local secret = os.getenv("LT_SECRET") or "loadtest-secret"

local crypto = nil
if M.enabled then
    local ok, lib = pcall(ffi.load, "crypto")
    if not ok then
        ok, lib = pcall(ffi.load, "libcrypto.so.3")
    end
    assert(ok, "sign.lua: cannot load OpenSSL's libcrypto: " .. tostring(lib))
    crypto = lib
end

local md = ffi.new("unsigned char[32]")
local mdlen = ffi.new("unsigned int[1]")

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local b64chars = {}
for i = 1, 64 do
    b64chars[i - 1] = B64:sub(i, i)
end

-- base64 (with padding) of n bytes at p
local function b64(p, n)
    local out, k = {}, 0
    for i = 0, n - 1, 3 do
        local a, b, c = p[i], i + 1 < n and p[i + 1] or 0, i + 2 < n and p[i + 2] or 0
        local v = a * 65536 + b * 256 + c
        out[k + 1] = b64chars[math.floor(v / 262144) % 64]
        out[k + 2] = b64chars[math.floor(v / 4096) % 64]
        out[k + 3] = i + 1 < n and b64chars[math.floor(v / 64) % 64] or "="
        out[k + 4] = i + 2 < n and b64chars[v % 64] or "="
        k = k + 4
    end
    return table.concat(out)
end

-- Adds Content-Digest, Signature-Input and Signature to `headers`.
-- path: the raw request target without query; nonce: unique per request
-- (the gateway accepts a nonce once within 300 s); query: the raw query
-- with its "?" (nil: none).
function M.sign(method, path, headers, body, nonce, query)
    if not M.enabled then
        return
    end
    local components = '"@method" "@path" "@query"'
    local lines = '"@method": ' .. method .. '\n"@path": ' .. path
                  .. '\n"@query": ' .. (query or "?") .. '\n'
    if body then
        crypto.SHA256(body, #body, md)
        local digest = "sha-256=:" .. b64(md, 32) .. ":"
        headers["Content-Digest"] = digest
        components = components .. ' "content-digest"'
        lines = lines .. '"content-digest": ' .. digest .. '\n'
    end
    local params = "(" .. components .. ");created=" .. os.time()
                   .. ';nonce="' .. nonce .. '";keyid="' .. client
                   .. '";alg="hmac-sha256"'
    local base = lines .. '"@signature-params": ' .. params
    crypto.HMAC(crypto.EVP_sha256(), secret, #secret, base, #base, md, mdlen)
    headers["Signature-Input"] = "sig1=" .. params
    headers["Signature"] = "sig1=:" .. b64(md, mdlen[0]) .. ":"
end

return M
