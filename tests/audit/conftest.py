import pytest

from audit.models import ChainHead
from tests.audit.helpers import tamper


@pytest.fixture(autouse=True)
def empty_log(db):
    """Each test starts a new chain (migrate's role groups wrote the first rows of the test database)."""
    tamper("DELETE FROM audit_auditevent")
    ChainHead.objects.all().delete()
