from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import (AuthorizationCodes, OAuthClients, OAuthConsents, OAuthGrants, OAuthRefreshTokens,
                         TokenFamilies)
from .repository import Memberships, Organizations, RefreshTokens, SignInSessions, Users
from .repository import AccountClosures, AccountSettingsRepository, EmailChanges, PersonalData
from .repository import (Activity, AlertSettingsRepository, AppPasswords, FailedSignIns, KnownLocations, RecoveryCodes,
                         SecondFactors, SignInChallenges)


class IdentityUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.users = Users(self.session)
        self.memberships = Memberships(self.session)
        self.organizations = Organizations(self.session)
        self.sessions = SignInSessions(self.session)
        self.refresh_tokens = RefreshTokens(self.session)
        self.account_settings = AccountSettingsRepository(self.session)
        self.email_changes = EmailChanges(self.session)
        self.closures = AccountClosures(self.session)
        self.personal_data = PersonalData(self.session)
        self.failed_sign_ins = FailedSignIns(self.session)
        self.known_locations = KnownLocations(self.session)
        self.activity = Activity(self.session)
        self.alert_settings = AlertSettingsRepository(self.session)
        self.second_factors = SecondFactors(self.session)
        self.recovery_codes = RecoveryCodes(self.session)
        self.challenges = SignInChallenges(self.session)
        self.app_passwords = AppPasswords(self.session)
        self.oauth_clients = OAuthClients(self.session)
        self.oauth_grants = OAuthGrants(self.session)
        self.oauth_consents = OAuthConsents(self.session)
        self.oauth_codes = AuthorizationCodes(self.session)
        self.oauth_families = TokenFamilies(self.session)
        self.oauth_refresh_tokens = OAuthRefreshTokens(self.session)
        return self
