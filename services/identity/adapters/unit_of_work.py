from __future__ import annotations

from portico_kernel.uow import UnitOfWork, repository

from .repository import (AuthorizationCodes, OAuthClients, OAuthConsents, OAuthGrants, OAuthRefreshTokens,
                         TokenFamilies)
from .repository import Memberships, Organizations, RefreshTokens, SignInSessions, Users
from .repository import AccountClosures, AccountSettingsRepository, EmailChanges, PersonalData
from .repository import (Activity, AlertSettingsRepository, AppPasswords, FailedSignIns, KnownLocations, RecoveryCodes,
                         SecondFactors, SignInChallenges)


class IdentityUnitOfWork(UnitOfWork):
    users = repository(Users)
    memberships = repository(Memberships)
    organizations = repository(Organizations)
    sessions = repository(SignInSessions)
    refresh_tokens = repository(RefreshTokens)
    account_settings = repository(AccountSettingsRepository)
    email_changes = repository(EmailChanges)
    closures = repository(AccountClosures)
    personal_data = repository(PersonalData)
    failed_sign_ins = repository(FailedSignIns)
    known_locations = repository(KnownLocations)
    activity = repository(Activity)
    alert_settings = repository(AlertSettingsRepository)
    second_factors = repository(SecondFactors)
    recovery_codes = repository(RecoveryCodes)
    challenges = repository(SignInChallenges)
    app_passwords = repository(AppPasswords)
    oauth_clients = repository(OAuthClients)
    oauth_grants = repository(OAuthGrants)
    oauth_consents = repository(OAuthConsents)
    oauth_codes = repository(AuthorizationCodes)
    oauth_families = repository(TokenFamilies)
    oauth_refresh_tokens = repository(OAuthRefreshTokens)
