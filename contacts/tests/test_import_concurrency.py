"""Imports racing with each other and with the do-not-call registry, and customer edits racing each other
(real transactions, threads)."""

import threading

import pytest
from django.utils import translation

from conftest import a_lock_is_waited_for, in_thread, race
from contacts.imports.loaders import CustomerLoader
from contacts.models import Customer, DoNotCall
from contacts.services.dnc import is_blocked, register_dnc
from contacts.tests.factories import CustomerFactory
from contacts.tests.factories_imports import HEADER, ROWS, csv_file, run_import


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    # Committed transactions would send the import task to the broker, where another worker may
    # listen; the tests run the import themselves (run_import), so nothing is sent.
    monkeypatch.setattr("contacts.tasks.imports.run_import_job", NotSent())
    with translation.override("en"):
        yield


class NotSent:
    def delay(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_two_dnc_imports_of_the_same_list_at_once_add_each_number_once(supervisor, monkeypatch):
    from contacts.imports.loaders import DncLoader

    numbers = [["電話番号"]] + [[f"090-{n:04d}-{n:04d}"] for n in range(1000, 1200)]
    both_running = threading.Barrier(2, timeout=30)
    begin = DncLoader.begin

    def begin_together(self, cursor):
        both_running.wait()  # both transactions are open before either writes
        begin(self, cursor)

    monkeypatch.setattr(DncLoader, "begin", begin_together)

    def import_list():
        with translation.override("en"):
            return run_import(supervisor, csv_file(numbers, name="dnc.csv"), kind="dnc")

    first, second = in_thread(import_list), in_thread(import_list)
    jobs = [first(), second()]
    assert sorted(job.created_count for job in jobs) == [0, 200]
    assert sorted(job.unchanged_count for job in jobs) == [0, 200]
    assert DoNotCall.objects.filter(revoked_at=None).count() == 200


DNC_LIST = [["電話番号"], ["090-5555-0001"], ["090-5555-0002"], ["090-5555-0003"]]


@pytest.mark.django_db(transaction=True)
def test_an_operator_registers_an_opt_out_at_once_while_a_dnc_list_is_imported(supervisor, monkeypatch):
    """The registry is not locked while an import reads and checks its chunks: an operator's "do
    not call me" (outcomes → register_dnc) is stored at once, not after the whole import. The
    import then leaves that number alone (already registered), so it stays one entry."""
    from contacts.imports.loaders import DncLoader

    chunk_applied, resume_import = threading.Event(), threading.Event()
    apply_chunk = DncLoader.apply_chunk

    def pause_after_chunk(self, cursor, table):
        apply_chunk(self, cursor, table)
        chunk_applied.set()
        assert resume_import.wait(timeout=30)

    monkeypatch.setattr(DncLoader, "apply_chunk", pause_after_chunk)
    finish_import = in_thread(run_import, supervisor, csv_file(DNC_LIST, name="dnc.csv"), kind="dnc")
    try:
        assert chunk_applied.wait(timeout=30)
        registered = threading.Event()

        def register():
            entry = register_dnc(by=supervisor, phone="090-5555-0002", reason="customer_request", source="operator")
            registered.set()
            return entry

        finish_register = in_thread(register)
        assert registered.wait(timeout=5), "register_dnc waited for the import"
    finally:
        resume_import.set()
    entry = finish_register()
    job = finish_import()
    assert (job.created_count, job.unchanged_count) == (2, 1)
    assert list(DoNotCall.objects.filter(phone_number="+819055550002").values_list("pk", flat=True)) == [entry.pk]
    assert DoNotCall.objects.filter(revoked_at=None).count() == 3


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_registered_while_an_import_adds_the_same_number_stays_one_entry(supervisor, monkeypatch):
    """register_dnc arrives while the import's final INSERT … SELECT holds the registry's lock and
    has not committed yet: it waits, then finds the import's entry and returns it."""
    from contacts.services import imports

    added, resume_import = threading.Event(), threading.Event()
    finish = imports._finish

    def pause_before_commit(job_id, counts):
        added.set()
        assert resume_import.wait(timeout=30)
        return finish(job_id, counts)

    monkeypatch.setattr(imports, "_finish", pause_before_commit)
    finish_import = in_thread(run_import, supervisor, csv_file(DNC_LIST, name="dnc.csv"), kind="dnc")
    try:
        assert added.wait(timeout=30)
        finish_register = in_thread(
            register_dnc, by=supervisor, phone="090-5555-0002", reason="customer_request", source="operator"
        )
        assert a_lock_is_waited_for()  # register_dnc waits for the import's lock on the registry
    finally:
        resume_import.set()
    job = finish_import()
    entry = finish_register()
    assert job.created_count == 3
    active = DoNotCall.objects.filter(phone_number="+819055550002", revoked_at=None)
    assert list(active.values_list("pk", flat=True)) == [entry.pk]
    assert entry.source == "import"


@pytest.mark.django_db(transaction=True)
def test_a_number_imported_while_its_old_entry_is_being_revoked_stays_blocked(supervisor, monkeypatch):
    """A supervisor revokes an old entry for a number while a DNC list with that number is
    imported. The import must not count the number as already registered by the entry being
    revoked: once both have committed, the number is blocked. The revocation is paused after it
    locked its entry and before it writes (up to a second, until the import's check has run), so
    without the registry lock the import checks in between."""
    from contacts.imports.loaders import DncLoader
    from contacts.services.dnc import revoke_dnc
    from contacts.tests.factories import DoNotCallFactory

    old = DoNotCallFactory(phone_number="+819055550002")
    import_checked, revoke_locked = threading.Event(), threading.Event()
    finish = DncLoader.finish

    def signal_after_check(self, cursor):
        counts = finish(self, cursor)
        import_checked.set()
        return counts

    monkeypatch.setattr(DncLoader, "finish", signal_after_check)
    save = DoNotCall.save

    def pause_before_writing(self, *args, **kwargs):
        if self.pk == old.pk:
            revoke_locked.set()
            import_checked.wait(timeout=1)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(DoNotCall, "save", pause_before_writing)
    finish_revoke = in_thread(revoke_dnc, entry=old, by=supervisor, reason="entered by mistake")
    assert revoke_locked.wait(timeout=30)
    job = run_import(supervisor, csv_file(DNC_LIST, name="dnc.csv"), kind="dnc")
    finish_revoke()

    assert is_blocked(phone="+819055550002")
    assert job.created_count == 3


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_registered_while_an_import_runs_still_blocks(supervisor, monkeypatch):
    """A supervisor registers a DNC request for a number while the import that brings the
    customer with that number is half way: the new customer is blocked afterwards."""
    first_chunk_applied = threading.Event()
    opt_out_registered = threading.Event()
    apply_chunk = CustomerLoader.apply_chunk

    def slow_apply_chunk(self, cursor, table):
        apply_chunk(self, cursor, table)
        first_chunk_applied.set()
        assert opt_out_registered.wait(timeout=30)

    monkeypatch.setattr(CustomerLoader, "apply_chunk", slow_apply_chunk)
    finish_import = in_thread(run_import, supervisor, csv_file())
    assert first_chunk_applied.wait(timeout=30)
    entry = register_dnc(by=supervisor, phone="090-1111-2222", reason="customer_request", source="inbound")
    opt_out_registered.set()
    job = finish_import()
    assert job.created_count == 3
    customer = Customer.objects.get(external_id="C0001")  # has 090-1111-2222 in the file
    assert is_blocked(customer=customer)
    assert DoNotCall.objects.get(pk=entry.pk).revoked_at is None


@pytest.mark.django_db
def test_reimporting_a_customer_never_undoes_an_opt_out(supervisor):
    run_import(supervisor, csv_file())
    customer = Customer.objects.get(external_id="C0001")
    register_dnc(by=supervisor, customer=customer, reason="customer_request", source="operator")
    changed = [HEADER, list(ROWS[0])]
    changed[1][9] = "10"
    job = run_import(supervisor, csv_file(changed))
    assert job.updated_count == 1
    assert is_blocked(customer=customer)


@pytest.mark.django_db(transaction=True)
def test_a_customer_created_meanwhile_is_updated_not_duplicated(supervisor, monkeypatch):
    """Someone creates a customer with an ID of the file while the import runs (after it has
    started its transaction): the import updates that customer; nothing fails or is duplicated."""
    from contacts.imports import loaders

    original = loaders.CustomerLoader._prepare_upsert

    def create_competitor_first(self):
        original(self)
        in_thread(CustomerFactory, external_id="C0002", name="先に登録", phone=False)()

    monkeypatch.setattr(loaders.CustomerLoader, "_prepare_upsert", create_competitor_first)
    job = run_import(supervisor, csv_file())
    assert job.status == "done"
    assert Customer.objects.filter(external_id="C0002").count() == 1
    assert Customer.objects.get(external_id="C0002").name == "佐藤 花子"
    assert (job.created_count + job.updated_count) == 3


@pytest.mark.django_db(transaction=True)
def test_a_job_delivered_twice_while_it_runs_is_run_once(supervisor, monkeypatch):
    """Celery redelivers an unacknowledged task (acks_late) while the first worker still runs it.
    The second delivery must leave the running job alone: not reset its progress, not read and
    write the whole file a second time, and (were it to fail) not mark the finished job failed."""
    from contacts.services import imports

    upload = imports.receive_upload(uploaded_file=csv_file(), kind="customers")
    job = imports.start_import(upload=upload, mapping=None, by=supervisor)
    first_chunk, resume = threading.Event(), threading.Event()
    apply_chunk, pipelines = CustomerLoader.apply_chunk, []
    run_pipeline = imports.run_pipeline

    def pause_after_chunk(self, cursor, table):
        apply_chunk(self, cursor, table)
        first_chunk.set()
        resume.wait(timeout=10)

    def counted_pipeline(**kwargs):
        pipelines.append(1)
        return run_pipeline(**kwargs)

    monkeypatch.setattr(CustomerLoader, "apply_chunk", pause_after_chunk)
    monkeypatch.setattr(imports, "run_pipeline", counted_pipeline)
    finish_first = in_thread(imports.run_import, job_id=job.pk)
    try:
        assert first_chunk.wait(timeout=30)
        # A second run would write the same customers and wait for the first one's rows, until
        # the first one goes on by itself (after 10 s), so the test ends either way.
        second = in_thread(imports.run_import, job_id=job.pk)()
    finally:
        resume.set()
    first = finish_first()
    assert second is None
    assert len(pipelines) == 1
    assert (first.status, first.created_count) == ("done", 3)
    assert Customer.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_starting_one_upload_twice_at_once_queues_one_job(supervisor):
    """A double click on "start the import" (or a retried request): both get the same job."""
    from contacts.models import ImportJob
    from contacts.services import imports

    upload = imports.receive_upload(uploaded_file=csv_file(), kind="customers")

    def start():
        return imports.start_import(upload=upload, mapping=None, by=supervisor).pk

    results = race([start] * 4)
    assert not [result for result in results if isinstance(result, Exception)], results
    jobs = set(results)

    assert len(jobs) == 1
    assert ImportJob.objects.count() == 1
    assert imports.start_import(upload=upload, mapping=None, by=supervisor).pk in jobs  # later, too
    from callcenter.models import AuditEvent

    assert AuditEvent.objects.filter(action="import.start").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_edits_of_one_customers_phones_at_once_both_succeed(supervisor):
    """Two people save a customer's phone numbers at the same moment: both saves go through, one
    after the other (before, the second inserted the same new number and was told the customer
    ID already exists)."""
    from contacts.services.customers import update_customer

    customer = CustomerFactory(phone="090-1000-0000")
    lists = [
        [{"number": "090-1000-0000", "kind": "mobile"}, {"number": "03-1234-5678", "kind": "home"}],
        [
            {"number": "090-1000-0000", "kind": "mobile"},
            {"number": "03-1234-5678", "kind": "home"},
            {"number": "080-2222-3333", "kind": "mobile"},
        ],
    ]
    for round_ in range(12):

        def edit(phones):
            fresh = Customer.objects.get(pk=customer.pk)
            update_customer(customer=fresh, by=supervisor, phones=phones)
            return True

        assert race([lambda: edit(lists[0]), lambda: edit(lists[1])]) == [True, True], round_
        numbers = set(Customer.objects.get(pk=customer.pk).phones.values_list("number", flat=True))
        assert numbers in ({"+819010000000", "+81312345678"}, {"+819010000000", "+81312345678", "+818022223333"})
        update_customer(
            customer=Customer.objects.get(pk=customer.pk),
            by=supervisor,
            phones=[{"number": "090-1000-0000", "kind": "mobile"}],
        )
