"""A careful HTTP GET for collecting: timeouts, bounded retries with backoff, a per-host
rate limit, conditional requests, a body size cap, http/https only and bounded redirects.

Redirects are followed here, not by httpx, so that every hop is checked (scheme, loop,
count) and rate-limited like a first request.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_USER_AGENT = "deportdata-collect/0.1 (open research dataset of news on deportations)"


@dataclass(frozen=True)
class HttpPolicy:
    """How politely and defensively to fetch. Tests shrink every delay."""

    timeout: float = 20.0
    """Seconds allowed to connect, and between two reads of the body."""
    max_seconds: float = 60.0
    """Wall-clock limit for one response (a server dripping bytes cannot hold a run)."""
    retries: int = 3
    """Extra attempts after a 5xx, a timeout or a connection error (never after a 4xx)."""
    backoff: float = 1.0
    """Wait before the first retry; doubled for each further one."""
    backoff_max: float = 30.0
    per_host_interval: float = 1.0
    """Minimum seconds between the starts of two requests to the same host."""
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    trust_env: bool = True
    """Honour HTTP(S)_PROXY / NO_PROXY from the environment."""

    def __post_init__(self) -> None:
        numbers = {
            "timeout": self.timeout,
            "max_seconds": self.max_seconds,
            "backoff": self.backoff,
            "backoff_max": self.backoff_max,
            "per_host_interval": self.per_host_interval,
        }
        for name, value in numbers.items():
            if value < 0:
                raise ValueError(f"{name} must not be negative (got {value})")
        if self.timeout == 0 or self.max_seconds == 0:
            raise ValueError("timeout and max_seconds must be positive")
        if self.retries < 0 or self.max_redirects < 0 or self.max_bytes <= 0:
            raise ValueError("retries and max_redirects must be >= 0 and max_bytes > 0")

    def backoff_before(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        return min(self.backoff_max, self.backoff * 2 ** (retry - 1))


@dataclass(frozen=True)
class Response:
    url: str
    """The URL asked for."""
    final_url: str
    """The URL that answered, after redirects."""
    status: int
    headers: Mapping[str, str]
    """Response headers of the final hop, names lower-cased."""
    content: bytes
    fetched_at: datetime.datetime
    attempts: int = 1

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def media_type(self) -> str:
        return media_type(self.content_type)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """A URL that could not be fetched, with a reason a person can act on."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, permanent: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.permanent = permanent
        """True when trying again later cannot help (4xx, bad scheme, too large, redirect loop)."""


class _Retryable(Exception):
    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_url(url: str) -> str | None:
    """Why this URL must not be fetched, or None when it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as err:
        return f"invalid URL ({err})"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"unsupported URL scheme '{parts.scheme or '(none)'}' (only http and https)"
    if not host:
        return "URL has no host"
    return None


class HostRateLimiter:
    """At most one request start per host every `interval` seconds (thread-safe)."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, url: str) -> None:
        if self.interval <= 0:
            return
        host = (urlsplit(url).netloc or "").lower()
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            self._sleep(start - now)


