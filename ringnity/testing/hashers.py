"""Password hashing for the test suite only (see ``ringnity.settings_test``)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with the smallest cost parameters: the same code path and ``argon2$`` hashes as
    production, without ~100 ms of CPU and 100 MiB of memory per hash and check."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
