"""One class per API collection: client.resources, client.api_keys, client.requests."""

import enum
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Protocol, Sequence, TypeVar, Union

from ._models import APIKey, DeletedResource, Page, RequestLog, Resource, page_from_json
from ._requester import Requester, path_segment

__all__ = ["NotGiven", "NOT_GIVEN", "Resources", "APIKeys", "Requests"]


class NotGiven(enum.Enum):
    """The type of NOT_GIVEN, the default of a field that update() leaves unchanged.

    Needed because None is a value the caller may want to send (it sets
    ``description`` or ``metadata`` to null).
    """

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven.NOT_GIVEN


class _HasID(Protocol):
    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_HasID)


def _auto_paging(fetch: Callable[[Dict[str, Any]], Page[ItemT]], params: Dict[str, Any]) -> Iterator[ItemT]:
    # With only ending_before, the caller is walking towards newer objects:
    # each page is the run just newer than the cursor, so it is yielded in
    # reverse to keep one direction throughout (oldest to newest), and the
    # next cursor is that page's newest object.
    backwards = params.get("ending_before") is not None and params.get("starting_after") is None
    while True:
        page = fetch(params)
        if backwards:
            yield from reversed(page.data)
        else:
            yield from page.data
        if not page.has_more or not page.data:
            return
        if backwards:
            params = dict(params, ending_before=page.data[0].id)
        else:
            params = dict(params, starting_after=page.data[-1].id)


class Resources:
    """Resources (``res_...``): create, retrieve, update, delete and list them."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def create(
        self,
        *,
        name: str,
        description: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Resource:
        body: Dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        if metadata is not None:
            body["metadata"] = dict(metadata)
        return self._requester.request(
            "POST", "/v1/resources", Resource.from_json, body=body, idempotency_key=idempotency_key
        )

    def retrieve(self, id: str) -> Resource:
        return self._requester.request("GET", "/v1/resources/" + path_segment(id), Resource.from_json)

    def update(
        self,
        id: str,
        *,
        name: Union[str, NotGiven] = NOT_GIVEN,
        description: Union[str, None, NotGiven] = NOT_GIVEN,
        metadata: Union[Mapping[str, Optional[str]], None, NotGiven] = NOT_GIVEN,
        idempotency_key: Optional[str] = None,
    ) -> Resource:
        """Change the fields given; leave the others as they are.

        ``description=None`` (or "") clears the description. ``metadata`` is
        merged into the stored metadata: a value of None or "" removes that
        key, keys not mentioned are kept. ``metadata=None`` removes every key.
        """
        body: Dict[str, Any] = {}
        if not isinstance(name, NotGiven):
            body["name"] = name
        if not isinstance(description, NotGiven):
            body["description"] = description
        if metadata is None:
            body["metadata"] = None
        elif not isinstance(metadata, NotGiven):
            body["metadata"] = dict(metadata)
        return self._requester.request(
            "PATCH",
            "/v1/resources/" + path_segment(id),
            Resource.from_json,
            body=body,
            idempotency_key=idempotency_key,
        )

    def delete(self, id: str, *, idempotency_key: Optional[str] = None) -> DeletedResource:
        return self._requester.request(
            "DELETE",
            "/v1/resources/" + path_segment(id),
            DeletedResource.from_json,
            idempotency_key=idempotency_key,
        )

    def list(
        self,
        *,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Page[Resource]:
        """One page, newest first. ``limit`` is 1 to 100 (the server's default is 10)."""
        return self._list({"limit": limit, "starting_after": starting_after, "ending_before": ending_before})

    def iter(
        self,
        *,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Iterator[Resource]:
        """Every resource, fetching pages of ``limit`` as it goes (newest first;
        oldest first when only ``ending_before`` is given)."""
        return _auto_paging(
            self._list, {"limit": limit, "starting_after": starting_after, "ending_before": ending_before}
        )

    def _list(self, params: Dict[str, Any]) -> Page[Resource]:
        return self._requester.request(
            "GET", "/v1/resources", lambda data: page_from_json(data, Resource.from_json), query=params
        )


class APIKeys:
    """API keys (``key_...``). A key can grant only scopes its creator has."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def create(
        self,
        *,
        name: str,
        scopes: Sequence[str],
        rate_limit: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> APIKey:
        """Create a key. Its ``secret`` is in this response only: store it now."""
        if isinstance(scopes, str):
            # A lone string is a Sequence[str] too, and would become one scope per character.
            raise TypeError("scopes must be a list of strings, not a string")
        body: Dict[str, Any] = {"name": name, "scopes": list(scopes)}
        if rate_limit is not None:
            body["rate_limit"] = rate_limit
        return self._requester.request(
            "POST", "/v1/api_keys", APIKey.from_json, body=body, idempotency_key=idempotency_key
        )

    def retrieve(self, id: str) -> APIKey:
        return self._requester.request("GET", "/v1/api_keys/" + path_segment(id), APIKey.from_json)

    def delete(self, id: str, *, idempotency_key: Optional[str] = None) -> APIKey:
        """Revoke a key; the returned key has ``revoked_at`` set."""
        return self._requester.request(
            "DELETE", "/v1/api_keys/" + path_segment(id), APIKey.from_json, idempotency_key=idempotency_key
        )

    def list(
        self,
        *,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Page[APIKey]:
        return self._list({"limit": limit, "starting_after": starting_after, "ending_before": ending_before})

    def iter(
        self,
        *,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Iterator[APIKey]:
        return _auto_paging(
            self._list, {"limit": limit, "starting_after": starting_after, "ending_before": ending_before}
        )

    def _list(self, params: Dict[str, Any]) -> Page[APIKey]:
        return self._requester.request(
            "GET", "/v1/api_keys", lambda data: page_from_json(data, APIKey.from_json), query=params
        )


class Requests:
    """The request log (``req_...``): look up the ``request_id`` of an error."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def retrieve(self, id: str) -> RequestLog:
        return self._requester.request("GET", "/v1/requests/" + path_segment(id), RequestLog.from_json)

    def list(
        self,
        *,
        status: Union[str, int, None] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Page[RequestLog]:
        """One page, newest first. ``status`` filters: ``"4xx"``, ``"5xx"`` or an exact code such as ``404``."""
        return self._list(
            {"status": status, "limit": limit, "starting_after": starting_after, "ending_before": ending_before}
        )

    def iter(
        self,
        *,
        status: Union[str, int, None] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
        ending_before: Optional[str] = None,
    ) -> Iterator[RequestLog]:
        return _auto_paging(
            self._list,
            {"status": status, "limit": limit, "starting_after": starting_after, "ending_before": ending_before},
        )

    def _list(self, params: Dict[str, Any]) -> Page[RequestLog]:
        return self._requester.request(
            "GET", "/v1/requests", lambda data: page_from_json(data, RequestLog.from_json), query=params
        )

