"""The sandbox seeds its own Sign In App account from what it is given, and knows nothing of Tether's side."""
import subprocess
import sys
from pathlib import Path

from sandbox import demo
from sandbox.models import SandboxAccount, SandboxGroup, SandboxMember, SandboxPortalUser
from store.models import Organisation, Profile, SafetyCheckToken, SiaConnection


def test_sandbox_seeds_the_account_it_is_given_and_nothing_of_tethers(db):
    demo.seed_account(
        name="Hillside Trust",
        api_key="key-1",
        api_secret="secret-1",
        central_record_token="token-1",
        portal_users=[{"name": "Dawn Whitfield", "email": "d.whitfield@hillside.test", "role": "primary"}],
        groups=[
            {"name": "Staff", "type": "returning", "organisation_id": 7, "safety_check": "reject",
             "members": [{"personal_fields": {"name": "Ada Lovelace"}}, {"personal_fields": {"name": "Alan Turing"},
                                                                         "archived": True}]},
            {"name": "Visitors", "type": "non-returning"},
        ],
    )
    account = SandboxAccount.get()
    assert (account.name, account.api_key, account.central_record_token) == ("Hillside Trust", "key-1", "token-1")
    staff = SandboxGroup.get(SandboxGroup.name == "Staff")
    assert (staff.organisation_id, staff.safety_check) == (7, "reject")
    assert [(m.personal_fields["name"], m.archived) for m in SandboxMember.of_group(staff)] == [
        ("Ada Lovelace", False), ("Alan Turing", True)
    ]
    assert SandboxPortalUser.get().email == "d.whitfield@hillside.test"
    assert all(model.select().count() == 0 for model in (Organisation, Profile, SiaConnection, SafetyCheckToken))

    demo.wipe()
    assert demo.account_count() == 0 and SandboxMember.select().count() == 0


def test_sandbox_and_store_import_nothing_from_the_layers_above():
    code = (
        "import sys, sandbox.demo, store.models; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'compliance', 'sync', 'console', 'demo', 'flask_login'}))"
    )
    repository = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=repository, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
