-- Vietnamese applicants: names with diacritics, personal IDs (CCCD) that
-- agree with birth date and gender (CONTRACT.md section 2), phones, emails.
local M = {}

-- The 63 province codes of Circular 07/2016/TT-BCA, Appendix I.
M.provinces = {
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015",
    "017", "019", "020", "022", "024", "025", "026", "027", "030", "031",
    "033", "034", "035", "036", "037", "038", "040", "042", "044", "045",
    "046", "048", "049", "051", "052", "054", "056", "058", "060", "062",
    "064", "066", "067", "068", "070", "072", "074", "075", "077", "079",
    "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
    "094", "095", "096",
}

-- {name, ASCII fold for e-mail addresses}
local family = {
    { "Nguyễn", "nguyen" }, { "Trần", "tran" }, { "Lê", "le" },
    { "Phạm", "pham" }, { "Hoàng", "hoang" }, { "Huỳnh", "huynh" },
    { "Phan", "phan" }, { "Vũ", "vu" }, { "Võ", "vo" }, { "Đặng", "dang" },
    { "Bùi", "bui" }, { "Đỗ", "do" }, { "Hồ", "ho" }, { "Ngô", "ngo" },
    { "Dương", "duong" }, { "Lý", "ly" },
}
local middle = {
    { "Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thành", "Gia" },
    { "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Thùy", "Bích" },
}
local given = {
    { { "An", "an" }, { "Bảo", "bao" }, { "Cường", "cuong" },
      { "Dũng", "dung" }, { "Hải", "hai" }, { "Hiếu", "hieu" },
      { "Hùng", "hung" }, { "Khánh", "khanh" }, { "Long", "long" },
      { "Nam", "nam" }, { "Phúc", "phuc" }, { "Quang", "quang" },
      { "Sơn", "son" }, { "Thắng", "thang" }, { "Trung", "trung" },
      { "Tuấn", "tuan" }, { "Việt", "viet" } },
    { { "Anh", "anh" }, { "Châu", "chau" }, { "Dung", "dung" },
      { "Giang", "giang" }, { "Hà", "ha" }, { "Hạnh", "hanh" },
      { "Hoa", "hoa" }, { "Hương", "huong" }, { "Lan", "lan" },
      { "Linh", "linh" }, { "Mai", "mai" }, { "Ngân", "ngan" },
      { "Nhung", "nhung" }, { "Phương", "phuong" }, { "Thảo", "thao" },
      { "Trang", "trang" }, { "Tuyết", "tuyet" }, { "Yến", "yen" } },
}
local mail_domains = { "gmail.com", "yahoo.com.vn", "example.vn", "vnpt.vn" }

-- gender: 1 male, 2 female (the contract's GioiTinhChuHoSo)
function M.name(r, gender, family_name)
    local f = family_name or r:pick(family)
    local g = r:pick(given[gender])
    return f[1] .. " " .. r:pick(middle[gender]) .. " " .. g[1], f, g
end

function M.family(r)
    return r:pick(family)
end

-- yyyyMMdd in the given year (days up to 28: every month has them)
function M.birth_date(r, year)
    return string.format("%04d%02d%02d", year, r:int(1, 12), r:int(1, 28))
end

-- The last 6 digits of personal IDs and enterprise codes: a mark that
-- gen.lua replaces in every dossier with digits of its own MaHoSo, so that
-- each dossier has its own applicant (the per-citizen limit) while the
-- rest of it comes from a template shared by many.
M.SERIAL = "~S~"

-- PPP G YY NNNNNN: G is 0/1 (1900s male/female), 2/3 (2000s), ...
function M.cccd(r, year, gender, province)
    local century = math.floor((year - 1900) / 100)
    local g = century * 2 + (gender == 2 and 1 or 0)
    return (province or r:pick(M.provinces)) .. tostring(g)
           .. string.format("%02d", year % 100) .. M.SERIAL
end

-- mobile: 0 + 9 digits, Vietnamese carriers' prefixes
function M.phone(r)
    return "0" .. r:pick({ "3", "5", "7", "8", "9" }) .. r:digits(8)
end

function M.email(r, fam, giv, year)
    return giv[2] .. "." .. fam[2] .. tostring(year % 100) .. r:digits(2)
           .. "@" .. r:pick(mail_domains)
end

-- A person: gender, birth year within [y0, y1].
function M.person(r, y0, y1, gender, family_name)
    local p = {}
    p.gender = gender or r:int(1, 2)
    p.year = r:int(y0, y1)
    p.name, p.fam, p.giv = M.name(r, p.gender, family_name)
    p.birth = M.birth_date(r, p.year)
    p.cccd = M.cccd(r, p.year, p.gender)
    return p
end

return M
