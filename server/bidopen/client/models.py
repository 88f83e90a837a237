"""What the hub sends back, as typed values: tenders, snapshots, event messages, drafts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bidopen.client.errors import ClientError
from bidopen.clock import iso, parse_iso

# The shortest window the hub accepts (protocol section 3). Not imported from the hub's
# session core: the client stands apart from the server, and loads quicker without it.
MIN_DURATION_SECONDS = 5


def _bad(what: str, value: object) -> ClientError:
    return ClientError("bad_response", f"the hub sent an unexpected {what}: {str(value)[:200]}")


@dataclass(frozen=True)
class EventMessage:
    """One logged event as a role receives it: `{"seq", "kind", "data"}` (protocol 5.3)."""

    seq: int
    kind: str
    data: Mapping[str, Any]

    @classmethod
    def from_json(cls, value: Any) -> EventMessage:
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("seq"), int)
            or not isinstance(value.get("kind"), str)
            or not isinstance(value.get("data"), dict)
        ):
            raise _bad("event message", value)
        return cls(seq=value["seq"], kind=value["kind"], data=value["data"])


@dataclass(frozen=True)
class Snapshot:
    """A role's view of a session at log position `seq`."""

    seq: int
    role: str
    view: Mapping[str, Any]

    @classmethod
    def from_json(cls, value: Any) -> Snapshot:
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("seq"), int)
            or not isinstance(value.get("view"), dict)
        ):
            raise _bad("snapshot", value)
        return cls(seq=value["seq"], role=str(value.get("role")), view=value["view"])

    @property
    def phase(self) -> str:
        return str(self.view.get("phase"))


@dataclass(frozen=True)
class LotSpec:
    id: str
    name: str
    ceiling: str | None = None  # 最高投标限价, yuan with two decimals


@dataclass(frozen=True)
class ReadoutItemSpec:
    """One item read out for every opened bid (price, duration, ...), labelled in both languages."""

    key: str
    label_zh: str
    label_en: str
    type: str = "text"  # amount, days, percent or text (bidseal.readout.ItemType)
    max_length: int = 200  # of a text item


DEFAULT_READOUT_ITEMS = (
    ReadoutItemSpec("price", "投标报价（元）", "Bid price (CNY)", "amount"),
    ReadoutItemSpec("duration_days", "工期（日历天）", "Duration (calendar days)", "days"),
)


@dataclass(frozen=True)
class TenderDraft:
    """A tender to create (protocol section 3); windows in whole seconds, as the hub counts."""

    title: str
    lots: tuple[LotSpec, ...]
    deadline: datetime
    decryption_seconds: int = 30 * 60
    confirmation_seconds: int = 15 * 60
    readout_items: tuple[ReadoutItemSpec, ...] = DEFAULT_READOUT_ITEMS
    signin_opens_at: datetime | None = None
    tenderer: str | None = None  # 招标人
    agency: str | None = None  # 招标代理机构
    tendered_by_law: bool = False  # 依法必须招标
    # Only a hub running the demo takes it: the demo's shortened publicity of results.
    demo_publicity_seconds: int | None = None

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a tender needs a title")
        if not self.lots:
            raise ValueError("a tender needs at least one lot")
        if len({lot.id for lot in self.lots}) != len(self.lots):
            raise ValueError("lot ids must be unique")
        if self.deadline.tzinfo is None:
            raise ValueError("the deadline must carry its time zone")
        for name in ("decryption_seconds", "confirmation_seconds"):
            if getattr(self, name) < MIN_DURATION_SECONDS:
                raise ValueError(f"{name} must be at least {MIN_DURATION_SECONDS}")
        if not self.readout_items:
            raise ValueError("a tender reads out at least one item")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": self.title,
            "lots": [
                {"id": lot.id, "name": lot.name}
                | ({} if lot.ceiling is None else {"ceiling": lot.ceiling})
                for lot in self.lots
            ],
            "deadline": iso(self.deadline),
            "decryption_seconds": self.decryption_seconds,
            "confirmation_seconds": self.confirmation_seconds,
            "readout_items": [
                {
                    "key": i.key,
                    "label_zh": i.label_zh,
                    "label_en": i.label_en,
                    "type": i.type,
                    "max_length": i.max_length,
                }
                for i in self.readout_items
            ],
        }
        if self.signin_opens_at is not None:
            body["signin_opens_at"] = iso(self.signin_opens_at)
        for name in ("tenderer", "agency"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.tendered_by_law:
            body["tendered_by_law"] = True
        if self.demo_publicity_seconds is not None:
            body["demo_publicity_seconds"] = self.demo_publicity_seconds
        return body


@dataclass(frozen=True)
class Tender:
    """The public description of a tender; its id is also its session id."""

    id: str
    title: str
    lots: tuple[LotSpec, ...]
    deadline: datetime
    phase: str
    readout_items: tuple[ReadoutItemSpec, ...]
    # The latest publicity end of a published result (公示期); None before any result.
    publicity_ends_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, value: Any) -> Tender:
        ends = value.get("publicity_ends_at") if isinstance(value, Mapping) else None
        try:
            return cls(
                id=str(value["id"]),
                title=str(value["title"]),
                lots=tuple(
                    LotSpec(str(lot["id"]), str(lot["name"]), lot.get("ceiling"))
                    for lot in value["lots"]
                ),
                deadline=parse_iso(value["deadline"]),
                phase=str(value["phase"]),
                readout_items=tuple(
                    ReadoutItemSpec(
                        str(i["key"]),
                        str(i["label_zh"]),
                        str(i["label_en"]),
                        str(i.get("type", "text")),
                        int(i.get("max_length", 200)),
                    )
                    for i in value["readout_items"]
                ),
                publicity_ends_at=None if ends is None else parse_iso(ends),
                raw=value,
            )
        except (KeyError, TypeError, ValueError):
            raise _bad("tender", value) from None

    def seconds_to_deadline(self, now: datetime | None = None) -> float:
        return (self.deadline - (now or datetime.now(UTC))).total_seconds()

    def in_publicity(self, now: datetime | None = None) -> bool:
        """公示中: a result is published and its publicity has not ended (公示结束 after)."""
        ends = self.publicity_ends_at
        return ends is not None and (now or datetime.now(UTC)) < ends
