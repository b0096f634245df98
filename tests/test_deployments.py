"""prefect.yaml is a copy of what the code says a deployment is: a test, not a reader, keeps them one."""

from __future__ import annotations

import yaml

from flows.regency_flow import deployment
from flows.settings import PROJECT_ROOT, Settings


def test_prefect_yaml_deploys_nightly_as_serve_does_on_the_default_schedule() -> None:
    """The work-pool route (prefect.yaml) and `cakupan serve` (flows/regency_flow.py) register the same `nightly`:
    its schedule is Settings' default, written once in flows/settings.py."""
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())
    (listed,) = [entry for entry in config["deployments"] if entry["name"] == "nightly"]
    served = deployment(Settings())
    ((schedule, timezone),) = [(s.schedule.cron, s.schedule.timezone) for s in served.schedules or []]
    assert (schedule, timezone) == (Settings.schedule, Settings.timezone)
    assert listed["schedules"] == [{"cron": schedule, "timezone": timezone}]
    assert (listed["entrypoint"], listed["description"], listed["tags"]) == (
        served.entrypoint,
        served.description,
        served.tags,
    )
