/** Retry-After values above this many seconds are not waited out: the error is raised at once. */
const MAX_RETRY_AFTER_SECONDS = 60;
const INITIAL_BACKOFF_SECONDS = 0.5;
const MAX_BACKOFF_SECONDS = 8;

/**
 * Decides whether a call retries after a failed attempt, and how long it waits first.
 *
 * @param status the HTTP status, or null when the connection failed (refused, reset, timed out)
 * @param retriesDone how many retries this call already made (0 after the first attempt)
 * @param random a source of numbers in [0, 1), for the jitter
 * @returns the wait in milliseconds, or null when the call must not retry
 * @internal
 */
export function retryDelay(
  status: number | null,
  headers: Headers,
  retriesDone: number,
  maxRetries: number,
  random: () => number,
): number | null {
  // Only a connection failure, 429 and 5xx can succeed unchanged; any other 4xx would fail again.
  const retryable = status === null || status === 429 || (status >= 500 && status <= 599);
  if (!retryable || retriesDone >= maxRetries) return null;

  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) {
    const seconds = Number(retryAfter);
    // Waiting minutes inside a library call would look like a hang; let the caller decide.
    if (seconds > MAX_RETRY_AFTER_SECONDS) return null;
    return seconds * 1000;
  }

  const base = Math.min(INITIAL_BACKOFF_SECONDS * 2 ** retriesDone, MAX_BACKOFF_SECONDS);
  // Up to 25% jitter, downwards only, so that many clients failing together spread out.
  return base * (1 - 0.25 * random()) * 1000;
}
