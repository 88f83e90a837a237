"""Every error the hub reports, its stable code, and the one mapping to HTTP and socket payloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    """What a code means: the HTTP status and the message in both languages."""

    status: int
    message: str
    message_zh: str


CODES: dict[str, ErrorSpec] = {
    "bad_request": ErrorSpec(400, "The request is malformed.", "请求格式有误。"),
    "nesting_too_deep": ErrorSpec(
        400, "The JSON body is nested too deeply.", "请求体 JSON 嵌套层数过多。"
    ),
    "validation_failed": ErrorSpec(422, "A field is missing or invalid.", "字段缺失或无效。"),
    "unsupported_media_type": ErrorSpec(
        415,
        "The request's Content-Type is not accepted here.",
        "此处不接受该请求的 Content-Type。",
    ),
    "invalid_id": ErrorSpec(
        422,
        "An id does not match the id pattern [A-Za-z0-9][A-Za-z0-9_-]{0,63}.",
        "编号不符合编号格式 [A-Za-z0-9][A-Za-z0-9_-]{0,63}。",
    ),
    "unauthenticated": ErrorSpec(401, "Sign in first.", "请先登录。"),
    "login_failed": ErrorSpec(401, "Wrong user name or password.", "用户名或密码错误。"),
    "challenge_invalid": ErrorSpec(
        401,
        "The challenge is unknown, expired or already used.",
        "登录挑战无效、已过期或已被使用。",
    ),
    "signature_invalid": ErrorSpec(401, "The signature does not verify.", "签名验证失败。"),
    "forbidden": ErrorSpec(403, "This role may not do that.", "当前角色无权执行此操作。"),
    "origin_refused": ErrorSpec(403, "This origin may not connect.", "不允许来自该来源的连接。"),
    "read_only": ErrorSpec(403, "The public channel is read-only.", "公众频道只读。"),
    "not_found": ErrorSpec(404, "No such resource.", "资源不存在。"),
    "tender_not_found": ErrorSpec(404, "No such tender.", "招标项目不存在。"),
    "lot_not_found": ErrorSpec(404, "No such lot in this tender.", "该项目中没有此标段。"),
    "bidder_not_found": ErrorSpec(404, "No such bidder.", "投标人不存在。"),
    "bid_not_found": ErrorSpec(
        404, "You have no current bid for this lot.", "您在该标段没有有效投标。"
    ),
    "record_not_published": ErrorSpec(
        404, "The opening record is not published yet.", "开标记录尚未发布。"
    ),
    "method_not_allowed": ErrorSpec(405, "Method not allowed.", "不支持该请求方法。"),
    "deadline_passed": ErrorSpec(
        409,
        "The submission deadline has passed; the bid was not accepted.",
        "投标截止时间已过，投标文件未被接受。",
    ),
    "decryption_closed": ErrorSpec(409, "The decryption window is not open.", "解密时段未开放。"),
    "conflict": ErrorSpec(
        409, "The request conflicts with the current state.", "请求与当前状态冲突。"
    ),
    "bid_too_large": ErrorSpec(
        413, "The sealed file exceeds the size limit.", "投标文件超过大小限制。"
    ),
    "quota_bytes_exceeded": ErrorSpec(
        413,
        "Your sealed files in this tender would exceed your storage quota.",
        "您在该项目的投标文件将超过存储配额。",
    ),
    "quota_replacements_exceeded": ErrorSpec(
        409,
        "You have replaced your bid in this tender as often as allowed.",
        "您在该项目更换投标文件的次数已达上限。",
    ),
    "storage_full": ErrorSpec(
        507,
        "The hub is short of storage and takes no new bids now; tell the platform operator.",
        "平台存储空间不足，暂不接收新的投标文件，请联系平台运营方。",
    ),
    "message_too_large": ErrorSpec(413, "The message is too large.", "消息过大。"),
    "invalid_sealed_bid": ErrorSpec(
        422, "The sealed file is malformed or was altered.", "投标文件格式错误或已被篡改。"
    ),
    "bid_context_mismatch": ErrorSpec(
        422,
        "The sealed file was made for another tender, lot or bidder.",
        "投标文件所属的项目、标段或投标人不符。",
    ),
    "signer_key_mismatch": ErrorSpec(
        422,
        "The sealed file was not signed with your registered signing key.",
        "投标文件未使用您登记的签名密钥签名。",
    ),
    "wrong_data_key": ErrorSpec(
        422, "This data key does not open your bid.", "该数据密钥无法解密您的投标文件。"
    ),
    "rehearsal_failed": ErrorSpec(
        422, "The rehearsal key does not match.", "解密演练失败：密钥不匹配。"
    ),
    "document_sealed": ErrorSpec(
        409,
        "Bid documents can be read only after the read-out.",
        "唱标之前不能查阅投标文件。",
    ),
    "bid_not_opened": ErrorSpec(
        409,
        "This bid was not opened at the read-out; it stays sealed.",
        "该投标文件未在开标时解密，将保持加密。",
    ),
    "document_not_found": ErrorSpec(
        404, "No bid document of this bidder in this lot.", "该投标人在此标段没有投标文件。"
    ),
    "document_unavailable": ErrorSpec(
        409, "The hub holds no key for this document.", "平台未保存该投标文件的密钥。"
    ),
    "document_damaged": ErrorSpec(
        500,
        "The stored sealed file does not verify; the download was stopped.",
        "存档的投标文件校验失败，下载已中止。",
    ),
    # The session core's own codes (bidopen.session.errors), kept as they are.
    "illegal_in_phase": ErrorSpec(
        409, "Not allowed in the current phase.", "当前阶段不允许此操作。"
    ),
    "text_refused": ErrorSpec(
        422,
        "The text holds a character that is invisible, a control or changes the text direction.",
        "文本含有不可见字符、控制字符或改变文字方向的字符。",
    ),
    "name_looks_taken": ErrorSpec(
        409,
        "The name looks like a name already registered; register under the exact name.",
        "该名称与已登记的名称极为相似，请使用准确名称登记。",
    ),
    "not_your_tender": ErrorSpec(
        403,
        "This tender belongs to another organisation.",
        "该招标项目属于其他机构。",
    ),
    "not_permitted": ErrorSpec(
        403, "You may not do that in this session.", "您无权在本会话中执行此操作。"
    ),
    "unknown_bid": ErrorSpec(404, "No bid of yours in this lot.", "您在该标段没有投标。"),
    "lot_stopped": ErrorSpec(409, "This lot was stopped.", "该标段已终止。"),
    "tendered_by_law": ErrorSpec(
        409,
        "The project must be tendered by law: a lot with fewer than three bids may not be "
        "opened; stop it and tender again (实施条例 art. 44).",
        "本项目依法必须招标：投标人少于3个的标段不得开标，只能终止并重新招标（实施条例第四十四条）。",
    ),
    "not_signed_in": ErrorSpec(409, "Sign in to the opening first.", "请先签到。"),
    "already_decrypted": ErrorSpec(409, "This bid is already decrypted.", "该投标文件已解密。"),
    "decryption_incomplete": ErrorSpec(
        409, "Not every bid is decrypted yet.", "尚有投标文件未解密。"
    ),
    "window_closed": ErrorSpec(409, "The window has ended.", "该时段已结束。"),
    "session_paused": ErrorSpec(409, "The session is paused.", "会话已暂停。"),
    "not_paused": ErrorSpec(409, "The session is not paused.", "会话未暂停。"),
    "already_confirmed": ErrorSpec(409, "You already confirmed.", "您已确认。"),
    "confirmation_incomplete": ErrorSpec(
        409, "Not every bidder has confirmed yet.", "尚有投标人未确认。"
    ),
    "objection_unknown": ErrorSpec(404, "No such objection.", "异议不存在。"),
    "objection_already_answered": ErrorSpec(
        409, "The objection is already answered.", "该异议已答复。"
    ),
    "objection_repeated": ErrorSpec(
        409, "This objection was already raised (same nonce).", "该异议已提出过（随机数重复）。"
    ),
    "objections_unanswered": ErrorSpec(
        409, "Some objections have no answer yet.", "尚有异议未答复。"
    ),
    "result_not_published": ErrorSpec(
        409, "This lot has no published result yet.", "该标段尚未公示评标结果。"
    ),
    "publicity_over": ErrorSpec(
        409,
        "The publicity period of this result has ended; objections are no longer taken.",
        "该评标结果公示期已结束，不再受理异议。",
    ),
    "demo_only": ErrorSpec(
        422,
        "Only a hub running the demo takes this setting.",
        "仅运行演示的服务器接受此设置。",
    ),
    "event_rejected": ErrorSpec(500, "The session log is inconsistent.", "会话日志不一致。"),
    "malformed_event": ErrorSpec(500, "The session log is inconsistent.", "会话日志不一致。"),
    "session_error": ErrorSpec(409, "The opening session refused this.", "开标会话拒绝了此操作。"),
    "session_log_broken": ErrorSpec(
        503,
        "This session's log failed its integrity check; the operator has been told.",
        "该会话日志未通过完整性校验，已通知平台运营方。",
    ),
    "rate_limited": ErrorSpec(429, "Too many requests; slow down.", "请求过于频繁，请稍后再试。"),
    "login_throttled": ErrorSpec(
        429,
        "Too many failed sign-ins from this address; wait before trying again.",
        "该地址登录失败次数过多，请稍后再试。",
    ),
    "busy": ErrorSpec(
        503,
        "The hub is at its connection or work limit; try again shortly.",
        "服务器连接数或负载已达上限，请稍后再试。",
    ),
    "descriptors_exhausted": ErrorSpec(
        503,
        "The hub has no file descriptors left; nothing was stored. Try again shortly.",
        "服务器文件描述符已耗尽，未保存任何内容，请稍后再试。",
    ),
    "pdf_font_missing": ErrorSpec(
        503,
        "The hub has no font with Chinese glyphs for PDFs; the operator installs one "
        "(docs/operations.md).",
        "服务器未安装可生成 PDF 的中文字体，请平台运维人员安装（见 docs/operations.md）。",
    ),
    "database_unavailable": ErrorSpec(
        503,
        "The hub's database did not answer; nothing was stored. Try again shortly.",
        "服务器数据库暂不可用，未保存任何内容，请稍后再试。",
    ),
    "internal_error": ErrorSpec(500, "Internal error.", "服务器内部错误。"),
    "unavailable": ErrorSpec(503, "The service is shutting down or busy.", "服务暂不可用。"),
}


# The session core says `invalid_argument` for a field out of range; on the wire that is the
# same cause as a field the request schema refused, so it has the same code.
_WIRE_CODES = {"invalid_argument": "validation_failed"}


class StartRefused(Exception):
    """The hub must not serve what it found at start; the message is the one line to print."""


class HubError(Exception):
    """A refusal with a stable code; `detail` adds the specific reason to the English message.

    `field` names what was refused: the path of a body member (`lots[0].id`), a query
    parameter's name, or a header's name; None when the refusal is not about one field.
    """

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        detail_zh: str | None = None,
        *,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.detail = detail
        self.detail_zh = detail_zh
        self.field = field
        # Seconds after which the same request may succeed (the `Retry-After` header).
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def spec(self) -> ErrorSpec:
        return CODES[self.code]

    @property
    def status(self) -> int:
        return self.spec.status

    @property
    def message(self) -> str:
        base = self.spec.message
        return f"{base} {self.detail}" if self.detail else base

    @property
    def message_zh(self) -> str:
        base = self.spec.message_zh
        if self.detail_zh:
            return f"{base}{self.detail_zh}"
        # Without a Chinese reason, the field at least is named in both languages.
        return f"{base}（{self.field}）" if self.field else base


def from_session_error(exc: Exception) -> HubError:
    """A refusal of the session core keeps its own code; its English message becomes the detail."""
    code = getattr(exc, "code", None)
    code = _WIRE_CODES.get(code, code) if isinstance(code, str) else code
    field = getattr(exc, "field", None)
    if isinstance(code, str) and code in CODES:
        return HubError(code, str(exc), field=field if isinstance(field, str) else None)
    return HubError("session_error", f"({code}) {exc}")


def error_object(error: HubError) -> dict[str, Any]:
    """The error object: code, messages in both languages, and the refused field if one was."""
    described = {"code": error.code, "message": error.message, "message_zh": error.message_zh}
    if error.field is not None:
        described["field"] = error.field
    return described


def error_payload(error: HubError) -> dict[str, Any]:
    """The one wire shape of an error, used by REST responses and socket acknowledgements."""
    return {"error": error_object(error)}
