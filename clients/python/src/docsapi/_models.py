"""The API's objects as typed, immutable dataclasses.

Fields the server adds later are ignored rather than rejected, so an older
library keeps working against a newer server.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Generic, Iterator, List, Mapping, Optional, TypeVar

__all__ = ["APIResponse", "Resource", "DeletedResource", "APIKey", "RequestLog", "RequestLogError", "Page"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)


def _timestamp(value: Any) -> datetime:
    # datetime.fromisoformat() only learned "Z" and arbitrary fraction
    # lengths in Python 3.11, and this library supports 3.9.
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not an RFC 3339 timestamp: %r" % (value,))
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = match.group(7) or ""
    microsecond = int((fraction + "000000")[:6])
    if match.group(8):
        tz = timezone.utc
    else:
        offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        tz = timezone(offset if match.group(9) == "+" else -offset)
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


def _optional_timestamp(value: Any) -> Optional[datetime]:
    return None if value is None else _timestamp(value)


@dataclass(frozen=True)
class APIResponse:
    """The HTTP response of a successful call: the ``last_response`` of the object it returned."""

    http_status: int
    headers: Mapping[str, str]
    #: The Request-Id header: quote it to support.
    request_id: Optional[str]


def _last_response() -> Any:
    # Set on the object a call returns, None on the objects inside a page;
    # left out of equality and repr, which are about the API object.
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Resource:
    id: str
    object: str
    name: str
    description: Optional[str]
    metadata: Dict[str, str]
    created_at: datetime
    updated_at: datetime
    last_response: Optional[APIResponse] = _last_response()

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Resource":
        return cls(
            id=data["id"],
            object=data["object"],
            name=data["name"],
            description=data.get("description"),
            metadata=dict(data.get("metadata") or {}),
            created_at=_timestamp(data["created_at"]),
            updated_at=_timestamp(data["updated_at"]),
        )


@dataclass(frozen=True)
class DeletedResource:
    id: str
    object: str
    deleted: bool
    last_response: Optional[APIResponse] = _last_response()

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "DeletedResource":
        return cls(id=data["id"], object=data["object"], deleted=bool(data["deleted"]))


@dataclass(frozen=True)
class APIKey:
    id: str
    object: str
    name: str
    scopes: List[str]
    rate_limit: int
    prefix: str
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]
    # The full key: only in the response to create, never again; None there
    # too when the answer was a replay (a retry whose first answer was
    # lost): the server never stores it, so revoke that key.
    secret: Optional[str] = None
    last_response: Optional[APIResponse] = _last_response()

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "APIKey":
        return cls(
            id=data["id"],
            object=data["object"],
            name=data["name"],
            scopes=list(data["scopes"]),
            rate_limit=int(data["rate_limit"]),
            prefix=data["prefix"],
            created_at=_timestamp(data["created_at"]),
            last_used_at=_optional_timestamp(data.get("last_used_at")),
            revoked_at=_optional_timestamp(data.get("revoked_at")),
            secret=data.get("secret"),
        )


@dataclass(frozen=True)
class RequestLog:
    """One entry of the request log (an API object of type "request")."""

    id: str
    object: str
    method: str
    path: str
    status: int
    error_code: Optional[str]
    api_key_id: Optional[str]
    idempotency_key: Optional[str]
    idempotent_replayed: bool
    duration_ms: float
    created_at: datetime
    # Added in API v1.4.1; None from an older server.
    #: The error the request got, None for a success.
    error: Optional["RequestLogError"] = None
    #: The client's address as the server saw it.
    ip: Optional[str] = None
    user_agent: Optional[str] = None
    #: "api" or "dashboard".
    source: Optional[str] = None
    last_response: Optional[APIResponse] = _last_response()

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "RequestLog":
        return cls(
            id=data["id"],
            object=data["object"],
            method=data["method"],
            path=data["path"],
            status=int(data["status"]),
            error_code=data.get("error_code"),
            api_key_id=data.get("api_key_id"),
            idempotency_key=data.get("idempotency_key"),
            idempotent_replayed=bool(data.get("idempotent_replayed", False)),
            duration_ms=float(data.get("duration_ms") or 0.0),
            created_at=_timestamp(data["created_at"]),
            error=RequestLogError.from_json(data["error"]) if data.get("error") is not None else None,
            ip=data.get("ip"),
            user_agent=data.get("user_agent"),
            source=data.get("source"),
        )


@dataclass(frozen=True)
class RequestLogError:
    """The error object a logged request got, without its request id (the entry's id)."""

    type: str
    code: str
    message: str
    param: Optional[str]

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "RequestLogError":
        return cls(type=data["type"], code=data["code"], message=data["message"], param=data.get("param"))


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first. Use the service's ``iter()`` to walk every page."""

    object: str
    data: List[T]
    has_more: bool
    url: str
    last_response: Optional[APIResponse] = _last_response()

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def page_from_json(data: Dict[str, Any], item: Callable[[Dict[str, Any]], T]) -> Page[T]:
    return Page(
        object=data["object"],
        data=[item(entry) for entry in data["data"]],
        has_more=bool(data["has_more"]),
        url=data["url"],
    )
