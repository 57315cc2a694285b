"""How people and integrations sign in: two-factor sign-in (two_factor), API tokens (tokens),
lockout after failed sign-ins (lockout), the end of browser sessions (sessions), and the
middleware and pages that put these rules in front of every request."""
