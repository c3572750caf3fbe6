"""The modules under mutation testing and the unit test files that cover each.

The union of the test files is pytest_add_cli_args_test_selection in pyproject.toml
(mutmut reads its settings from there); test_modules_match_pyproject keeps the two equal.
"""

MODULES = {
    "campaigns/permissions.py": ["test_roles_and_auth.py", "test_permission_matrix.py", "test_permission_views.py"],
    "campaigns/ratelimit.py": ["test_outbox_ratelimit.py", "test_ratelimit_clock.py"],
    "campaigns/planner.py": ["test_planner.py", "test_planning.py", "test_launch.py"],
    "campaigns/merge_tags.py": [
        "test_merge_tags.py",
        "test_content_checks.py",
        "test_preview_parity.py",
        "test_lead_fields.py",
    ],
    "campaigns/services/lifecycle.py": [
        "test_lifecycle.py",
        "test_lifecycle_records.py",
        "test_lifecycle_adversary.py",
        "test_lifecycle_state_machine.py",
        "test_lifecycle_panel_race.py",
        "test_review_pages.py",
        "test_lifecycle_thresholds.py",
    ],
    "campaigns/services/transitions.py": [
        "test_lifecycle_state_machine.py",
        "test_lifecycle_adversary.py",
        "test_lifecycle_thresholds.py",
    ],
    "campaigns/services/launch.py": [
        "test_launch.py",
        "test_launch_preflight.py",
        "test_launch_requeue.py",
        "test_coverage_gate.py",
        "test_lifecycle_adversary.py",
        "test_lifecycle_thresholds.py",
    ],
    "campaigns/services/coverage_gate.py": ["test_coverage_gate.py", "test_lifecycle_thresholds.py"],
    "campaigns/services/webhooks.py": ["test_webhooks.py", "test_webhook_signatures.py"],
    "campaigns/services/operations.py": [
        "test_outbox_engine.py",
        "test_outbox_handlers.py",
        "test_outbox_claims.py",
        "test_outbox_liveness.py",
        "test_outbox_outcomes.py",
        "test_outbox_interruptions.py",
        "test_sdr_outbox.py",
    ],
    "campaigns/services/operation_sweeper.py": [
        "test_outbox_engine.py",
        "test_outbox_claims.py",
        "test_outbox_liveness.py",
        "test_outbox_sweeps.py",
        "test_sdr_outbox.py",
    ],
    "campaigns/services/operation_liveness.py": ["test_outbox_liveness.py", "test_launch_pool_refresh.py"],
    "campaigns/services/planning.py": ["test_planning.py", "test_pools_views.py"],
    "campaigns/services/csv_import.py": ["test_csv_import.py", "test_lead_import.py"],
}


def dotted(path: str) -> str:
    """campaigns/services/webhooks.py -> campaigns.services.webhooks (mutmut's mutant prefix)."""
    return path.removesuffix(".py").replace("/", ".")


def module_of(mutant: str) -> str:
    """The module path a mutant name belongs to, e.g. 'campaigns.ratelimit.x_take__mutmut_3'."""
    prefix = mutant.split(".x", 1)[0]
    for path in MODULES:
        if dotted(path) == prefix:
            return path
    raise KeyError(f"mutant {mutant!r} belongs to no module under mutation testing")


def covering_tests(paths) -> list[str]:
    """The unit test files for the given modules, each once, in a stable order."""
    seen = []
    for path in paths:
        for name in MODULES[path]:
            if f"tests/unit/{name}" not in seen:
                seen.append(f"tests/unit/{name}")
    return seen
