"""The one error every client call raises: the hub's stable code and its messages."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """A refusal by the hub (its `code`) or a failure to reach it (`code` "unreachable").

    `status` is the HTTP status, or None for socket acknowledgements and transport failures.
    """

    def __init__(
        self, code: str, message: str, message_zh: str = "", status: int | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.message_zh = message_zh or message
        self.status = status
        super().__init__(f"{code}: {message}")

    @classmethod
    def from_payload(cls, payload: Any, status: int | None = None) -> ClientError:
        """Read the hub's error shape `{"error": {"code", "message", "message_zh"}}`."""
        error = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            return cls(
                "bad_response", f"unexpected error answer: {str(payload)[:200]}", status=status
            )
        return cls(
            code=error["code"],
            message=str(error.get("message", "")),
            message_zh=str(error.get("message_zh", "")),
            status=status,
        )

    @classmethod
    def unreachable(cls, url: str, reason: object) -> ClientError:
        return cls("unreachable", f"cannot reach {url}: {reason}", f"无法连接 {url}：{reason}")
