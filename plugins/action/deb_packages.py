"""deb_packages: Debian packages present, asking dpkg first and apt only for what is missing.

The one package mechanism every role uses (plugins/modules/deb_packages.py has
its documentation). A converged host costs one dpkg-query and no module: the
apt module opens the apt cache on every call (about half a CPU second) and,
an hour after the last update, fetches the package index again.
"""

from __future__ import annotations

import shlex

from ansible.plugins.action import ActionBase

# The apt module imports python3-apt, even under --check.
APT_BINDING = "python3-apt"

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "required": True},
    "install_recommends": {"type": "bool"},
    "cache_valid_time": {"type": "int", "default": 3600},
}

# The status of each named package on its own line: "installed nginx". Unknown
# names print nothing here (dpkg-query says so on stderr, and exits 1).
QUERY = "dpkg-query --show --showformat='${db:Status-Status} ${Package}\\n' "

# apt-get itself, for the binding the apt module needs: the module's own
# fallback (installing it on the fly) cannot run where modules are not files
# on the controller's disk (Mitogen).
BOOTSTRAP = (
    f"apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends {APT_BINDING}"
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        del tmp
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        names = args["name"]

        probe = self._low_level_execute_command(QUERY + " ".join(map(shlex.quote, [APT_BINDING, *names])))
        lines = (line.split() for line in probe["stdout"].splitlines())
        installed = {fields[1] for fields in lines if fields[:1] == ["installed"]}
        # A name dpkg cannot match (a version pin, an architecture suffix, a
        # virtual package) counts as missing: apt decides those.
        missing = [name for name in names if name not in installed]
        result.update(changed=False, missing=missing)
        if not missing:
            result["msg"] = "All present."
            return result

        if APT_BINDING not in installed:
            if self._task.check_mode:
                # No apt module without its binding: say what a real run would
                # install, the binding included.
                message = "Would install: " + ", ".join(dict.fromkeys([APT_BINDING, *missing]))
                result.update(changed=True, msg=message)
                if self._task.diff:
                    result["diff"] = {"prepared": message + "\n"}
                return result
            bootstrap = self._low_level_execute_command(BOOTSTRAP)
            if bootstrap["rc"] != 0:
                result.update(failed=True, msg=f"Installing {APT_BINDING} failed", **bootstrap)
                return result

        module_args = {
            "name": missing,
            "state": "present",
            "update_cache": True,
            "cache_valid_time": args["cache_valid_time"],
        }
        if args["install_recommends"] is not None:
            module_args["install_recommends"] = args["install_recommends"]
        result.update(
            self._execute_module(module_name="ansible.builtin.apt", module_args=module_args, task_vars=task_vars)
        )
        # The module's folder, where one was made (no pipelining).
        self._remove_tmp_path(self._connection._shell.tmpdir)
        result["missing"] = missing
        if APT_BINDING not in installed:
            result["changed"] = True
        return result
