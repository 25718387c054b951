/*
 * The error catalog (dg_error.h).
 */

#include <stdarg.h>
#include <stddef.h>

#include "dg_error.h"


static const dg_error_t  dg_errors[DG_ERR__COUNT] = {

    [DG_ERR_INTERNAL] = { 500, "internal",
        "Lỗi máy chủ", "server error" },

    [DG_ERR_METHOD] = { 405, "method",
        "Phương thức không được hỗ trợ", "method not allowed" },
    [DG_ERR_CONTENT_TYPE] = { 415, "content_type",
        "Content-Type phải là application/json, mã hóa UTF-8",
        "Content-Type must be application/json in UTF-8" },
    [DG_ERR_NOT_FOUND] = { 404, "not_found",
        "Không tìm thấy", "not found" },
    [DG_ERR_NO_DOSSIER] = { 404, "not_found",
        "Không có hồ sơ với mã này", "no dossier has this code" },
    [DG_ERR_BODY_TOO_LARGE] = { 413, "body.too_large",
        "Nội dung yêu cầu vượt quá giới hạn cho phép",
        "request body larger than the limit" },
    [DG_ERR_HTTP_TOO_LARGE] = { 414, "http.too_large",
        "Dòng yêu cầu hoặc tiêu đề quá dài",
        "request line or headers too long" },
    [DG_ERR_HTTP_MALFORMED] = { 400, "http.malformed",
        "Yêu cầu HTTP không hợp lệ", "malformed HTTP request" },
    [DG_ERR_UNAVAILABLE] = { 503, "unavailable",
        "Dịch vụ tạm thời không khả dụng",
        "service temporarily unavailable" },

    [DG_ERR_BATCH_TYPE] = { 422, "type",
        "Nội dung phải là đối tượng JSON {\"data\": [...]}",
        "the body must be a JSON object {\"data\": [...]}" },
    [DG_ERR_BATCH_SIZE] = { 422, "batch.size",
        "\"data\" phải là mảng từ 1 đến %d hồ sơ",
        "\"data\" must be an array of 1 to %d dossiers" },

    /* the same text for another owner's code, whatever its content:
     * it tells nothing about the stored dossier (CONTRACT 1.1 section 4) */
    [DG_ERR_CONFLICT] = { 409, "conflict",
        "Mã hồ sơ đã tồn tại, không thể lưu hồ sơ này dưới mã đó",
        "MaHoSo already exists; this dossier cannot be stored under it" },
    [DG_ERR_STORAGE_STARTING] = { 503, "storage.unavailable",
        "Chưa kết nối được cơ sở dữ liệu, vui lòng thử lại",
        "storage not reachable yet, retry later" },
    [DG_ERR_STORAGE_SATURATED] = { 503, "storage.unavailable",
        "Hệ thống đang quá tải, vui lòng thử lại sau",
        "storage saturated, nothing was stored; retry later" },
    [DG_ERR_STORAGE_UNAVAILABLE] = { 503, "storage.unavailable",
        "Cơ sở dữ liệu không khả dụng, vui lòng thử lại sau",
        "storage unavailable; retry later" },
    [DG_ERR_STORAGE_NOT_CHANGED] = { 503, "storage.unavailable",
        "Cơ sở dữ liệu không khả dụng, chưa cập nhật",
        "storage unavailable, nothing was changed; retry later" },
    [DG_ERR_STORAGE_REJECTED] = { 500, "storage.rejected",
        "Cơ sở dữ liệu từ chối hồ sơ, chưa lưu",
        "the database refused the dossier; nothing was stored" },
    [DG_ERR_NOT_READY] = { 503, "storage.unavailable",
        "Chưa kết nối được cơ sở dữ liệu",
        "PostgreSQL not reachable or catalog not loaded" },

    [DG_ERR_PLUGIN_FAILED] = { 500, "plugin.failed",
        "Không kiểm tra được hồ sơ theo quy tắc của ngành",
        "the sector's rules could not be applied; nothing was stored" },
    [DG_ERR_RATE_LIMITED] = { 429, "rate_limited",
        "Vượt giới hạn \"%s\", vui lòng thử lại sau %d giây",
        "limit \"%s\" reached, retry in %d s" },

    [DG_ERR_AUTH_MISSING] = { 401, "auth.missing",
        "Thiếu chữ ký yêu cầu (Signature-Input, Signature) hoặc Bearer token",
        "request signature (Signature-Input, Signature) or bearer token "
        "missing" },
    [DG_ERR_AUTH_MALFORMED] = { 401, "auth.malformed",
        "Tiêu đề chữ ký không đúng định dạng",
        "malformed Signature-Input or Signature header" },
    [DG_ERR_AUTH_COMPONENTS] = { 401, "auth.components",
        "Thành phần được ký phải là \"@method\" \"@path\" \"@query\" và, "
        "khi có nội dung, \"content-digest\", đúng thứ tự này",
        "covered components must be \"@method\" \"@path\" \"@query\" and, "
        "with a body, \"content-digest\", in this order" },
    [DG_ERR_AUTH_ALG] = { 401, "auth.alg",
        "Tham số alg phải là \"hmac-sha256\"",
        "alg must be \"hmac-sha256\"" },
    [DG_ERR_AUTH_KEYID] = { 401, "auth.keyid",
        "Thiếu keyid hoặc keyid không được đăng ký",
        "keyid missing or not registered" },
    [DG_ERR_AUTH_CREATED] = { 401, "auth.created",
        "Thiếu created hoặc created lệch quá 300 giây so với giờ máy chủ",
        "created missing or more than 300 s from server time" },
    [DG_ERR_AUTH_NONCE] = { 401, "auth.nonce",
        "Thiếu nonce hoặc nonce đã được sử dụng",
        "nonce missing or already used" },
    [DG_ERR_AUTH_DIGEST] = { 401, "auth.digest",
        "Content-Digest (sha-256) thiếu hoặc không khớp với nội dung",
        "Content-Digest (sha-256) missing or does not match the body" },
    [DG_ERR_AUTH_SIGNATURE] = { 401, "auth.signature",
        "Chữ ký không hợp lệ", "signature does not verify" },
    [DG_ERR_AUTH_UNAVAILABLE] = { 503, "auth.unavailable",
        "Tạm thời không kiểm tra được nonce, vui lòng thử lại",
        "nonce store unavailable, retry later" },
    [DG_ERR_AUTH_INTERNAL] = { 500, "auth.internal",
        "Lỗi nội bộ khi kiểm tra chữ ký",
        "internal error while verifying the signature" },
    [DG_ERR_AUTH_CERTIFICATE] = { 403, "auth.certificate",
        "Chứng thư số không thuộc khách hàng đã ký",
        "the client certificate belongs to another client" },

    [DG_ERR_TOKEN_NOT_ACCEPTED] = { 401, "token.not_accepted",
        "Máy chủ này không nhận mã VNeID",
        "VNeID tokens are not accepted here" },
    [DG_ERR_TOKEN_MALFORMED] = { 401, "token.malformed",
        "Token VNeID không đúng định dạng JWT",
        "VNeID token is not a well-formed JWT" },
    [DG_ERR_TOKEN_TOO_LARGE] = { 401, "token.too_large",
        "Token VNeID quá dài", "VNeID token too large" },
    [DG_ERR_TOKEN_ALG] = { 401, "token.alg",
        "Thuật toán ký token phải là RS256 hoặc ES256",
        "token algorithm must be RS256 or ES256" },
    [DG_ERR_TOKEN_KID] = { 401, "token.kid",
        "Không tìm thấy khóa (kid) của token", "token key (kid) unknown" },
    [DG_ERR_TOKEN_SIGNATURE] = { 401, "token.signature",
        "Chữ ký token không hợp lệ", "token signature does not verify" },
    [DG_ERR_TOKEN_EXPIRED] = { 401, "token.expired",
        "Token đã hết hạn", "token expired" },
    [DG_ERR_TOKEN_NOT_YET_VALID] = { 401, "token.not_yet_valid",
        "Token chưa có hiệu lực", "token not yet valid" },
    [DG_ERR_TOKEN_ISSUER] = { 401, "token.issuer",
        "Đơn vị phát hành token (iss) không đúng",
        "token issuer not accepted" },
    [DG_ERR_TOKEN_AUDIENCE] = { 401, "token.audience",
        "Token không dành cho hệ thống này (aud)",
        "token audience not accepted" },
    [DG_ERR_TOKEN_SUBJECT] = { 401, "token.subject",
        "Chủ thể token (sub) phải là số định danh cá nhân 12 chữ số",
        "token subject must be a 12-digit personal ID" },
    [DG_ERR_TOKEN_INTERNAL] = { 500, "token.internal",
        "Lỗi nội bộ khi kiểm tra token",
        "internal error while verifying the token" },

    [DG_ERR_SUBMIT_SECTOR] = { 403, "auth.sector",
        "Không được nộp hồ sơ cho lĩnh vực này",
        "not allowed to submit to this sector" },
    [DG_ERR_SUBMIT_SUBJECT] = { 403, "auth.subject",
        "Chỉ được nộp hồ sơ của chính mình",
        "a VNeID citizen may only submit their own dossier" },
    [DG_ERR_READ_SECTOR] = { 403, "auth.sector",
        "Không được xem hồ sơ của lĩnh vực này",
        "not allowed to read dossiers of this sector" },
    [DG_ERR_UPDATE_SECTOR] = { 403, "auth.sector",
        "Không được cập nhật hồ sơ của lĩnh vực này",
        "not allowed to update dossiers of this sector" },
    [DG_ERR_CODE_PREFIX] = { 403, "auth.code_prefix",
        "Không được dùng mã hồ sơ này",
        "not allowed to store a dossier under this MaHoSo" },
    [DG_ERR_READER_CITIZEN] = { 403, "auth.citizen",
        "Tài khoản VNeID không được đọc dữ liệu chia sẻ",
        "VNeID tokens may not read shared data" },
    [DG_ERR_UPDATE_CITIZEN] = { 403, "auth.citizen",
        "Tài khoản VNeID không được cập nhật tiến độ hồ sơ",
        "VNeID tokens may not post progress" },
    [DG_ERR_READER_NO_SECTOR] = { 403, "auth.sector",
        "Không được xem dữ liệu của lĩnh vực nào",
        "not allowed to read any sector" },

    [DG_ERR_ADMIN_DISABLED] = { 403, "admin.disabled",
        "API quản trị chưa được cấu hình mã truy cập",
        "the admin API has no token configured (dossier_admin_token)" },
    [DG_ERR_ADMIN_TOKEN] = { 401, "auth.admin",
        "Cần mã truy cập quản trị hợp lệ",
        "a valid admin bearer token is required" },
    [DG_ERR_PLUGIN_UNKNOWN] = { 404, "plugin.unknown",
        "Không có plugin này", "no plugin of that name is loaded" },
};


const dg_error_t *
dg_error(dg_error_e e)
{
    if ((unsigned) e >= DG_ERR__COUNT) {
        e = DG_ERR_INTERNAL;
    }

    return &dg_errors[e];
}


int
dg_problems_add_error(dg_problems_t *p, const char *pointer, dg_error_e e,
    ...)
{
    int      rc;
    va_list  args;

    va_start(args, e);
    rc = dg_problems_vadd_error(p, pointer, e, args);
    va_end(args);

    return rc;
}


int
dg_problems_vadd_error(dg_problems_t *p, const char *pointer, dg_error_e e,
    va_list args)
{
    const dg_error_t  *err;

    err = dg_error(e);

    return dg_problems_vadd(p, pointer, err->code, err->vi, err->en, args);
}
