"""The loyalty program's records: personas and their POS links, the ledger, consents, rewards, sales, mappings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cannasync.store import history
from cannasync.store.once import get_or_create, insert_once
from cannasync.store.tables import (
    Consent,
    Integration,
    LoyaltyProgram,
    LoyaltySale,
    Persona,
    PersonaLink,
    PointsEntry,
    Redemption,
    Reward,
    StoreMapping,
)
from cannasync.store.types import utcnow


class Loyalty:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- program ---
    def program(self, organization_id: int, *, lock: bool = False) -> LoyaltyProgram:
        """The organization's program, created with defaults the first time it is asked for (by whoever asks
        first: the first API call, a loyalty pull and an SMS run may all ask at once).

        ``lock`` holds the program's row until commit: what matches a shopper to a persona (no unique key, since
        a phone or e-mail may be shared) takes it, so two signups or pulls of one new shopper make one persona.
        """
        query = select(LoyaltyProgram).where(LoyaltyProgram.organization_id == organization_id)
        program = self.session.scalar(query.with_for_update() if lock else query)
        if program is None:
            created, _ = get_or_create(
                self.session,
                LoyaltyProgram,
                {"organization_id": organization_id},
                {"name": "Loyalty", "points_per_dollar": "1"},
            )
            program = self.session.scalars(query.with_for_update()).one() if lock else created
        return program

    # --- personas ---
    def persona(self, persona_id: int, *, lock: bool = False) -> Persona | None:
        if lock:
            return self.session.scalar(select(Persona).where(Persona.id == persona_id).with_for_update())
        return self.session.get(Persona, persona_id)

    def linked(self, integration_id: int, external_id: str) -> tuple[Persona, PersonaLink] | None:
        row = self.session.execute(
            select(Persona, PersonaLink)
            .join(PersonaLink, PersonaLink.persona_id == Persona.id)
            .where(PersonaLink.integration_id == integration_id, PersonaLink.external_id == external_id)
        ).first()
        return (row[0], row[1]) if row else None

    def links_of(self, persona_id: int) -> list[PersonaLink]:
        return list(self.session.scalars(select(PersonaLink).where(PersonaLink.persona_id == persona_id)))

    def link(self, integration_id: int, external_id: str, persona_id: int, profile_hash: str) -> PersonaLink | None:
        """Link a POS customer to a persona; None when either is linked already (a pull and a signup's push may
        link the same customer at once: the first link stands)."""
        linked = insert_once(
            self.session,
            PersonaLink,
            {
                "integration_id": integration_id,
                "external_id": external_id,
                "persona_id": persona_id,
                "profile_hash": profile_hash,
            },
        )
        if not linked:
            return None
        return self.session.scalars(
            select(PersonaLink).where(
                PersonaLink.integration_id == integration_id, PersonaLink.external_id == external_id
            )
        ).one()

    def match(self, program_id: int, phone: str | None, email: str | None) -> Persona | None:
        """An existing persona with this phone, else this email (a signup meeting its POS record)."""
        for column, value in ((Persona.phone, phone), (Persona.email, email)):
            if value:
                found = self.session.scalar(
                    select(Persona).where(Persona.program_id == program_id, column == value).order_by(Persona.id)
                )
                if found is not None:
                    return found
        return None

    def add_persona(self, program_id: int, sourced_from: str, **fields: Any) -> Persona:
        persona = Persona(program_id=program_id, sourced_from=sourced_from, **fields)
        self.session.add(persona)
        self.session.flush()
        return persona

    def personas(self, program_id: int, *, limit: int, offset: int) -> tuple[list[Persona], int]:
        query = select(Persona).where(Persona.program_id == program_id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return list(self.session.scalars(query.order_by(Persona.id).limit(limit).offset(offset))), total

    def personas_by_source(self, program_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(Persona.sourced_from, func.count())
            .where(Persona.program_id == program_id)
            .group_by(Persona.sourced_from)
        )
        return {source: count for source, count in rows}

    # --- ledger ---
    def balance(self, persona_id: int) -> int:
        total = self.session.scalar(select(func.sum(PointsEntry.points)).where(PointsEntry.persona_id == persona_id))
        return int(total or 0)

    def add_entry(self, persona_id: int, points: int, kind: str, reference: str, reason: str, source: str) -> bool:
        """Add a ledger entry unless one with this (kind, reference) exists; True when added."""
        return insert_once(
            self.session,
            PointsEntry,
            {
                "persona_id": persona_id,
                "points": points,
                "kind": kind,
                "reference": reference,
                "reason": reason,
                "source": source,
            },
            ["persona_id", "kind", "reference"],
        )

    def ledger(self, persona_id: int) -> list[PointsEntry]:
        return list(
            self.session.scalars(
                select(PointsEntry).where(PointsEntry.persona_id == persona_id).order_by(PointsEntry.id)
            )
        )

    # --- consents ---
    def consent(self, persona_id: int, channel: str) -> Consent | None:
        return self.session.scalar(select(Consent).where(Consent.persona_id == persona_id, Consent.channel == channel))

    def set_consent(self, persona_id: int, channel: str, state: str, via: str, **fields: Any) -> Consent:
        consent, created = get_or_create(
            self.session, Consent, {"persona_id": persona_id, "channel": channel}, {"state": state, "via": via}
        )
        if created:  # made by an INSERT of its own, which the session's history watch does not see
            history.record(
                self.session,
                [history.entry(history.PERSONA, persona_id, {history.consent_field(channel): [None, state]})],
            )
        consent.state = state
        consent.via = via
        consent.updated_at = utcnow()
        for name, value in fields.items():
            setattr(consent, name, value)
        self.session.flush()
        return consent

    def consents(self, persona_id: int) -> list[Consent]:
        return list(self.session.scalars(select(Consent).where(Consent.persona_id == persona_id)))

    def pending_requests(self, program_id: int, channel: str, limit: int) -> list[tuple[Consent, Persona]]:
        rows = self.session.execute(
            select(Consent, Persona)
            .join(Persona, Persona.id == Consent.persona_id)
            .where(Persona.program_id == program_id, Consent.channel == channel, Consent.state == "pending")
            .order_by(Consent.id)
            .limit(limit)
        )
        return [(consent, persona) for consent, persona in rows]

    def persona_by_phone(self, program_id: int, phone: str) -> Persona | None:
        return self.session.scalar(
            select(Persona).where(Persona.program_id == program_id, Persona.phone == phone).order_by(Persona.id)
        )

    # --- sales ---
    def record_sale(self, integration_id: int, external_id: str, **fields: Any) -> LoyaltySale | None:
        """The sale, if it is new; None when it was seen before (a sale counts once)."""
        sale, created = get_or_create(
            self.session, LoyaltySale, {"integration_id": integration_id, "external_id": external_id}, fields
        )
        return sale if created else None

    def sales_of(self, persona_id: int, *, since: datetime | None = None) -> list[LoyaltySale]:
        query = select(LoyaltySale).where(LoyaltySale.persona_id == persona_id)
        if since is not None:
            query = query.where(LoyaltySale.completed_at >= since)
        return list(self.session.scalars(query.order_by(LoyaltySale.completed_at)))

    def personas_with_sales_since(self, program_id: int, since: datetime) -> list[int]:
        return list(
            self.session.scalars(
                select(LoyaltySale.persona_id)
                .join(Persona, Persona.id == LoyaltySale.persona_id)
                .where(Persona.program_id == program_id, LoyaltySale.completed_at >= since)
                .distinct()
            )
        )

    # --- store mapping ---
    def store_for(self, integration_id: int, location_key: str) -> int | None:
        """The store a location key is mapped to; an unseen key is recorded as unmapped (a notification)."""
        mapping, _ = get_or_create(
            self.session, StoreMapping, {"integration_id": integration_id, "location_key": location_key}
        )
        return mapping.store_id

    def mappings(self, organization_id: int) -> list[tuple[StoreMapping, Integration]]:
        rows = self.session.execute(
            select(StoreMapping, Integration)
            .join(Integration, Integration.id == StoreMapping.integration_id)
            .where(Integration.organization_id == organization_id)
            .order_by(StoreMapping.id)
        )
        return [(mapping, integration) for mapping, integration in rows]

    def mapping(self, mapping_id: int) -> StoreMapping | None:
        return self.session.get(StoreMapping, mapping_id)

    # --- rewards and redemptions ---
    def rewards(self, program_id: int, *, integration_id: int | None = None) -> list[Reward]:
        query = select(Reward).where(Reward.program_id == program_id, Reward.active.is_(True))
        if integration_id is not None:
            query = query.where(Reward.integration_id == integration_id)
        return list(self.session.scalars(query.order_by(Reward.points_cost, Reward.id)))

    def reward(self, reward_id: int) -> Reward | None:
        return self.session.get(Reward, reward_id)

    def redemption(self, integration_id: int, pos_reference: str) -> Redemption | None:
        return self.session.scalar(
            select(Redemption).where(
                Redemption.integration_id == integration_id, Redemption.pos_reference == pos_reference
            )
        )

    def unmatched_redemption(self, persona_id: int, reward_ids: Sequence[int]) -> Redemption | None:
        return self.session.scalar(
            select(Redemption)
            .where(
                Redemption.persona_id == persona_id,
                Redemption.reward_id.in_(list(reward_ids)),
                Redemption.sale_external_id.is_(None),
            )
            .order_by(Redemption.id)
        )

    # --- console reads (web/console/loyalty.py): read-only, a few queries per screen whatever its size ---
    def find_personas(self, program_id: int, search: str = "", *, limit: int, offset: int) -> tuple[list[Persona], int]:
        """A page of personas, newest first, whose name, e-mail or phone contains ``search``; and how many match."""
        query = select(Persona).where(Persona.program_id == program_id)
        words = search.strip().lower().split()
        for word in words:  # every word must match somewhere: "casey 555" finds Casey by phone
            digits = "".join(ch for ch in word if ch.isdigit())
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches = [
                func.lower(Persona.first_name).like(like, escape="\\"),
                func.lower(Persona.last_name).like(like, escape="\\"),
                func.lower(func.coalesce(Persona.email, "")).like(like, escape="\\"),
            ]
            if digits:  # phones are stored as digits only; "(555) 404" should still find them
                matches.append(func.coalesce(Persona.phone, "").like(f"%{digits}%"))
            query = query.where(or_(*matches))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(Persona.id.desc()).limit(limit).offset(offset))
        return list(rows), total

    def balances(self, persona_ids: Sequence[int]) -> dict[int, int]:
        """Points balances of many personas in one query (a persona with no entries has 0)."""
        rows = self.session.execute(
            select(PointsEntry.persona_id, func.sum(PointsEntry.points))
            .where(PointsEntry.persona_id.in_(list(persona_ids)))
            .group_by(PointsEntry.persona_id)
        )
        found = {persona_id: int(total or 0) for persona_id, total in rows}
        return {persona_id: found.get(persona_id, 0) for persona_id in persona_ids}

    def consent_states(self, persona_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """channel → state for many personas in one query."""
        found: dict[int, dict[str, str]] = {persona_id: {} for persona_id in persona_ids}
        rows = self.session.execute(
            select(Consent.persona_id, Consent.channel, Consent.state).where(Consent.persona_id.in_(list(persona_ids)))
        )
        for persona_id, channel, state in rows:
            found[persona_id][channel] = state
        return found

    def waiting_on_locations(self, organization_id: int) -> dict[tuple[int, str], tuple[int, int]]:
        """(integration id, location key) → (sales, distinct shoppers) recorded there: what an unmapped POS store
        holds back (those sales set no favorite store until the key is mapped)."""
        rows = self.session.execute(
            select(
                LoyaltySale.integration_id,
                LoyaltySale.location_key,
                func.count(LoyaltySale.id),
                func.count(func.distinct(LoyaltySale.persona_id)),
            )
            .join(Integration, Integration.id == LoyaltySale.integration_id)
            .where(Integration.organization_id == organization_id, LoyaltySale.location_key.is_not(None))
            .group_by(LoyaltySale.integration_id, LoyaltySale.location_key)
        )
        return {
            (integration_id, str(key)): (int(sales), int(shoppers)) for integration_id, key, sales, shoppers in rows
        }

    def map_location(self, mapping_id: int, organization_id: int, store_id: int | None) -> StoreMapping | None:
        """Point a POS location key at one of the organization's stores (None unmaps it); None when the mapping is
        not this organization's. The caller checks that the store is theirs."""
        mapping = self.session.scalar(
            select(StoreMapping)
            .join(Integration, Integration.id == StoreMapping.integration_id)
            .where(StoreMapping.id == mapping_id, Integration.organization_id == organization_id)
        )
        if mapping is None:
            return None
        if mapping.store_id != store_id:
            mapping.store_id = store_id
            mapping.mapped_at = utcnow() if store_id is not None else None
        return mapping

    def date_change_counts(
        self, program_id: int, sms_opt_in_from: datetime | None, enroll_from: datetime | None
    ) -> tuple[int, int]:
        """What program dates starting at these moments would do now, counted without touching a row:
        (shoppers who would be sent an SMS opt-in request, personas who would be enrolled).

        The same rules as flows.loyalty.pull.evaluate: a request goes to a shopper with a phone, a sale on or after the
        opt-in date and no SMS consent yet (asked, answered or pending); enrolment to a persona not yet enrolled
        with a sale on or after the enrolment date.
        """

        def with_sale_since(moment: datetime) -> Any:
            return (
                select(LoyaltySale.id)
                .where(LoyaltySale.persona_id == Persona.id, LoyaltySale.completed_at >= moment)
                .exists()
            )

        requested = enrolled = 0
        if sms_opt_in_from is not None:
            no_sms_consent = (
                ~select(Consent.id).where(Consent.persona_id == Persona.id, Consent.channel == "sms").exists()
            )
            requested = (
                self.session.scalar(
                    select(func.count(Persona.id)).where(
                        Persona.program_id == program_id,
                        Persona.phone.is_not(None),
                        Persona.phone != "",
                        with_sale_since(sms_opt_in_from),
                        no_sms_consent,
                    )
                )
                or 0
            )
        if enroll_from is not None:
            enrolled = (
                self.session.scalar(
                    select(func.count(Persona.id)).where(
                        Persona.program_id == program_id, Persona.enrolled_at.is_(None), with_sale_since(enroll_from)
                    )
                )
                or 0
            )
        return int(requested), int(enrolled)
