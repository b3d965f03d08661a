"""Every option in the argument specs of the roles site.yml checks on this host
gets a wrong value derived from its spec (a type it cannot be converted from,
a value outside its choices), and site.yml refuses each one before any host
changes, with a message line that leads with the option's name.

The data tier's roles (postgresql, pgbackrest, redis) are checked the same
way, with app1 put in the db and cache groups too by a second inventory
source: their preflight plays then run on it, and refuse before any role has
changed it (so it never gets PostgreSQL or Redis).

A new option is covered without a new test line. Runs are batched: every wrong
value goes in at once; the preflight play stops at the first task that finds
one (any_errors_fatal), naming every option that task refuses; those are taken
out and site.yml runs again with the rest, until none is left. A run that
refuses nothing still in the batch, or gets past the preflight, fails the test.
The rules that argument specs cannot state (ranges, formats) are the cases of
test_bad_input.py.
"""

import re

import pytest
import yaml
from labtest import PROJECT, Marker, failure_messages, run_playbook
from test_bad_input import VALID

testinfra_hosts = ["app1"]

# The roles whose inputs site.yml's preflight checks on app1 (groups app and
# lb), and the data tier's, checked once app1 is in the db and cache groups too.
ROLES = ["rollout", "common", "hardening", "firewall", "python", "app", "gunicorn", "nginx", "certbot"]
DATA_ROLES = ["postgresql", "pgbackrest", "redis"]
DATA_GROUPS = "db:\n  hosts:\n    app1:\ncache:\n  hosts:\n    app1:\n"
# The data tier's passwords (a real inventory has them in vault); never printed.
DATA_VALID = {
    "vault_postgresql_app_password": "spec-test-pg-0123456789abcdef",
    "vault_redis_password": "spec-test-redis-0123456789",
}
NOT_A_CHOICE = "not-one-of-the-choices"
# How Ansible's argument spec validation, and the roles' own rules, lead a message.
LEADS = [
    r"^argument '(\w+)' is of type",
    r"^value of (\w+) must be one of",
    r"^(\w+) \(",
]


def wrong_value(option: dict):
    """A value the spec refuses, or None when the spec's type accepts anything (str, path, raw)."""
    kind = option.get("type", "str")
    if "choices" in option:
        return [NOT_A_CHOICE] if kind == "list" else NOT_A_CHOICE
    return {
        "int": "not-a-number",
        "float": "not-a-number",
        "bool": "maybe",
        "list": {"not": "a list"},
        "dict": "not a dict",
    }.get(kind)


def derived(roles: list[str]) -> dict:
    """{option: wrong value} over the preflight entry point of each role."""
    values = {}
    for role in roles:
        spec = yaml.safe_load((PROJECT / "roles" / role / "meta/argument_specs.yml").read_text())
        options = spec["argument_specs"]["preflight"]["options"]
        for name, option in options.items():
            value = wrong_value(option)
            if value is not None:
                values[name] = value
    return values


def named(messages: list[str], left: set[str]) -> set[str]:
    """The options still left that a message line leads with."""
    found = set()
    for message in messages:
        for line in message.splitlines():
            for lead in LEADS:
                match = re.match(lead, line.strip())
                if match and match[1] in left:
                    found.add(match[1])
    return found


def test_the_specs_give_wrong_values_for_every_role():
    values = derived(ROLES + DATA_ROLES)
    for role in ROLES + DATA_ROLES:
        assert any(name.startswith(role) for name in values), role
    # Wrong types (for int, bool, list and dict options) and choices.
    assert {"not-a-number", "maybe", NOT_A_CHOICE, "not a dict"} <= {v for v in values.values() if isinstance(v, str)}
    assert {"not": "a list"} in values.values()
    assert len(values) >= 90, len(values)


@pytest.mark.parametrize("tier", ["app and web", "data"])
def test_every_derived_wrong_value_is_refused_by_name_before_any_change(host, tier, tmp_path):
    if tier == "data":
        values, valid = derived(DATA_ROLES), VALID | DATA_VALID
        groups = tmp_path / "data-groups.yml"
        groups.write_text(DATA_GROUPS)
        args = ["-i", str(groups)]
    else:
        values, valid, args = derived(ROLES), VALID, []
    left = set(values)
    runs = []
    with Marker(host) as changed:
        while left:
            run = run_playbook(
                PROJECT / "playbooks/site.yml", *args, extra=valid | {k: values[k] for k in left}, timeout=300
            )
            assert run.rc != 0, run.tail()
            assert run.recap()["app1"]["changed"] == 0, run.recap()
            refused = named(failure_messages(run.output), left)
            if not refused:
                shown = "\n".join(failure_messages(run.output)) or run.tail()
                pytest.fail(f"site.yml refused none of {sorted(left)} by name; it said:\n{shown}", pytrace=False)
            runs.append(sorted(refused))
            left -= refused
            for secret in DATA_VALID.values():
                assert secret not in run.output
        assert changed() == []
    # Batched: far fewer runs than options.
    assert len(runs) < len(values) / 3, runs
