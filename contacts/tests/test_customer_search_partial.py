"""The customer search finds a customer by the last four digits of a number, by part of a number
and by the start of a customer ID, through indexes (the plans are asserted with EXPLAIN on a table
large enough for the planner to prefer them)."""

import pytest
from django.db import connection
from django.urls import reverse

from contacts.models import Customer, PhoneNumber
from contacts.selectors import partial_phone_digits
from contacts.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = reverse("contacts:customer_list")


def found(client, q):
    response = client.get(LIST, {"q": q})
    assert response.status_code == 200
    return {c.external_id for c in response.context["page"].object_list}


@pytest.mark.parametrize(
    "query, digits",
    [
        ("5678", "5678"),
        ("1234-5678", "12345678"),
        ("090-1234", "901234"),
        ("０９０－１２３４", "901234"),
        ("12", ""),
        ("山田", ""),
    ],
)
def test_the_digits_looked_for_in_stored_numbers(query, digits):
    assert partial_phone_digits(query) == digits


def test_last_four_digits_part_of_a_number_and_id_prefix(login, supervisor):
    CustomerFactory(external_id="C000123", phones=["090-1234-5678"])
    CustomerFactory(external_id="C000124", phones=["03-9999-1111"])
    CustomerFactory(external_id="D777", phones=["080-5555-0000"])
    client = login(supervisor)
    assert found(client, "5678") == {"C000123"}
    assert found(client, "090-1234") == {"C000123"}
    assert found(client, "1234-5678") == {"C000123"}
    assert found(client, "9999") == {"C000124"}
    assert found(client, "C0001") == {"C000123", "C000124"}
    assert found(client, "D7") == {"D777"}
    assert found(client, "4321") == set()


@pytest.fixture
def many_customers(db):
    """20,000 customers with a number each, loaded in one statement and analysed, as a center's
    table would be (autovacuum is off: ANALYZE by hand)."""
    customers = [Customer(external_id=f"K{n:07d}", name=f"顧客{n}", time_zone="Asia/Tokyo") for n in range(20000)]
    Customer.objects.bulk_create(customers, batch_size=5000)
    ids = list(Customer.objects.filter(external_id__startswith="K").values_list("pk", flat=True))
    PhoneNumber.objects.bulk_create(
        [PhoneNumber(customer_id=pk, number=f"+8190{n:08d}", raw="", is_primary=True) for n, pk in enumerate(ids)],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        # The suite's earlier tests leave dead entries in the trigram index (rolled back, and no
        # autovacuum here), which can double its estimated cost; a center's vacuumed index has none.
        cursor.execute("REINDEX INDEX phone_number_trgm")
        cursor.execute("ANALYZE contacts_customer; ANALYZE contacts_phonenumber")


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_part_of_a_number_and_an_id_prefix_are_read_through_indexes(many_customers, login, supervisor):
    shape = plan(PhoneNumber.objects.filter(number__contains="12345").values("customer_id"))
    assert "phone_number_trgm" in shape and "Seq Scan" not in shape, shape
    shape = plan(Customer.objects.filter(external_id__startswith="K00123").values("pk"))
    assert "Index" in shape and "external_id" in shape and "Seq Scan" not in shape, shape
    assert "K0012345" in found(login(supervisor), "0012-345")
