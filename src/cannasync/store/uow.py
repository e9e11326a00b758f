"""The unit of work: one transaction, the repositories that share it, commit on success, rollback on error."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from cannasync.store.accounts import Accounts
from cannasync.store.bindings import Bindings
from cannasync.store.catalog.categories import CategoryTable
from cannasync.store.catalog.holds import Holds
from cannasync.store.catalog.products import Catalog
from cannasync.store.catalog.sync import CatalogSync
from cannasync.store.drift import DriftStore
from cannasync.store.health import Health
from cannasync.store.incidents import Incidents
from cannasync.store.loyalty import Loyalty
from cannasync.store.orders import Orders
from cannasync.store.outbox import Backoff, Outbox
from cannasync.store.runs import Runs
from cannasync.store.secrets import SecretBox
from cannasync.store.shopper_messages import ShopperMessages
from cannasync.store.throttle import Throttle
from cannasync.store.users import Users
from cannasync.store.wholesale import Wholesale


class UnitOfWork:
    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, backoff: Backoff = Backoff()) -> None:
        self._sessions = sessions
        self._box = box
        self._backoff = backoff

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.bindings = Bindings(self.session)
        self.accounts = Accounts(self.session, self._box)
        self.catalog = Catalog(self.session)
        self.categories = CategoryTable(self.session)
        self.catalog_sync = CatalogSync(self.session)
        self.holds = Holds(self.session)
        self.orders = Orders(self.session)
        self.outbox = Outbox(self.session, self._backoff)
        self.runs = Runs(self.session)
        self.loyalty = Loyalty(self.session)
        self.wholesale = Wholesale(self.session)
        self.health = Health(self.session)
        self.incidents = Incidents(self.session, self._box)
        self.users = Users(self.session)
        self.drift = DriftStore(self.session)
        self.messages = ShopperMessages(self.session)
        self.throttle = Throttle(self.session)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()


class Database:
    """What every layer above the store is handed: ``db.uow()`` opens a unit of work."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, backoff: Backoff = Backoff()) -> None:
        self.sessions = sessions
        self.box = box
        self.backoff = backoff

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.box, self.backoff)
