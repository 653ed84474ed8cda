"""Calls from the gateway to the services, over one pooled HTTP client per worker."""
from __future__ import annotations

import asyncio

import aiohttp

from portico_kernel import config


class Upstreams:
    def __init__(self, timeout: float = 30.0):
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=3)
        self.base_urls = {service: config.url_of(service) for service in config.SERVICES}

    @property
    def session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the worker's running event loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout,
                                                  auto_decompress=False, skip_auto_headers=("User-Agent",))
        return self._session

    async def request(self, service: str, method: str, path_qs: str, headers, body: bytes | None):
        """(status, headers, body) of the service's answer; raises UpstreamUnavailable."""
        try:
            async with self.session.request(method, self.base_urls[service] + path_qs, headers=headers,
                                            data=body, allow_redirects=False) as response:
                return response.status, response.headers, await response.read()
        except asyncio.TimeoutError as exc:
            raise UpstreamUnavailable(service, "did not answer in time", 504) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(service, "cannot be reached", 502) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class UpstreamUnavailable(Exception):
    def __init__(self, service: str, reason: str, status: int):
        super().__init__(f"The {service} service {reason}; please try again shortly.")
        self.service = service
        self.status = status
