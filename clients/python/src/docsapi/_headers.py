from typing import Dict, Iterable, Iterator, Mapping, Tuple, Union, cast


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive HTTP response headers.

    Iteration yields the names as the server spelled them; a header sent
    several times reads as its values joined with ", " (RFC 9110 §5.3).
    """

    def __init__(self, items: Union[Mapping[str, str], Iterable[Tuple[str, str]], None] = None) -> None:
        self._items: Dict[str, Tuple[str, str]] = {}
        pairs: Iterable[Tuple[str, str]]
        if isinstance(items, Mapping):
            pairs = cast(Mapping[str, str], items).items()
        else:
            pairs = items or ()
        for name, value in pairs:
            key = name.lower()
            if key in self._items:
                first_name, first_value = self._items[key]
                self._items[key] = (first_name, first_value + ", " + value)
            else:
                self._items[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return "Headers(%r)" % {name: value for name, value in self._items.values()}
