"""The data tier as a careful operator checks it: PostgreSQL and Redis listen where
they should, with TLS, passwords and backups; every app host uses the same data."""

import json
import re

import pytest
from labtest import lab_host, psql

testinfra_hosts = ["db1"]

APPS = ["app1", "app2"]


def private_address(name: str) -> str:
    return lab_host(name).check_output("hostname -I").split()[0]


def test_postgresql_is_debians_own_for_the_release(host):
    # db1 runs Debian 12: PostgreSQL 15.
    assert host.package("postgresql-15").is_installed
    assert psql(host, "SHOW server_version")[0][0].startswith("15.")


def test_postgresql_listens_on_localhost_and_the_private_address_only(host):
    address = private_address("db1")
    assert host.socket(f"tcp://{address}:5432").is_listening
    assert host.socket("tcp://127.0.0.1:5432").is_listening
    assert not host.socket("tcp://0.0.0.0:5432").is_listening


def test_postgresql_requires_tls_and_scram_from_the_app_hosts_only(host):
    rules = psql(host, "SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules", "postgres")
    remote = [rule for rule in rules if rule[0].startswith("host") and rule[3] not in ("127.0.0.1", "::1")]
    assert sorted(rule[3] for rule in remote) == sorted(private_address(app) for app in APPS)
    assert {(rule[0], rule[1], rule[2], rule[4]) for rule in remote} == {
        ("hostssl", "{flaskapp}", "{flaskapp}", "scram-sha-256")
    }
    assert psql(host, "SHOW ssl")[0][0] == "on"
    assert psql(host, "SELECT rolpassword FROM pg_authid WHERE rolname = 'flaskapp'", "postgres")[0][0].startswith(
        "SCRAM-SHA-256$"
    )


def test_every_app_connection_is_encrypted(host):
    for app in APPS:
        lab_host(app).run_expect([0], "curl -sS --fail --max-time 5 http://127.0.0.1:8000/api/notes")
    rows = psql(
        host,
        "SELECT a.client_addr, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
        " WHERE a.usename = 'flaskapp'",
    )
    assert rows, "no app connection"
    assert {ssl for _, ssl in rows} == {"t"}, rows
    assert {addr for addr, _ in rows} <= {private_address(app) for app in APPS}


def test_memory_settings_are_sized_from_the_given_memory(host):
    # postgresql_memory_mb is 512 in this scenario: a quarter, three quarters.
    assert psql(host, "SHOW shared_buffers")[0][0] == "128MB"
    assert psql(host, "SHOW effective_cache_size")[0][0] == "384MB"


def test_wal_is_archived_and_pgbackrest_check_passes(host):
    assert psql(host, "SHOW archive_mode")[0][0] == "on"
    with host.sudo("postgres"):
        check = host.run("pgbackrest --stanza=main check")
    assert check.rc == 0, check.stdout + check.stderr
    archived = psql(host, "SELECT archived_count, failed_count, last_failed_wal FROM pg_stat_archiver")[0]
    assert int(archived[0]) > 0, archived


def test_provisioning_took_a_full_backup(host):
    with host.sudo("postgres"):
        info = json.loads(host.check_output("pgbackrest --stanza=main info --output=json"))
    assert info[0]["status"]["code"] == 0, info[0]["status"]
    assert [backup["type"] for backup in info[0]["backup"]][:1] == ["full"]


@pytest.mark.parametrize("kind", ["full", "diff"])
def test_backups_run_on_timers(host, kind):
    timer = host.service(f"pgbackrest-backup-{kind}.timer")
    assert timer.is_enabled and timer.is_running


def test_a_failed_backup_shows_as_a_failed_unit_with_its_reason_in_the_journal(host):
    unit = "pgbackrest-backup@diff.service"
    with host.sudo():
        # The repository refuses the backup user for a moment.
        host.run_expect([0], "chmod 000 /var/lib/pgbackrest")
        try:
            start = host.run(f"systemctl start {unit}")
            state = host.check_output(f"systemctl show -p ActiveState --value {unit}")
            journal = host.check_output(f"journalctl -u {unit} --no-pager -n 30 -o cat")
        finally:
            host.run("chmod 750 /var/lib/pgbackrest")
            host.run(f"systemctl reset-failed {unit}")
    assert start.rc != 0
    assert state == "failed"
    assert re.search(r"ERROR: \[\d+\]: .*(permission denied|unable to)", journal, re.I), journal


def test_redis_listens_on_localhost_and_the_private_address_with_a_password(host):
    address = private_address("db1")
    assert host.socket(f"tcp://{address}:6379").is_listening
    assert not host.socket("tcp://0.0.0.0:6379").is_listening
    assert "NOAUTH" in host.run(f"redis-cli -h {address} PING").stdout


def test_redis_memory_limit_and_eviction_are_set(host):
    with host.sudo():
        password = host.check_output("sed -n 's/^requirepass //p' /etc/redis/flaskops.conf")
        got = host.check_output(f"REDISCLI_AUTH={password} redis-cli CONFIG GET maxmemory-policy")
        memory = host.check_output(f"REDISCLI_AUTH={password} redis-cli CONFIG GET maxmemory")
    assert got.split() == ["maxmemory-policy", "allkeys-lru"]
    assert memory.split() == ["maxmemory", str(256 * 1024 * 1024)]


def test_the_passwords_are_readable_by_their_servers_only(host):
    with host.sudo():
        assert host.file("/etc/redis/flaskops.conf").mode == 0o640
        assert host.file("/etc/redis/flaskops.conf").group == "redis"
        assert host.file("/etc/pgbackrest.conf").mode == 0o640


@pytest.mark.parametrize("app", APPS)
def test_each_app_host_is_wired_to_the_shared_database_and_cache(app):
    env = lab_host(app)
    with env.sudo():
        settings = env.check_output("cat /srv/flaskapp/current/app.env")
    db1 = private_address("db1")
    assert re.search(
        rf"^DATABASE_URL='postgresql://flaskapp:[^@']+@{re.escape(db1)}:5432/flaskapp\?sslmode=require'$",
        settings,
        re.M,
    )
    assert re.search(rf"^REDIS_URL='redis://:[^@']+@{re.escape(db1)}:6379/0'$", settings, re.M)
    assert env.file("/srv/flaskapp/current/app.env").mode == 0o640


def test_the_schema_is_migrated_in_the_shared_database(host):
    assert psql(host, "SELECT count(*) FROM alembic_version")[0][0] == "1"
    assert psql(host, "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'")[0][0] == "flaskapp"


@pytest.mark.parametrize("app", APPS)
def test_no_app_host_keeps_a_database_of_its_own(app):
    assert not lab_host(app).file("/srv/flaskapp/shared/instance/flaskapp.db").exists
