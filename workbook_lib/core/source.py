"""Where one run's inputs come from: the files its parameters name, or the store. One :class:`RunSource` per run,
made where the run starts (a notebook's ``start``, ``workbook run``'s check, a form's parameters) and handed down
with the parameters (:func:`source_of`): the store is opened once, on first use, and closed when the run ends; a
form lends its own open store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbook_lib.core.store import Store


class RunSource:
    def __init__(self, from_store: bool, store_url: str | None = None, store: Store | None = None):
        self.from_store = from_store
        self.store_url = store_url
        self._store = store
        self._owned = store is None  # a store this source opened is closed by it; a lent one is not
        self.opened = 0  # how many times the store was opened (tests check once)

    @classmethod
    def for_params(cls, params: Any) -> RunSource:
        return cls(getattr(params, "source", "file") == "store", getattr(params, "store_url", None))

    @classmethod
    def lent(cls, params: Any, store: Store) -> RunSource:
        """The parameters' source with a store already open (a form's): read from it when they read the store."""
        return cls(getattr(params, "source", "file") == "store", store.url, store)

    def store(self) -> Store:
        """The store, opened on first use (StoreError when there is none)."""
        if self._store is None:
            from workbook_lib.core.store import Store  # lazy: SQLAlchemy, only for a run that reads the store

            self._store = Store(self.store_url, create=False)
            self.opened += 1
        return self._store

    def close(self) -> None:
        if self._store is not None and self._owned:
            self._store.close()
            self._store = None

    def __enter__(self) -> RunSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def source_of(params: Any) -> RunSource:
    """The run source the parameters carry; one made from them (and kept with them) when they carry none."""
    source = getattr(params, "_run_source", None)
    from_store = getattr(params, "source", "file") == "store"
    if source is None or source.from_store != from_store or (from_store and source.store_url not in (
            None, getattr(params, "store_url", None)) and source._owned):  # a copy told to read elsewhere
        source = RunSource.for_params(params)
        with_source(params, source)
    return source


def with_source(params: Any, source: RunSource) -> Any:
    """``params`` carrying ``source`` (kept by copies of them, so every step of the run shares it)."""
    params._run_source = source
    return params
