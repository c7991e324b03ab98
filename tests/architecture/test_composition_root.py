"""The object graph is built in one place: ``entrypoints/container.py``."""

from __future__ import annotations

import ast
from pathlib import Path

from dependency_injector import providers

from domain.policy import Policy
from entrypoints import container as wiring
from entrypoints.settings import DEFAULT_BACKENDS, Settings

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_BUILDERS = {wiring._tablestore, wiring._mns, wiring._oss}


def local_container() -> wiring.Container:
    return wiring.build_container(Settings(profile="local", backends=dict(DEFAULT_BACKENDS["local"]),
                                           policy=Policy()))


def provided_use_cases() -> set[str]:
    """The use-case classes the container builds."""
    names = set()
    for provider in wiring.Container.traverse(types=[providers.BaseSingleton]):
        provides = provider.provides
        if isinstance(provides, type) and provides.__module__.startswith("usecases."):
            names.add(provides.__name__)
    return names


def test_the_container_builds_the_webhook_and_worker_use_cases():
    assert {"AcceptUpdate", "AcceptMedia", "Payments", "SettingsMenu", "TrialRequests", "TranscriptExports",
            "SupportPages", "UserRequests", "OwnerCommands", "SweepJobs", "DailyReport", "PaymentRefunds",
            "TranscribeJob", "Transcriber", "FormattingChain", "Worker"} <= provided_use_cases()


def test_no_production_module_but_the_container_constructs_a_use_case_the_container_provides():
    use_cases = provided_use_cases()
    found = []
    for folder in ("usecases", "entrypoints", "adapters", "domain", "ports"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "entrypoints" / "container.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in use_cases:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}")
    assert found == []


def test_every_provider_built_from_the_alibaba_credentials_is_declared_a_credential_holder():
    c = wiring.Container()
    built_from_credentials = {p for p in c.traverse(types=[providers.BaseSingleton])
                              if p.provides in CREDENTIAL_BUILDERS}
    assert built_from_credentials and built_from_credentials == set(wiring.credential_holders(c))


def test_a_credential_reset_rebuilds_what_holds_a_store_and_keeps_the_rest():
    c = local_container()
    accept, sweep, chat, users = c.accept_update(), c.sweep_jobs(), c.chat(), c.users()
    assert wiring.reset_credentialed(c) > 0
    assert c.accept_update() is not accept and c.sweep_jobs() is not sweep
    assert c.chat() is chat and c.users() is users  # memory stores and the chat carry no credentials


def test_each_use_case_is_built_once_and_shared():
    c = local_container()
    accept = c.accept_update()
    owner = accept._owner
    assert owner._sweep is c.sweep_jobs()  # the owner's /flush and the timer share one sweeper
    assert owner._trial_requests is accept._trial is c.trial_requests()
    assert owner._report is c.daily_report()
    assert c.worker()._transcribe_job is c.transcribe_job()
