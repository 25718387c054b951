-- One dossier as JSON text, from its MaHoSo alone: the same code always
-- gives the same bytes (the retry storm resends dossiers without storing
-- their bodies).
--
-- Cheap per request: a dossier is a template, spliced.  The MaHoSo
-- LT<run>-<phase>-<thread>-<n> has its template seed with n folded onto
-- M.POOL (LT<run>-<phase>-<thread>-<(n - 1) % POOL + 1>): everything but
-- the MaHoSo (in the code, the attachments' ids and links) and the last
-- six digits of the applicant's ID (people.SERIAL, from a hash of the
-- MaHoSo: every dossier has its own citizen) is drawn from a generator
-- seeded by the template seed.  A thread builds its POOL templates before
-- the measured window (M.template), then each request costs one splice
-- (M.fill).
local json = require "json"
local rng = require "rng"
local people = require "people"
local sectors = require "sectors"

local q, obj, arr = json.q, json.obj, json.arr

local M = {}

M.POOL = 256                 -- templates per thread and phase

local VN = 7 * 3600          -- times on the wire are Asia/Ho_Chi_Minh
local MHS = "~M~"            -- where the MaHoSo goes

local function vn_time(t)
    return os.date("!%Y%m%d%H%M%S", t + VN)
end

-- The ways an invalid dossier is wrong; each is a 422 with a stable code
-- (CONTRACT.md section 3).
M.invalid_kinds = { "cccd.province", "cccd.gender", "sector.mismatch",
                    "date.order", "procedure.unknown", "required" }

local function attachments(r, mhs, s)
    local items = {}
    for i, name in ipairs(s.files) do
        if i == 1 or r:chance(0.6) then
            local kv = {
                "TepDinhKemId", q(mhs .. "-" .. i),
                "TenTepDinhKem", q(name),
                "DuongDanTaiTepTin", q("https://files.dichvucong.example.vn/"
                                       .. mhs .. "/" .. i .. ".pdf"),
                "DuocSoHoa", r:chance(0.5) and "true" or "false",
            }
            if r:chance(0.7) then
                kv[#kv + 1] = "SHA256"
                kv[#kv + 1] = q(r:hex(64))
            end
            items[#items + 1] = obj(kv)
        end
    end
    return arr(items)
end

-- The dossier of template seed `seed` with its marks: mhs is MHS.
local function dossier(seed, sector, invalid, epoch)
    local mhs = MHS
    local r = rng.new(seed)
    local s = sectors.sectors[sector]
    local year = tonumber(os.date("!%Y", epoch + VN))
    local a = s.applicant(r, year)
    -- an organisation has no personal ID to get wrong
    local org = s.organisation and r:chance(s.organisation)
                and not (invalid and invalid:match("^cccd"))

    local received = epoch - r:int(0, 8 * 3600)
    local due = received + r:int(3, 30) * 86400

    local tthc, linh_vuc, id, gender = s.tthc, s.code, a.cccd, a.gender
    if invalid == "cccd.province" then
        id = "099" .. id:sub(4)
    elseif invalid == "cccd.gender" then
        gender = 3 - gender
    elseif invalid == "sector.mismatch" then
        linh_vuc = sector == "CT" and "HT" or "CT"
    elseif invalid == "date.order" then
        due = received - 86400
    elseif invalid == "procedure.unknown" then
        tthc = "9.999999"
    end

    local kv = {
        "MaHoSo", q(mhs),
        "MaTTHC", q(tthc),
        "TenTTHC", q(s.ten),
        "MaLinhVuc", q(linh_vuc),
        "KenhThucHien", tostring(r:pick { 1, 2, 2, 2, 2, 2, 2, 3 }),
    }
    if invalid ~= "required" then
        kv[#kv + 1] = "ChuHoSo"
        kv[#kv + 1] = q(org and ("Công ty TNHH " .. a.fam[1] .. " "
                                 .. a.giv[1]) or a.name)
    end
    if org then
        -- organisations: enterprise code, no birth date nor gender
        kv[#kv + 1] = "LoaiDoiTuong"; kv[#kv + 1] = "2"
        kv[#kv + 1] = "SoGiayToChuHoSo"
        kv[#kv + 1] = q("03" .. r:digits(2) .. people.SERIAL)
    else
        kv[#kv + 1] = "LoaiDoiTuong"; kv[#kv + 1] = "1"
        kv[#kv + 1] = "SoGiayToChuHoSo"; kv[#kv + 1] = q(id)
        kv[#kv + 1] = "NgaySinhChuHoSo"; kv[#kv + 1] = q(a.birth)
        kv[#kv + 1] = "GioiTinhChuHoSo"; kv[#kv + 1] = tostring(gender)
    end
    local rest = {
        "SoDienThoai", q(people.phone(r)),
        "Email", q(people.email(r, a.fam, a.giv, a.year)),
        "TrichYeuHoSo", q(s.summary .. " - " .. a.name),
        "NgayTiepNhan", q(vn_time(received)),
        "NgayHenTra", q(vn_time(due)),
        "TrangThaiHoSo", tostring(r:pick { 1, 1, 1, 2 }),
        "TaiLieuNop", attachments(r, mhs, s),
        "DuLieuChuyenNganh", s.data(r, a, year, received),
    }
    for i = 1, #rest do
        kv[#kv + 1] = rest[i]
    end
    return obj(kv)
end

-- The template seed of a MaHoSo.
function M.seed(mhs)
    return (mhs:gsub("%-(%d+)$", function(n)
        return "-" .. (tonumber(n) - 1) % M.POOL + 1
    end))
end

-- A template: the dossier's text cut at its marks, {text, "M" or "S",
-- text, ...}.
function M.template(seed, sector, invalid, epoch)
    local text = dossier(seed, sector, invalid, epoch)
    local parts, pos = {}, 1
    while true do
        local a, b, mark = text:find("~([MS])~", pos)
        parts[#parts + 1] = text:sub(pos, (a or 0) - 1)
        if not a then
            return parts
        end
        parts[#parts + 1] = mark
        pos = b + 1
    end
end

-- The dossier of code mhs from its template.
local filled = {}
function M.fill(parts, mhs)
    local serial = string.format("%06d", rng.hash(mhs) % 1000000)
    for i = 1, #parts, 2 do
        filled[i] = parts[i]
        local mark = parts[i + 1]
        filled[i + 1] = mark == "M" and mhs or mark == "S" and serial or nil
    end
    return table.concat(filled, "", 1, #parts)
end

-- mhs: the code; sector: a key of sectors.sectors; invalid: nil or one of
-- M.invalid_kinds; epoch: the run's start (Unix s), the latest
-- NgayTiepNhan, so that resent dossiers are byte-identical.  Templates
-- are kept: a retry storm resends the same few thousand dossiers.
local templates = {}
function M.dossier(mhs, sector, invalid, epoch)
    local seed = M.seed(mhs)
    local key = seed .. "\0" .. sector .. "\0" .. (invalid or "")
    local t = templates[key]
    if not t then
        t = M.template(seed, sector, invalid, epoch)
        templates[key] = t
    end
    return M.fill(t, mhs)
end

return M
