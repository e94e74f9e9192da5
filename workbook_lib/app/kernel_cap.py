"""The app's kernel manager: a cap on live kernels, so a flood of page requests cannot exhaust memory.

Every form page starts a kernel (150-250 MB). Past ``WORKBOOK_MAX_KERNELS`` live kernels (default 12, about 3 GB;
with ``--preheat`` the kernels kept waiting, one per notebook but the settings page's, count too), a new page is
answered 503 with a busy page that asks again by itself a few seconds later (share/.../503.html); kernels whose
page has gone (no websocket) are culled after an idle minute (``voila_command``), which frees places again. Voilà loads
this class by name (``--VoilaConfiguration.multi_kernel_manager_class``): only the Voilà process imports it.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError

DEFAULT_MAX_KERNELS = 12
BUSY = "The forms are busy: every place is taken. Please try again in a moment."


def max_kernels() -> int:
    try:
        return max(1, int(os.environ.get("WORKBOOK_MAX_KERNELS", DEFAULT_MAX_KERNELS)))
    except ValueError:
        return DEFAULT_MAX_KERNELS


class CappedKernelManager(AsyncMappingKernelManager):
    """Refuses to start a kernel past the cap (a page gets 503), instead of running out of memory."""

    _starting = 0  # kernels being started (not yet listed): requests arrive together

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        if kwargs.get("kernel_id") is not None:  # an existing kernel, restarted
            return await super().start_kernel(*args, **kwargs)
        if len(self.list_kernel_ids()) + self._starting >= max_kernels():
            self.log.warning("kernel cap reached (%d live): a page is told to try again", max_kernels())
            raise HTTPError(503, reason=BUSY, log_message=BUSY)  # the reason is the page's heading
        self._starting += 1
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
