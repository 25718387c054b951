-- Per sector: the procedure (the dev catalog of CONTRACT.md section 5), who
-- applies, the summary, the attachments' names and DuLieuChuyenNganh.
-- The sector data follows the rules of plugins/<sector>/plugin.c so the
-- dossiers stay valid when the plugins are switched on; when a plugin's
-- rules change, change its builder here (an unexpected 422 in the report's
-- "valid answered 422" column says so).
local json = require "json"
local people = require "people"

local q, obj, arr = json.q, json.obj, json.arr

local M = {}

local banks = { "VBSP", "VBA", "BIDV", "VCB", "ICB", "MB" }
local wards = { "Lạch Tray", "Cầu Đất", "Máy Tơ", "Đông Khê", "Lê Lợi",
                "Bến Nghé", "Tân Định", "Hòa Cường Bắc", "An Hải Bắc" }
local streets = { "Lạch Tray", "Lê Lợi", "Trần Phú", "Hai Bà Trưng",
                  "Nguyễn Trãi", "Điện Biên Phủ", "Lý Thường Kiệt" }

local function address(r)
    return "Số " .. r:int(1, 300) .. " đường " .. r:pick(streets)
           .. ", phường " .. r:pick(wards)
end

-- Each builder gets the generator, the applicant and the current year,
-- and returns the sector data as JSON text.
local build = {}

-- BTXH: monthly social allowance for people aged 80 or over; the applicant
-- is the beneficiary (plugin: NCT80 needs CoLuongHuu = false).
function build.BTXH(r, a, year)
    return obj {
        "MaDoiTuong", q "NCT80",
        "DoiTuong", obj { "HoTen", q(a.name), "SoDinhDanh", q(a.cccd),
                          "NgaySinh", q(a.birth) },
        "CoLuongHuu", "false",
        "ThuNhapBinhQuan", tostring(r:int(3, 14) * 100000),
        "SoNhanKhau", tostring(r:int(1, 6)),
        "HinhThucChiTra", "2",
        "TaiKhoan", obj { "SoTaiKhoan", q(r:digits(r:int(10, 14))),
                          "MaNganHang", q(r:pick(banks)) },
    }
end

-- HT: birth registration by the mother, within the 60-day window.
function build.HT(r, a, year, epoch)
    local born = epoch - r:int(2, 40) * 86400
    local father = people.person(r, a.year - 5, a.year + 2, 1)
    local cg = r:int(1, 2)
    local child = people.name(r, cg, father.fam)
    return obj {
        "Tre", obj { "HoTen", q(child), "GioiTinh", tostring(cg),
                     "NgaySinh", q(os.date("!%Y%m%d", born + 7 * 3600)),
                     "NoiSinh", q("Bệnh viện Phụ sản " .. r:pick(wards)) },
        "Me", obj { "HoTen", q(a.name), "SoDinhDanh", q(a.cccd) },
        "Cha", obj { "HoTen", q(father.name),
                     "SoDinhDanh", q(father.cccd) },
    }
end

-- DD: a land change of one parcel whose purposes add up to its area.
function build.DD(r)
    local res = r:int(500, 3000) / 10
    local gar = r:int(0, 2000) / 10
    local parts = { obj { "Ma", q "ODT", "DienTich", string.format("%.1f", res) } }
    if gar > 0 then
        parts[2] = obj { "Ma", q "CLN", "DienTich", string.format("%.1f", gar) }
    end
    return obj {
        "ThuaDat", obj { "SoToBanDo", tostring(r:int(1, 120)),
                         "SoThua", tostring(r:int(1, 2500)),
                         "DienTich", string.format("%.1f", res + gar),
                         "MucDichSuDung", arr(parts) },
        "LoaiBienDong", q(r:pick { "CHUYEN_NHUONG", "TANG_CHO", "THUA_KE" }),
    }
end

-- XD: a detached house, 1-5 floors of 3.3 m.
function build.XD(r)
    local plot = r:int(40, 200)
    local floors = r:int(1, 5)
    local foot = math.floor(plot * 0.8)
    return obj {
        "DiaChiCongTrinh", obj { "MaTinh", q "31", "MaXa", q(r:pick {
                                     "11311", "11317", "11320", "11329" }),
                                 "DiaChiChiTiet", q(address(r)) },
        "DienTichLoDat", tostring(plot),
        "DienTichXayDung", tostring(foot),
        "SoTang", tostring(floors),
        "ChieuCao", string.format("%.1f", floors * 3.3 + 0.5),
        "TongDienTichSan", tostring(foot * floors),
    }
end

-- HKD: a household business (name "Hộ kinh doanh <proper name>").
function build.HKD(r, a)
    return obj {
        "TenHoKinhDoanh", q("Hộ kinh doanh " .. a.name),
        "VonKinhDoanh", tostring(r:int(5, 500) * 1000000),
        "SoLaoDong", tostring(r:int(1, 9)),
        "NganhNghe", arr { q(r:pick { "5610", "4711", "4722", "9602" }) },
        "DiaDiemKinhDoanh", q(address(r)),
    }
end

-- CT has no plugin in the dev stack.
function build.CT()
    return "{}"
end

M.sectors = {
    HT = { tthc = "1.001193", ten = "Đăng ký khai sinh",
           summary = "Đăng ký khai sinh cho con",
           files = { "Giấy chứng sinh.pdf", "Tờ khai đăng ký khai sinh.pdf" },
           -- the mother applies
           applicant = function(r, y) return people.person(r, y - 40, y - 18, 2) end },
    BTXH = { tthc = "1.001776", ten = "Trợ cấp xã hội hằng tháng",
             summary = "Đề nghị hưởng trợ cấp xã hội hằng tháng",
             files = { "Tờ khai đề nghị trợ cấp.pdf", "Đơn đề nghị.pdf" },
             applicant = function(r, y) return people.person(r, y - 99, y - 81) end },
    DD = { tthc = "1.004227", ten = "Đăng ký biến động đất đai",
           summary = "Đăng ký biến động quyền sử dụng đất",
           files = { "Đơn đăng ký biến động.pdf", "Giấy chứng nhận QSDĐ.pdf",
                     "Hợp đồng chuyển nhượng.pdf" } },
    XD = { tthc = "1.009994", ten = "Cấp giấy phép xây dựng nhà ở riêng lẻ",
           summary = "Xin cấp giấy phép xây dựng nhà ở riêng lẻ",
           files = { "Đơn đề nghị cấp giấy phép xây dựng.pdf",
                     "Bản vẽ thiết kế.pdf" } },
    HKD = { tthc = "2.000720", ten = "Đăng ký thành lập hộ kinh doanh",
            summary = "Đăng ký thành lập hộ kinh doanh",
            files = { "Giấy đề nghị đăng ký hộ kinh doanh.pdf" } },
    CT = { tthc = "2.000815", ten = "Chứng thực bản sao từ bản chính",
           summary = "Chứng thực bản sao giấy tờ",
           files = { "Bản chính cần chứng thực.pdf" },
           -- sometimes a company asks
           organisation = 0.1 },
}

for code, s in pairs(M.sectors) do
    s.code = code
    s.data = build[code]
    s.applicant = s.applicant
        or function(r, y) return people.person(r, y - 75, y - 18) end
end

return M
