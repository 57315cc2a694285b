from .urlconf import imports, registry

app_name = "contacts"

urlpatterns = [*registry.urlpatterns, *imports.urlpatterns]
