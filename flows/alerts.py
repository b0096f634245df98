"""Be told when a cakupan run fails, dies, or does not happen: a webhook block, an automation, and a watcher.

- `cakupan alerts` saves the webhook notification block `BLOCK` (Slack, Teams, Mattermost or
  any service that takes a JSON POST with a `text` field) and the automation `SILENT`: a run
  of any cakupan flow that stops sending heartbeats (SIGKILL, the out-of-memory killer, a
  restarted machine: no hook runs then, prefect#16436) is marked Crashed by the server.
- `cakupan watch` (`watch`) asks the server every few seconds for runs of the cakupan flows
  (`nightly`, `province`, `regency-chunk`) that are Failed or Crashed now, and posts each
  once, as soon as it is seen: never a run that ended before the watcher first started
  (nothing is replayed), never a run whose state is Completed. It also posts once when no
  `nightly` or `province` run has completed for longer than the schedule allows (freshness).

Posts are not made by a reactive Prefect automation: its server holds an event whose
preceding event it has not seen for up to 15 minutes (PRECEDING_EVENT_LOOKBACK), so alerts
came 13-15 minutes late, were replayed when an automation was created, or came twice.
Installing again replaces the block and the automation, so it can be re-run safely.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from uuid import UUID

from prefect.automations import Automation
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture

BLOCK = "cakupan-alerts"
NOTIFY = "cakupan: nightly run failed or crashed"  # the reactive automation of earlier versions: removed on install
SILENT = "cakupan: run went silent"
SILENT_BEFORE = "cakupan: nightly run went silent"  # its earlier name: removed on install
FLOWS = ["nightly", "province", "regency-chunk"]  # every cakupan flow: a failure of any of them is posted
SCHEDULED_FLOWS = ["nightly", "province"]  # the ones a schedule runs: their last completion is watched
FLOW_RUN: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
CAKUPAN_FLOWS: dict[str, str | list[str]] = {"prefect.resource.role": "flow", "prefect.resource.name": FLOWS}
SEEN_KEPT = 2000  # flow run ids remembered as posted (far more than fail between two polls)
ENDED = {
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


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


def install_alerts(webhook_url: str, silent_after: timedelta, allow_private_url: bool = False) -> list[str]:
    """Save the webhook block and (re)create the heartbeat automation on the Prefect server; return its name.

    The reactive notification automation of earlier versions is deleted: `watch` posts instead.
    """
    save_webhook(webhook_url, allow_private_url)
    for old in (NOTIFY, SILENT_BEFORE):
        with contextlib.suppress(ValueError):  # none
            cast(Automation, Automation.read(name=old)).delete()
    silent = Automation(
        name=SILENT,
        description="Marks a cakupan run Crashed when its heartbeats stop (a killed process runs no hook).",
        trigger=EventTrigger(
            match=FLOW_RUN,
            match_related=CAKUPAN_FLOWS,
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *ENDED},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=silent_after,
        ),
        actions=[
            ChangeFlowRunState(
                name=None,
                force=False,  # a run that has ended meanwhile keeps its state
                state=StateType.CRASHED,
                message=f"no heartbeat for {silent_after.total_seconds():.0f} s: the process died "
                "(killed, out of memory, or its machine restarted)",
            )
        ],
    )
    replace(silent)
    return [SILENT]


@dataclass
class Watched:
    """What the watcher remembers between polls and restarts (a JSON file)."""

    since: str  # ISO time the watcher first started: runs that ended before are never posted
    posted: list[str] = field(default_factory=list)  # flow run ids posted, newest last
    stale_for: str = ""  # the completion (run id, or 'none') the freshness alert was posted for

    @classmethod
    def load(cls, path: Path, now: datetime) -> Watched:
        if path.exists():
            return cls(**json.loads(path.read_text()))
        return cls(since=now.isoformat())

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = path.with_name(f".{path.name}.writing")
        written.write_text(json.dumps({**self.__dict__, "posted": self.posted[-SEEN_KEPT:]}))
        written.replace(path)


def ended_badly(flow_names: list[str], since: datetime) -> list[tuple[str, FlowRun]]:
    """(flow name, run) of every run of those flows that is Failed or Crashed now and ended after `since`."""
    bad = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED]))
    )
    found = []
    with get_client(sync_client=True) as client:
        for name in flow_names:
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
                flow_run_filter=bad,
                sort=FlowRunSort.END_TIME_DESC,
                limit=200,
            )
            found += [(name, run) for run in runs if ended_at(run) > since]
    return sorted(found, key=lambda pair: ended_at(pair[1]))


def last_completed(flow_names: list[str]) -> FlowRun | None:
    """The most recently ended Completed run of those flows."""
    completed = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED])))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=flow_names)),
            flow_run_filter=completed,
            sort=FlowRunSort.END_TIME_DESC,
            limit=1,
        )
    return runs[0] if runs else None


def ended_at(run: FlowRun) -> datetime:
    moment = run.end_time or (run.state.timestamp if run.state else None) or run.created
    return moment if moment is not None else datetime.min.replace(tzinfo=UTC)


def failure_text(flow_name: str, run: FlowRun) -> tuple[str, str]:
    """(subject, body) of a failed or crashed run."""
    from prefect.utilities.urls import url_for

    state = run.state.name if run.state else "ended"
    reason = " ".join(str(run.state.message or "").split()) if run.state else ""
    subject = f"cakupan: {flow_name} run {run.name} {state}"
    body = (
        f"The {flow_name} run {run.name} ended {state}: {reason or 'no reason given'}\n"
        f"Started {run.start_time}, ended {ended_at(run)} (UTC). Details: {url_for(run) or run.id}"
    )
    return subject, body


def poll(watched: Watched, stale_after: timedelta, now: datetime) -> list[tuple[str, str]]:
    """The (subject, body) of every alert due now, recorded in `watched` as posted."""
    due = []
    for flow_name, run in ended_badly(FLOWS, datetime.fromisoformat(watched.since)):
        if str(run.id) not in watched.posted:
            watched.posted.append(str(run.id))
            due.append(failure_text(flow_name, run))
    last = last_completed(SCHEDULED_FLOWS)
    completed_at = ended_at(last) if last else datetime.fromisoformat(watched.since)
    key = str(last.id) if last else "none"
    if now - completed_at > stale_after and watched.stale_for != key:
        watched.stale_for = key
        hours = stale_after.total_seconds() / 3600
        since = f"since {completed_at:%Y-%m-%d %H:%M} UTC ({last.name})" if last else "since the watcher started"
        due.append(
            (
                "cakupan: no completed run",
                f"No nightly or province run has completed {since}, longer than the {hours:g} h the schedule "
                "allows: is `cakupan serve` (or the worker) running, and the schedule not paused?",
            )
        )
    return due


def watch(
    state_file: Path,
    stale_after: timedelta,
    every: float,
    post: Callable[[str, str], None] | None = None,
    rounds: int | None = None,
) -> None:
    """Poll the server every `every` seconds and post what is due, until stopped (or after `rounds`).

    A poll that cannot reach the server is logged in one line and tried again at the next.
    """
    log = logging.getLogger("cakupan")
    send = post or notify
    watched = Watched.load(state_file, datetime.now(UTC))
    watched.save(state_file)
    done = 0
    while rounds is None or done < rounds:
        try:
            for subject, body in poll(watched, stale_after, datetime.now(UTC)):
                send(subject, body)
                log.warning("posted: %s", subject)
                watched.save(state_file)
        except Exception as error:  # the server or the webhook is away: try again at the next poll
            log.error("alerts watcher: %s", " ".join(f"{type(error).__name__}: {error}".split()))
        done += 1
        if rounds is None or done < rounds:
            time.sleep(every)


def notify(subject: str, body: str) -> None:
    """Post through the saved webhook block."""
    block = cast(CustomWebhookNotificationBlock, CustomWebhookNotificationBlock.load(BLOCK))
    block.notify(body, subject)
