from functools import lru_cache

from django.contrib.auth.hashers import make_password


@lru_cache(maxsize=32)
def hashed(password: str) -> str:
    """A real (Argon2) hash, computed once per password for the whole test session."""
    return make_password(password)
