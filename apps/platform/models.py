"""The platform app has no models of its own: operators are ``tenants.User`` rows without a tenant."""
