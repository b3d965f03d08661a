"""The linear strategy run through Mitogen for Ansible, when it is installed.

Mitogen keeps one Python interpreter per host for the whole run and sends
modules to it over the SSH connection it already holds, instead of copying and
starting a new Python for every task. Tasks, order and results are the same as
linear's; only the transport changes (docs/benchmarks.md has the figures).

Without the mitogen package this is plain linear, with a warning, so a
controller that lacks it still runs every playbook. ANSIBLE_STRATEGY=linear
picks plain linear on purpose.
"""

from ansible.plugins.loader import strategy_loader
from ansible.utils.display import Display

try:
    # Mitogen's plugin loaders first, then its strategy mixin.
    import ansible_mitogen.loaders
    import ansible_mitogen.strategy
except ImportError as error:
    Display().warning(f"strategy mitogen_linear: Mitogen is not importable ({error}); running linear")
    StrategyModule = strategy_loader.get("linear", class_only=True)
else:
    import ansible_mitogen.affinity

    # No CPU pinning. Mitogen pins the controller's processes to CPUs, and
    # whatever they start inherits the mask: lab hosts that podman started
    # from a pinned process saw one CPU of two (nproc 1, so gunicorn's worker
    # count and the test that checks it disagreed).
    ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()

    class StrategyModule(ansible_mitogen.strategy.StrategyMixin, strategy_loader.get("linear", class_only=True)):
        """Linear, with Mitogen's connection and module runner."""
