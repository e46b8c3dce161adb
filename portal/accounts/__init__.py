"""Accounts and sessions: sign-in lockout, password rules, forced password change, password
reset, TOTP two-factor authentication, staff session expiry and "sign out everywhere"."""
