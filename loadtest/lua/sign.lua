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
-- left out of the list and the base).  SHA-256, HMAC and base64 are
-- OpenSSL's, through LuaJIT's FFI: a few microseconds a request.  Client
-- and secret: LT_CLIENT, LT_SECRET (default the development stack's
-- "loadtest" client, CONTRACT.md section 5, which has no per-client rate
-- limit).  LT_SIGN=0 sends unsigned requests.
local ffi = require "ffi"

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
]]

local M = {}

M.enabled = os.getenv("LT_SIGN") ~= "0"
local client = os.getenv("LT_CLIENT") or "loadtest"
local secret = os.getenv("LT_SECRET") or "loadtest-secret"

local crypto = nil
do
    local ok, lib = pcall(ffi.load, "crypto")
    if not ok then
        ok, lib = pcall(ffi.load, "libcrypto.so.3")
    end
    assert(ok, "sign.lua: cannot load OpenSSL's libcrypto: " .. tostring(lib))
    crypto = lib
end

local md = ffi.new("unsigned char[32]")
local mdlen = ffi.new("unsigned int[1]")
local b64buf = ffi.new("unsigned char[64]")
local sha256 = crypto.EVP_sha256()

-- base64 (with padding) of the n bytes at p
local function b64(p, n)
    return ffi.string(b64buf, crypto.EVP_EncodeBlock(b64buf, p, n))
end

-- The Content-Digest field value of a body.
function M.digest(body)
    crypto.SHA256(body, #body, md)
    return "sha-256=:" .. b64(md, 32) .. ":"
end

-- The signature's header lines ("Signature-Input: ...\r\nSignature:
-- ...\r\n"), for a request whose Content-Digest value is digest (nil: no
-- body).  path: the raw request target without query; nonce: unique per
-- request (the gateway accepts a nonce once within 300 s); query: the raw
-- query with its "?" (nil: none).
function M.lines(method, path, digest, nonce, query)
    if not M.enabled then
        return ""
    end
    local components = '"@method" "@path" "@query"'
    local lines = '"@method": ' .. method .. '\n"@path": ' .. path
                  .. '\n"@query": ' .. (query or "?") .. '\n'
    if digest then
        components = components .. ' "content-digest"'
        lines = lines .. '"content-digest": ' .. digest .. '\n'
    end
    local params = "(" .. components .. ");created=" .. os.time()
                   .. ';nonce="' .. nonce .. '";keyid="' .. client
                   .. '";alg="hmac-sha256"'
    local base = lines .. '"@signature-params": ' .. params
    crypto.HMAC(sha256, secret, #secret, base, #base, md, mdlen)
    return "Signature-Input: sig1=" .. params .. "\r\nSignature: sig1=:"
           .. b64(md, mdlen[0]) .. ":\r\n"
end

-- The same as a header table for wrk.format (requests without a body).
function M.headers(method, path, nonce, query)
    local headers = {}
    local text = M.lines(method, path, nil, nonce, query)
    for name, value in text:gmatch("([^:\r\n]+): ([^\r\n]*)\r\n") do
        headers[name] = value
    end
    return headers
end

return M
