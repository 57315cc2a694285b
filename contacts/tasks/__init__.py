# Celery's autodiscovery imports this package; each area keeps its tasks in its own module.
from . import imports  # noqa: F401
