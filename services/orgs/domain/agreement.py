"""OR-18: the data processing agreement between the provider and an organization, naming the
organization, for its administrators and legal representatives to read and download."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.principal import Principal

from .organizations import managing

TITLE = "Data processing agreement (Art. 28 GDPR, Art. 9 revFADP)"


def agreement_for(uow, caller: Principal, org_id: str) -> tuple[str, list[str]]:
    org, _ = managing(uow, caller, org_id)
    address = ", ".join(part for part in (" ".join(p for p in (org.street, org.house_number) if p),
                                          " ".join(p for p in (org.postcode, org.town) if p), org.country) if part)
    return TITLE, [
        "between the hosting provider (the processor)",
        f"and {org.name} (the controller)",
        f"address: {address or 'not given yet'}",
        f"organization id: {org.id}",
        f"VAT ID: {org.vat_id or 'not given'}",
        "",
        "1. The processor processes personal data only on the controller's documented instructions.",
        "2. Persons authorised to process the data are bound to confidentiality.",
        "3. The processor takes the technical and organisational measures of its security concept.",
        "4. Sub-processors are engaged only as listed and announced in advance.",
        "5. The processor assists the controller with data subjects' requests and with breaches.",
        "6. At the end of the service the data are deleted or returned, as the controller chooses.",
        "",
        f"Issued {iso_utc(uow.clock.now())[:10]}; valid for as long as the organization uses the services.",
    ]
