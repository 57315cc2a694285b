# Celery's autodiscovery imports this package; each area keeps its tasks in its own module.
from . import console, kpis, mail, setup  # noqa: F401
