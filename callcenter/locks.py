"""The table of PostgreSQL advisory locks: every kind of advisory lock the project takes has its
namespace here, the first of the two keys it is taken with (namespace, key), so two kinds of lock
never share a key by accident (an unrelated lock would then make one wait for, or
skip, the other). Each app takes its advisory locks only in its lock module (campaigns/locks.py,
contacts/locks.py), with a namespace from this table; callcenter/tests/test_locks.py checks both.
What each lock is for: docs/architecture.md#advisory-locks."""

import enum


@enum.unique  # a namespace written twice fails at import
class AdvisoryLock(enum.IntEnum):
    """Namespaces, and what the second key of each is."""

    # campaigns
    CUSTOMER_DISPATCH = 5_105_001  # a dispatch deciding about a customer (customer id)
    OPERATOR_WORK = 5_105_002  # an operator's dispatch, outcome, state change, hold release (operator id)
    CAMPAIGN_LISTS = 5_105_003  # builds and recycles of one campaign's lists (campaign id)
    # contacts
    RUNNING_IMPORT = 5_105_101  # a worker running an import job (job id; session-level)
    STARTING_IMPORT = 5_105_102  # queuing the import of one upload (hashtext of its path)
    DNC_REQUEST = 5_105_103  # one do-not-call request (hashtext of number|customer|campaign)
    ERASED_NUMBERS = 5_105_104  # erasures (exclusive) against numbers being stored (shared); key 0
    KEPT_UPLOADS = 5_105_105  # rewriting or deleting the kept files of past imports; key 0
