"""When to retry and how long to wait: pure functions, no I/O, no clock."""

from typing import Mapping, Optional

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60


def parse_retry_after(headers: Mapping[str, str]) -> Optional[int]:
    """The Retry-After header as whole seconds, or None when absent or not a whole number.

    The HTTP-date form is deliberately ignored: it depends on the clocks of
    both sides agreeing, and the API only ever sends seconds.
    """
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    # isdigit() alone accepts non-ASCII digits such as "²".
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def should_retry(status: Optional[int], headers: Mapping[str, str], retries_done: int, max_retries: int) -> bool:
    """Whether a call retries after an attempt that ended with ``status``.

    ``status`` is None for a connection failure. Only 429, 5xx and
    connection failures are retried: any other 4xx would fail the same way
    again. A Retry-After over 60 s is not waited out.
    """
    if retries_done >= max_retries:
        return False
    if status is not None and status != 429 and not 500 <= status <= 599:
        return False
    retry_after = parse_retry_after(headers)
    return retry_after is None or retry_after <= MAX_RETRY_AFTER


def retry_delay(headers: Mapping[str, str], retries_done: int, rand: float) -> float:
    """Seconds to wait before the next attempt, given ``rand`` in [0, 1).

    Retry-After (0 to 60 s) is honoured exactly. Otherwise the backoff is
    0.5 s doubling per retry, capped at 8 s, minus up to 25 % jitter so that
    clients failing together don't retry in lockstep.
    """
    retry_after = parse_retry_after(headers)
    if retry_after is not None and retry_after <= MAX_RETRY_AFTER:
        return float(retry_after)
    # The exponent is bounded so a huge max_retries cannot overflow the float.
    base = min(INITIAL_DELAY * 2.0 ** min(retries_done, 32), MAX_DELAY)
    return base * (1.0 - 0.25 * rand)
