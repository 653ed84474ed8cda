from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Domains, Notices, Renewals
from .tld_file import tld_catalog


class DomainsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.domains = Domains(self.session)
        self.notices = Notices(self.session)
        self.renewals = Renewals(self.session)
        return self

    @property
    def catalog(self):
        """The TLD rules (data/tlds.yaml)."""
        return tld_catalog()

    def registry_for(self, tld: str):
        """The registry serving `tld` (adapters/registries.py: settings, one EPP session per registry)."""
        from .registries import registries
        return registries().registry_for(tld)

    def billing_currencies(self, org_ids) -> dict[str, str]:
        """The currency of each organization's billing account, as billing announced it."""
        return {}
