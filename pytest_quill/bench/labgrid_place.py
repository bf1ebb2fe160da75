"""A labgrid place held by one process: reserved, acquired, its resources, released.

The coordinator hands each place to one client at a time: a reservation (the
place's name, or tags any free place may match) waits its turn in the
coordinator's queue, is allocated a place, and only its owner may acquire it.
Every process is its own client, named HOST/USER.quill-PID, so a run that
waits can say which run (or which labgrid-client user) holds the board.
A session is opened per step and closed again: nothing idles on the gRPC
stream while the tests run. The place's resources are the ones labgrid-client
would give (a RemotePlace in a Target), so labgrid's drivers for resources that
come and go at the exporter (USB storage, SD muxes) find them as they expect.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from labgrid.remote.client import ClientSession, ensure_event_loop
from labgrid.remote.client import Error as ClientError
from labgrid.remote.common import Reservation, ReservationState
from labgrid.remote.generated import labgrid_coordinator_pb2 as messages
from labgrid.resource.remote import RemotePlace, RemotePlaceManager
from labgrid.target import Target

from ..errors import BenchError

if TYPE_CHECKING:  # the kind's module imports the bench, which imports this one
    from .labgrid import Labgrid

T = TypeVar("T")
_POLL_S = 1.0  # how often a waiting reservation is polled (it expires unpolled after 60 s)
_CONNECT_S = 15


class _RunSession(ClientSession):
    """labgrid's client session under this process's own name."""

    def getuser(self) -> str:
        return f"{super().getuser()}.quill-{os.getpid()}"


class PlaceLease:
    """The place a bench.labgrid profile names, for as long as this process needs it."""

    def __init__(self, config: Labgrid, say: Callable[[str], None]):
        self.config = config
        self.say = say  # progress and waiting messages, one line each
        self.place: str | None = None  # the acquired place's name
        self.user: str | None = None  # the labgrid user that acquired it (LG_USERNAME)
        self._token: str | None = None  # our reservation
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def wanted(self) -> str:
        tags = " ".join(self.config.tags)
        return f"place {self.config.place}" if self.config.place else f"a place tagged {tags}"

    def _filter(self) -> dict[str, str]:
        tags = dict(tag.split("=", 1) for tag in self.config.tags)
        return {**tags, "name": self.config.place} if self.config.place else tags

    def _run(self, coroutine: Awaitable[T]) -> T:
        if self._loop is None:
            raise BenchError(f"labgrid coordinator {self.config.coordinator}: no session open")
        return self._loop.run_until_complete(coroutine)

    def _open(self) -> ClientSession:
        self._loop = ensure_event_loop()
        session = _RunSession(self.config.coordinator, self._loop)
        try:
            self._run(asyncio.wait_for(session.start(), _CONNECT_S))
        except (ClientError, TimeoutError, grpc.RpcError) as error:
            self._close(session)
            raise BenchError(
                f"labgrid coordinator {self.config.coordinator} cannot be reached "
                f"(bench.labgrid.coordinator): {error}"
            ) from None
        return session

    def _close(self, session: ClientSession) -> None:
        self._run(session.stop())
        self._run(session.close())
        self._run(_cancel_leftovers())

    def _call(self, session: ClientSession, method: str, request: Any) -> Any:
        try:
            reply = self._run(getattr(session.stub, method)(request))
            self._run(session.sync_with_coordinator())
            return reply
        except grpc.aio.AioRpcError as error:
            raise BenchError(
                f"labgrid coordinator {self.config.coordinator}: {method} {self.wanted}: {error.details()}"
            ) from None

    def problems(self) -> list[str]:
        """Why this lease cannot be had at all (no such place); empty = it can, in time."""
        session = self._open()
        try:
            if self._matching(session):
                return []
            known = ", ".join(sorted(session.places)) or "none"
            return [
                f"labgrid coordinator {self.config.coordinator} has no {self.wanted} "
                f"(bench.labgrid); its places: {known}"
            ]
        finally:
            self._close(session)

    def _matching(self, session: ClientSession) -> list:
        wanted = set(self._filter().items())
        return [
            place
            for name, place in sorted(session.places.items())
            if wanted <= {*place.tags.items(), ("name", name)}
        ]

    def acquire(self) -> Target:
        """Wait (bench.labgrid.acquire_timeout_s at most) for the place, acquire it and
        give its resources as a labgrid Target."""
        session = self._open()
        try:
            reply = self._call(
                session,
                "CreateReservation",
                messages.CreateReservationRequest(
                    filters={"main": messages.Reservation.Filter(filter=self._filter())}, prio=0.0
                ),
            )
            self._token = reply.reservation.token
            try:
                name = self._wait_for_allocation(session)
                self._call(session, "AcquirePlace", messages.AcquirePlaceRequest(placename=name))
            except BaseException:  # Ctrl-C while waiting too: leave the queue
                self._cancel(session)
                raise
            self.place, self.user = name, session.getuser()
            self.say(f"acquired place {name} as {self.user} at {time.time():.3f}")
            return _place_target(session, name)
        finally:
            self._close(session)

    def _wait_for_allocation(self, session: ClientSession) -> str:
        deadline = time.monotonic() + self.config.acquire_timeout_s
        said = None
        while True:
            reply = self._call(session, "PollReservation", messages.PollReservationRequest(token=self._token))
            reservation = Reservation.from_pb2(reply.reservation)
            if reservation.state is ReservationState.allocated:
                return reservation.allocations["main"][0]
            if reservation.state is not ReservationState.waiting:
                raise BenchError(f"labgrid reservation for {self.wanted} is {reservation.state.name}")
            holders = self._holders(session)
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{self.wanted} still {holders or 'not allocated'} after "
                    f"{self.config.acquire_timeout_s:.0f} s (bench.labgrid."
                    "acquire_timeout_s); if its holder is gone: labgrid-client "
                    f"-x {self.config.coordinator} -p PLACE release --kick"
                )
            if holders and holders != said:  # none: freed, the coordinator is allocating it
                self.say(f"waiting for {self.wanted}: {holders}")
                said = holders
            self._run(asyncio.sleep(_POLL_S))

    def _holders(self, session: ClientSession) -> str:
        """Who has each matching place, as "held by HOST/USER since 06:12:03"."""
        owners = {reservation.token: reservation.owner for reservation in self._reservations(session)}
        said = []
        for place in self._matching(session):
            since = datetime.fromtimestamp(place.changed).strftime("%H:%M:%S")
            if place.acquired:
                said.append(f"held by {place.acquired} since {since}")
            elif place.reservation:
                said.append(f"reserved for {owners.get(place.reservation, '?')}")
        return "; ".join(said)

    def _reservations(self, session: ClientSession) -> list[Reservation]:
        reply = self._call(session, "GetReservations", messages.GetReservationsRequest())
        return [Reservation.from_pb2(reservation) for reservation in reply.reservations]

    def _cancel(self, session: ClientSession) -> None:
        if self._token is not None:
            self._call(session, "CancelReservation", messages.CancelReservationRequest(token=self._token))
            self._token = None

    def leave_acquired(self) -> None:
        """Keep the place acquired past this process (--quill-keep-bench) but leave the
        queue: an allocated reservation would keep the place from others once released."""
        session = self._open()
        try:
            self._cancel(session)
        finally:
            self._close(session)
        self.place = None

    def release(self) -> None:
        """Give the place back and leave the queue; safe to call twice."""
        if self.place is None and self._token is None:
            return
        session = self._open()
        try:
            if self.place is not None:
                self._call(session, "ReleasePlace", messages.ReleasePlaceRequest(placename=self.place))
                self.say(f"released place {self.place} at {time.time():.3f}")
                self.place = None
            self._cancel(session)
        finally:
            self._close(session)


async def _cancel_leftovers() -> None:
    """End the tasks a closed channel left on the loop: a call's status handler whose
    answer comes late (on a busy machine) would wait there until the next step, keeping
    the call, and with it gRPC's threads, alive while the place is held."""
    left = asyncio.all_tasks() - {asyncio.current_task()}
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)


def _place_target(session: ClientSession, name: str) -> Target:
    """The acquired place's resources, as labgrid-client makes them (its _get_target):
    the RemotePlace expands into them through the process's RemotePlaceManager, which
    keeps their availability as the coordinator said it while this session was open."""
    manager = RemotePlaceManager.get()
    manager.session, manager.loop = session, session.loop
    target = Target(name)
    RemotePlace(target, name=name)
    # The session closes after this step; held here, its channel would keep gRPC's threads
    # alive, and a process forked while they run can fail.
    manager.session = None
    return target
