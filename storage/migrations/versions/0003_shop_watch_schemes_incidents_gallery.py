"""shop watch: membership invites, incident business, sightings, message deletions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:28:38.200790
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_deletions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("scheme_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("delete_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["schemes.id"],
            name=op.f("fk_message_deletions_scheme_id_schemes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_deletions")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_message_deletions_chat_id_message_id")
        ),
    )
    with op.batch_alter_table("message_deletions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_deletions_delete_at"), ["delete_at"], unique=False
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "membership_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("personal_data_purged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_incidents_submission_key"), ["submission_key"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_membership_id_memberships"),
            "memberships",
            ["membership_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "invite_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("group_invite_link", sa.String(length=128), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_memberships_invite_id_invites"),
            "invites",
            ["invite_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("business_name", sa.String(length=256), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_sightings_incident_id_person_id"), ["incident_id", "person_id"]
        )

    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_column("updated_at")

    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sightings_incident_id_person_id"), type_="unique")
        batch_op.drop_column("business_name")

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memberships_invite_id_invites"), type_="foreignkey")
        batch_op.drop_column("group_invite_link")
        batch_op.drop_column("invite_id")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_incidents_membership_id_memberships"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_incidents_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")
        batch_op.drop_column("personal_data_purged_at")
        batch_op.drop_column("membership_id")

    with op.batch_alter_table("message_deletions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_deletions_delete_at"))

    op.drop_table("message_deletions")
