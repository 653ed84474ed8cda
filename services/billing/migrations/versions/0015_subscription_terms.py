"""subscriptions know the day their term ends and the next term's invoice (BI-11 renewals)

Revision ID: billing_renew_0015
Revises: billing_sepa_0014
Create Date: 2026-11-26
"""
from datetime import date

from alembic import op
import sqlalchemy as sa


revision = 'billing_renew_0015'
down_revision = 'billing_sepa_0014'
branch_labels = None
depends_on = None

RUNNING = sa.text("status IN ('active', 'trial')")
MONTHS = {'monthly': 1, 'quarterly': 3, 'yearly': 12}


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('renewal_invoice_id', sa.String(length=36), nullable=True))
    op.create_index('ix_subscriptions_due', 'subscriptions', ['term_ends_on', 'id'], unique=False,
                    sqlite_where=RUNNING, postgresql_where=RUNNING)
    # The running subscriptions' current terms, as billing periods count them from their start.
    from services.billing.domain.periods import Frequency, period_containing

    connection = op.get_bind()
    today = date.today()
    rows = connection.execute(sa.text(
        "SELECT id, frequency, started_on, status, trial_ends_on FROM subscriptions "
        "WHERE status IN ('active', 'trial')")).all()
    for row in rows:
        started = row.started_on if isinstance(row.started_on, date) else date.fromisoformat(str(row.started_on))
        if row.status == 'trial' and row.trial_ends_on is not None:
            ends = row.trial_ends_on
        else:
            frequency = Frequency(MONTHS[row.frequency])
            ends = period_containing(started, frequency, max(today, started)).end
        connection.execute(sa.text("UPDATE subscriptions SET term_ends_on = :ends WHERE id = :id"),
                           {"ends": ends, "id": row.id})


def downgrade() -> None:
    op.drop_index('ix_subscriptions_due', table_name='subscriptions', sqlite_where=RUNNING, postgresql_where=RUNNING)
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('renewal_invoice_id')
        batch_op.drop_column('term_ends_on')
