from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict:
    """Round trip through broker, worker and database: answers with the worker's DB name."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"pong": True, "database": database}
