"""Be told when a nightly run fails or dies: a webhook notification block and two Prefect automations.

- `NOTIFY`: a `nightly` flow run that ends Failed or Crashed sends its state and one-line
  reason to the webhook (Slack, Teams, Mattermost or any service that takes a JSON POST
  with a `text` field).
- `SILENT`: a `nightly` flow run that stops sending heartbeats (the process was SIGKILLed,
  ran out of memory, or its machine restarted: no `on_crashed` hook runs then, prefect#16436)
  is marked Crashed by the server, which in turn triggers `NOTIFY`. Heartbeats are sent only
  when the process that runs flows (`cakupan serve`, a worker) has
  PREFECT_FLOWS_HEARTBEAT_FREQUENCY set (docs/operations.md).

Installing again replaces the block and both automations, so it can be re-run safely.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import Any, Literal, cast
from uuid import UUID

from prefect.automations import Automation
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

BLOCK = "cakupan-alerts"
NOTIFY = "cakupan: nightly run failed or crashed"
SILENT = "cakupan: nightly run went silent"
FLOW_RUN: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
NIGHTLY: dict[str, str | list[str]] = {"prefect.resource.role": "flow", "prefect.resource.name": "nightly"}
ENDED = {
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}
SUBJECT = "cakupan: nightly run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = (
    "The nightly run {{ flow_run.name }} ended {{ flow_run.state.name }}: {{ flow_run.state.message }}\n"
    "Started {{ flow_run.start_time }}. Details: {{ flow_run|ui_url }}"
)


def private_address(url: str) -> str | None:
    """The private or loopback address `url` resolves to, if any (Prefect refuses to post there by default)."""
    from prefect.utilities.urls import validate_restricted_url

    try:
        validate_restricted_url(url)
    except ValueError as error:
        found = re.search(r"private address (\S+?)\.?$", str(error))
        return found.group(1) if found else None  # unresolvable here: it may resolve where the server runs
    return None


def save_webhook(url: str, allow_private_url: bool) -> UUID:
    """The notification block that posts `{"text": subject and body}` to `url`."""
    block = CustomWebhookNotificationBlock.model_validate(
        {
            "name": "cakupan",
            "url": url,
            "json_data": {"text": "{{subject}}\n{{body}}"},
            "allow_private_urls": allow_private_url,
        }
    )
    return cast(UUID, block.save(BLOCK, overwrite=True))  # sync calls: Prefect types them as maybe-awaitable


def replace(automation: Automation) -> None:
    """Create `automation`, deleting one of the same name first."""
    with contextlib.suppress(ValueError):  # none yet
        cast(Automation, Automation.read(name=automation.name)).delete()
    automation.create()


def on_nightly_runs(
    expect: set[str], posture: Literal[Posture.Reactive, Posture.Proactive], **timing: Any
) -> EventTrigger:
    """A trigger on the events of `nightly` flow runs, firing on the first match (or its absence)."""
    return EventTrigger(match=FLOW_RUN, match_related=NIGHTLY, expect=expect, posture=posture, threshold=1, **timing)


def install_alerts(webhook_url: str, silent_after: timedelta, allow_private_url: bool = False) -> list[str]:
    """Save the webhook block and (re)create both automations on the Prefect server; return their names."""
    block_id = save_webhook(webhook_url, allow_private_url)
    notify = Automation(
        name=NOTIFY,
        description="Posts the state and reason of a failed or crashed nightly run to the cakupan-alerts webhook.",
        trigger=on_nightly_runs({"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}, Posture.Reactive),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)],
    )
    silent = Automation(
        name=SILENT,
        description="Marks a nightly run Crashed when its heartbeats stop (a killed process runs no hook).",
        trigger=on_nightly_runs(
            {"prefect.flow-run.heartbeat", *ENDED},
            Posture.Proactive,
            after={"prefect.flow-run.heartbeat"},
            for_each={"prefect.resource.id"},
            within=silent_after,
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                force=False,
                state=StateType.CRASHED,
                message=f"no heartbeat for {silent_after.total_seconds():.0f} s: the process died "
                "(killed, out of memory, or its machine restarted)",
            )
        ],
    )
    for automation in (notify, silent):
        replace(automation)
    return [NOTIFY, SILENT]
