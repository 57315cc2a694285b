"""campaigns routes under /api/v1/."""
from .urlconf import console, kpis, setup

urlpatterns = [*setup.api_urlpatterns, *console.api_urlpatterns, *kpis.api_urlpatterns]
