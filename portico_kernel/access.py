"""Authorization by organization: every object belongs to one organization, and a customer reaches
only the objects of the organization their token is for."""
from __future__ import annotations

from .principal import Principal
from .errors import Forbidden


def active_org(caller: Principal) -> str:
    """The organization a customer's request acts in; refused when the token names none."""
    if caller.org_id is None:
        raise Forbidden("This token acts for no organization; sign in again once your organization exists.",
                        problem="no-organization")
    return caller.org_id
