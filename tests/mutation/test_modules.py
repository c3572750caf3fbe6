"""The mutation map and the mutmut settings in pyproject.toml name the same files."""

import tomllib
from pathlib import Path

from tests.mutation.modules import MODULES, covering_tests, module_of

ROOT = Path(__file__).resolve().parents[2]


def mutmut_settings():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def test_modules_match_pyproject():
    settings = mutmut_settings()
    assert sorted(settings["only_mutate"]) == sorted(MODULES)
    assert sorted(settings["pytest_add_cli_args_test_selection"]) == sorted(covering_tests(MODULES))


def test_every_mapped_file_exists():
    for path in MODULES:
        assert (ROOT / path).is_file(), path
    for name in covering_tests(MODULES):
        assert (ROOT / name).is_file(), name


def test_mutant_names_map_to_their_module():
    assert module_of("campaigns.ratelimit.x_take__mutmut_3") == "campaigns/ratelimit.py"
    assert module_of("campaigns.services.webhooks.xǁReceiverǁcheck__mutmut_1") == "campaigns/services/webhooks.py"
