from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict:
    """Round trip through broker, worker and database: answers with the worker's DB name."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
    return {"pong": True, "database": database}


@shared_task
def delete_old_api_tokens() -> int:
    """API tokens expired or revoked more than a month ago are of no use even as a list (the audit
    trail keeps their creation and revocation)."""
    from .signin.tokens import delete_old_tokens

    return delete_old_tokens()


@shared_task
def create_partitions_ahead() -> dict:
    """This month's and the next months' partitions of the call attempts and the audit trail
    (callcenter.partitions.create_ahead): daily, so a missed day or two changes nothing."""
    from .partitions import create_ahead

    return create_ahead()