@dataclass
class HttpClient:
    """GET with the safety rules of an `HttpPolicy`. Use as a context manager."""

    policy: HttpPolicy = field(default_factory=HttpPolicy)
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)

    def __post_init__(self) -> None:
        self.rate_limiter = HostRateLimiter(self.policy.per_host_interval, sleep=self.sleep)
        timeout = httpx.Timeout(self.policy.timeout)
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=self.policy.trust_env,
            transport=self.transport,
            headers={"User-Agent": self.policy.user_agent},
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        accept_media: Callable[[str], bool] | None = None,
    ) -> Response:
        """Fetch `url`, following at most `max_redirects` redirects.

        `etag` / `last_modified` make the request conditional: a 304 comes back as a
        `Response` with `not_modified` set and no content. `accept_media` rejects a 2xx
        response by its media type before its body is read. Raises `FetchError`.
        """
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        visited = [url]
        total_attempts = 0
        while True:
            problem = check_url(current)
            if problem:
                where = "" if current == url else f" (redirected from {url})"
                raise FetchError(url, f"{problem}: {current}{where}", permanent=True)
            status, response_headers, content, attempts = self._get_with_retries(url, current, headers, accept_media)
            total_attempts += attempts
            if status in REDIRECT_STATUSES:
                location = response_headers.get("location")
                if not location:
                    raise FetchError(url, f"HTTP {status} redirect without a Location header", status=status,
                                     permanent=True)
                target = urljoin(current, location.strip())
                if target in visited:
                    chain = " -> ".join([*visited, target])
                    raise FetchError(url, f"redirect loop: {chain}", status=status, permanent=True)
                if len(visited) > self.policy.max_redirects:
                    raise FetchError(url, f"too many redirects (more than {self.policy.max_redirects})",
                                     status=status, permanent=True)
                visited.append(target)
                current = target
                continue
            return Response(
                url=url,
                final_url=current,
                status=status,
                headers=response_headers,
                content=content,
                fetched_at=self.now(),
                attempts=total_attempts,
            )

    # ------------------------------------------------------------------ one hop

    def _get_with_retries(
        self,
        original: str,
        url: str,
        headers: dict[str, str],
        accept_media: Callable[[str], bool] | None,
    ) -> tuple[int, dict[str, str], bytes, int]:
        attempts = 0
        while True:
            attempts += 1
            try:
                status, response_headers, content = self._get_once(original, url, headers, accept_media)
                return status, response_headers, content, attempts
            except _Retryable as err:
                if attempts > self.policy.retries:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise FetchError(original, f"{err.reason}{tries}", status=err.status) from None
                wait = self.policy.backoff_before(attempts)
                if err.retry_after is not None:
                    wait = max(wait, min(err.retry_after, self.policy.backoff_max))
                self.sleep(wait)

    def _get_once(
        self,
        original: str,
        url: str,
        headers: dict[str, str],
        accept_media: Callable[[str], bool] | None,
    ) -> tuple[int, dict[str, str], bytes]:
        policy = self.policy
        self.rate_limiter.wait(url)
        started = time.monotonic()
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if status >= 500:
                    raise _Retryable(
                        f"HTTP {status} {response.reason_phrase}".rstrip(),
                        status=status,
                        retry_after=_retry_after(response_headers.get("retry-after")),
                    )
                if status in REDIRECT_STATUSES or status == 304:
                    return status, response_headers, b""
                if status >= 400:
                    # Not retried now; 408 and 429 are worth trying on a later run, other 4xx are not.
                    raise FetchError(
                        original,
                        f"HTTP {status} {response.reason_phrase}".rstrip(),
                        status=status,
                        permanent=status not in (408, 429),
                    )
                if not 200 <= status < 300:
                    raise FetchError(original, f"unexpected HTTP status {status}", status=status, permanent=True)
                kind = media_type(response_headers.get("content-type"))
                if accept_media is not None and not accept_media(kind):
                    raise FetchError(
                        original, f"unsupported content type '{kind or '(none)'}'", status=status, permanent=True
                    )
                declared = _int_or_none(response_headers.get("content-length"))
                if declared is not None and declared > policy.max_bytes:
                    raise FetchError(
                        original,
                        f"body too large: {declared} bytes declared, limit {policy.max_bytes}",
                        status=status,
                        permanent=True,
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():  # decoded bytes: a gzip bomb counts in full
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise FetchError(
                            original,
                            f"body too large: more than {policy.max_bytes} bytes",
                            status=status,
                            permanent=True,
                        )
                    if time.monotonic() - started > policy.max_seconds:
                        raise _Retryable(f"download took longer than {policy.max_seconds:g} s")
                    chunks.append(chunk)
                return status, response_headers, b"".join(chunks)
        except httpx.TimeoutException as err:
            raise _Retryable(f"timed out ({type(err).__name__}, limit {policy.timeout:g} s)") from None
        except httpx.TransportError as err:
            # Connection refused or reset, DNS failure, broken chunked encoding, bad gzip...
            raise _Retryable(f"connection error: {type(err).__name__}: {err}".rstrip(": ")) from None
        except httpx.InvalidURL as err:
            raise FetchError(original, f"invalid URL: {err}", permanent=True) from None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    seconds = _int_or_none(value.strip())
    if seconds is not None:
        return float(max(0, seconds))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())
