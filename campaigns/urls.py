from .urlconf import console, kpis, setup

app_name = "campaigns"

urlpatterns = [*setup.urlpatterns, *console.urlpatterns, *kpis.urlpatterns]
