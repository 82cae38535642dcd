from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only by ``bench.settings``: gives ``manage.py seed_clinic`` and ``bench``."""

    name = "bench"
    verbose_name = "Benchmark"
