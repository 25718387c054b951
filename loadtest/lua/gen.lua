-- One dossier as JSON text.  Everything in it is drawn from a generator
-- seeded by its MaHoSo, so the same code always gives the same bytes (the
-- retry storm resends dossiers without storing their bodies).
local json = require "json"
local rng = require "rng"
local people = require "people"
local sectors = require "sectors"

local q, obj, arr = json.q, json.obj, json.arr

local M = {}

local VN = 7 * 3600          -- times on the wire are Asia/Ho_Chi_Minh

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

-- mhs: the code (and the seed); sector: a key of sectors.sectors;
-- invalid: nil or one of M.invalid_kinds; epoch: the run's start (Unix s),
-- the latest NgayTiepNhan, so that resent dossiers are byte-identical.
function M.dossier(mhs, sector, invalid, epoch)
    local r = rng.new(mhs)
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
        kv[#kv + 1] = "SoGiayToChuHoSo"; kv[#kv + 1] = q("03" .. r:digits(8))
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

return M
