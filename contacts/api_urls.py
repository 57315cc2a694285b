"""contacts routes under /api/v1/."""

from .urlconf import imports, registry

urlpatterns = [*registry.api_urlpatterns, *imports.api_urlpatterns]
