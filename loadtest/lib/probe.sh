# Probes of the gateway before a run: what it can do today.

# lt_probe_dossier CODE: the contract's example dossier with this MaHoSo
# and a current NgayTiepNhan.
lt_probe_dossier() {
    local now due
    now=$(TZ=Asia/Ho_Chi_Minh date +%Y%m%d%H%M%S)
    due=$(TZ=Asia/Ho_Chi_Minh date -d '+14 days' +%Y%m%d%H%M%S)
    cat <<JSON
{"MaHoSo":"$1","MaTTHC":"2.000815","TenTTHC":"Chứng thực bản sao từ bản chính","MaLinhVuc":"CT","KenhThucHien":2,"ChuHoSo":"Nguyễn Thị Lan","LoaiDoiTuong":1,"SoGiayToChuHoSo":"031185001234","NgaySinhChuHoSo":"19850312","GioiTinhChuHoSo":2,"SoDienThoai":"0912345678","Email":"lan.nguyen@example.vn","NgayTiepNhan":"$now","NgayHenTra":"$due","TrangThaiHoSo":1,"TaiLieuNop":[{"TepDinhKemId":"f1","TenTepDinhKem":"Đơn đề nghị.pdf","DuongDanTaiTepTin":"https://files.example.vn/f1.pdf"}],"DuLieuChuyenNganh":{}}
JSON
}

# lt_probe_curl METHOD URL BODY_FILE OUT: the HTTP status of one request,
# signed as the load is (auto/sign-request.sh, the contract's example),
# with the "loadtest" client unless LT_CLIENT/LT_SECRET say otherwise, and
# an X-Loadtest-Id as the load's; the answer's headers go to OUT.headers.
lt_probe_curl() {
    local sign=$DG_ROOT/auto/sign-request.sh
    local opts=(-D "$4.headers" -H "X-Loadtest-Id: 1" -o "$4" -w '%{http_code}'
                --max-time 10)
    if [ "${LT_SIGN:-1}" != 0 ] && [ -x "$sign" ]; then
        "$sign" "$1" "$2" "$3" "${LT_CLIENT:-loadtest}" "${LT_SECRET:-loadtest-secret}" \
            "${opts[@]}" 2>/dev/null || true
    elif [ -n "$3" ]; then
        curl -s "${opts[@]}" -X "$1" \
            -H 'Content-Type: application/json' --data-binary "@$3" "$2" || true
    else
        curl -s "${opts[@]}" -X "$1" "$2" || true
    fi
}

# lt_probe_submit URL: one valid dossier must be answered 201 (codes
# LTprobe-... are outside every run's audit).  A 503 is retried for up to
# 10 s: each nginx worker connects to PostgreSQL on its own, and readyz may
# have been answered by the other one.  Sets LT_ECHO to 1 when the answer
# echoed the request's X-Loadtest-Id (lua/dossier.lua), else 0.
lt_probe_submit() {
    local code=LTprobe-${LT_RUN:-x}-$$ status=""
    lt_probe_dossier "$code" >"$LT_OUTDIR/probe-request.json"
    for _ in $(seq 20); do
        status=$(lt_probe_curl POST "$1/v1/dossiers" "$LT_OUTDIR/probe-request.json" \
                 "$LT_OUTDIR/probe.json")
        [ "$status" = 503 ] || break
        sleep 0.5
    done
    if [ "$status" != 201 ] && [ "$status" != 200 ]; then
        lt_say "probe: POST $1/v1/dossiers answered ${status:-nothing}, not 201:"
        cat "$LT_OUTDIR/probe.json" >&2 2>/dev/null || true
        return 1
    fi
    LT_PROBE_CODE=$code
    LT_ECHO=0
    if grep -qi '^x-loadtest-id: 1' "$LT_OUTDIR/probe.json.headers" 2>/dev/null; then
        LT_ECHO=1
    fi
}

# lt_probe_lookup URL: the status of GET /v1/dossiers/<the probe's code>.
lt_probe_lookup() {
    lt_probe_curl GET "$1/v1/dossiers/${LT_PROBE_CODE:-none}" "" "$LT_OUTDIR/probe-lookup.json"
}
