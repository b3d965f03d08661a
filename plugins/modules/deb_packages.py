"""Documentation of the deb_packages action (plugins/action/deb_packages.py does the work)."""

DOCUMENTATION = r"""
module: deb_packages
short_description: Debian packages present, asking dpkg first and apt only for what is missing
description:
  - Lists the named packages that dpkg does not show as installed, with one C(dpkg-query) call.
  - Nothing missing is a no-op that opens no apt cache and fetches no package index.
  - Otherwise installs python3-apt first if it is missing (the apt module needs it), then runs
    M(ansible.builtin.apt) with the missing packages, updating the index if it is older than
    I(cache_valid_time).
  - A name dpkg cannot match (a version pin, an architecture suffix, a virtual package) counts as
    missing, so apt decides it.
  - Under --check without python3-apt, reports the missing packages as a change ("Would install").
options:
  name:
    description: Package names.
    type: list
    elements: str
    required: true
  install_recommends:
    description: Passed to the apt module; unset leaves apt's own configuration to decide.
    type: bool
  cache_valid_time:
    description: Seconds the package index stays fresh enough to install from.
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
  diff_mode:
    support: partial
    details: Without python3-apt, the diff lists what would be installed.
"""

EXAMPLES = r"""
- name: Install Nginx
  deb_packages:
    name: [nginx, python3-cryptography]
  register: __nginx_package
"""

RETURN = r"""
missing:
  description: The names that were not installed when the task started.
  returned: always
  type: list
  elements: str
"""

if __name__ == "__main__":
    raise SystemExit("deb_packages runs as an action plugin on the controller (plugins/action/deb_packages.py).")
