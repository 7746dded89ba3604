"""core tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 23:26:21.426263
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# PostgreSQL-only parts of seed 004 §3: the updated_at trigger, partial and GIN
# indexes. SQLite (the embedded default) gets updated_at from the ORM's onupdate.
UPDATED_AT_TABLES = ("shops", "menus", "users", "foodcard_users", "user_profiles",
                     "conversation_contexts")
POSTGRES_INDEXES = (
    "CREATE INDEX idx_shops_good_influence ON shops(is_good_influence_shop) WHERE is_good_influence_shop = TRUE",
    "CREATE INDEX idx_shops_food_card ON shops(is_food_card_shop) WHERE is_food_card_shop != 'N'",
    "CREATE INDEX idx_shops_location ON shops(latitude, longitude)",
    "CREATE INDEX idx_shops_popularity ON shops(popularity_score DESC)",
    "CREATE INDEX idx_menus_available ON menus(shop_id, price) WHERE is_available = TRUE",
    "CREATE INDEX idx_menus_popular ON menus(is_popular) WHERE is_popular = TRUE",
    "CREATE INDEX idx_menus_tags ON menus USING GIN(tags)",
    "CREATE INDEX idx_users_status ON users(status) WHERE status = 'ACTIVE'",
    "CREATE INDEX idx_foodcard_status ON foodcard_users(status) WHERE status = 'ACTIVE'",
    "CREATE INDEX idx_foodcard_balance ON foodcard_users(balance) WHERE balance < 5000",
    "CREATE INDEX idx_user_profiles_categories ON user_profiles USING GIN(preferred_categories)",
    "CREATE INDEX idx_user_profiles_favorites ON user_profiles USING GIN(favorite_shops)",
    "CREATE INDEX idx_coupons_active ON coupons(is_active, valid_from, valid_until)",
    "CREATE INDEX idx_coupons_categories ON coupons USING GIN(target_categories)",
    "CREATE INDEX idx_coupons_shops ON coupons USING GIN(applicable_shop_ids)",
    "CREATE INDEX idx_user_coupon_user_status ON user_coupon_wallet(user_id, status)",
    "CREATE INDEX idx_user_coupon_expires ON user_coupon_wallet(expires_at) WHERE status = 'ACTIVE'",
    "CREATE INDEX idx_conversations_user_time ON conversations(user_id, timestamp DESC)",
    "CREATE INDEX idx_conversations_intent ON conversations(extracted_intent)",
    "CREATE INDEX idx_recommendations_user_time ON recommendations_log(user_id, timestamp DESC)",
    "CREATE INDEX idx_recommendations_method ON recommendations_log(recommendation_method)",
    "CREATE INDEX idx_recommendations_selection ON recommendations_log(user_final_selection) WHERE user_final_selection IS NOT NULL",
)
# Indexes that SQLite can build too (the embedded default's hot paths).
PORTABLE_INDEXES = (
    "CREATE INDEX idx_user_coupon_user_status ON user_coupon_wallet(user_id, status)",
    "CREATE INDEX idx_conversations_user_time ON conversations(user_id, timestamp)",
    "CREATE INDEX idx_recommendations_user_time ON recommendations_log(user_id, timestamp)",
)


def _postgres_upgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION update_updated_at_column()
        RETURNS TRIGGER AS $$
        BEGIN
            NEW.updated_at = CURRENT_TIMESTAMP;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
    """)
    for table in UPDATED_AT_TABLES:
        op.execute(
            f"CREATE TRIGGER update_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
        )
    for statement in POSTGRES_INDEXES:
        op.execute(statement)


def _postgres_downgrade() -> None:
    for statement in POSTGRES_INDEXES:
        op.execute("DROP INDEX IF EXISTS " + statement.split()[2])
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS update_{table}_updated_at ON {table}")
    op.execute("DROP FUNCTION IF EXISTS update_updated_at_column()")


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table('coupons',
    sa.Column('id', sa.String(length=50), nullable=False),
    sa.Column('coupon_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('coupon_type', sa.String(length=30), nullable=False),
    sa.Column('discount_amount', sa.Integer(), nullable=True),
    sa.Column('discount_rate', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('max_discount_amount', sa.Integer(), nullable=True),
    sa.Column('min_order_amount', sa.Integer(), nullable=False),
    sa.Column('usage_type', sa.String(length=30), nullable=False),
    sa.Column('target_categories', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=True),
    sa.Column('applicable_shop_ids', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql'), nullable=True),
    sa.Column('target_user_types', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('max_issue_count', sa.Integer(), nullable=True),
    sa.Column('max_use_per_user', sa.Integer(), nullable=False),
    sa.Column('total_issued', sa.Integer(), nullable=False),
    sa.Column('total_used', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('priority_score', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.CheckConstraint("coupon_type IN ('FIXED_AMOUNT', 'PERCENTAGE', 'FREEBIE', 'BOGO')", name='coupons_type_check'),
    sa.CheckConstraint("usage_type IN ('ALL', 'SHOP', 'CATEGORY', 'FOODCARD', 'NEW_USER', 'LOYALTY')", name='coupons_usage_type_check'),
    sa.CheckConstraint('(discount_amount IS NOT NULL AND discount_rate IS NULL) OR (discount_amount IS NULL AND discount_rate IS NOT NULL)', name='coupons_discount_check'),
    sa.CheckConstraint('discount_amount IS NULL OR discount_amount > 0', name='coupons_amount_check'),
    sa.CheckConstraint('discount_rate IS NULL OR (discount_rate > 0 AND discount_rate <= 1)', name='coupons_rate_check'),
    sa.CheckConstraint('min_order_amount >= 0', name='coupons_min_order_check'),
    sa.CheckConstraint('priority_score >= 0 AND priority_score <= 1', name='coupons_priority_check'),
    sa.CheckConstraint('valid_until >= valid_from', name='coupons_valid_period'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupons_usage_type'), ['usage_type'], unique=False)

    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('address_name', sa.Text(), nullable=False),
    sa.Column('road_address_name', sa.Text(), nullable=True),
    sa.Column('neighbourhood', sa.String(length=100), nullable=True),
    sa.Column('is_good_influence_shop', sa.Boolean(), nullable=False),
    sa.Column('is_food_card_shop', sa.String(length=1), nullable=False),
    sa.Column('business_hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('owner_message', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Numeric(precision=10, scale=8), nullable=False),
    sa.Column('longitude', sa.Numeric(precision=11, scale=8), nullable=False),
    sa.Column('current_status', sa.String(length=20), nullable=False),
    sa.Column('popularity_score', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('quality_score', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('recommendation_count', sa.Integer(), nullable=False),
    sa.Column('data_source', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("category IN ('한식', '중식', '일식', '양식', '치킨', '피자', '패스트푸드', '분식', '카페/디저트', '도시락/죽', '프랜차이즈', '기타음식', '편의점')", name='shops_category_check'),
    sa.CheckConstraint("current_status IN ('OPEN', 'CLOSED', 'BREAK_TIME', 'UNKNOWN')", name='shops_status_check'),
    sa.CheckConstraint("is_food_card_shop IN ('Y', 'N', 'P', 'U')", name='shops_food_card_check'),
    sa.CheckConstraint('latitude >= -90 AND latitude <= 90 AND longitude >= -180 AND longitude <= 180', name='shops_location_check'),
    sa.CheckConstraint('popularity_score >= 0 AND popularity_score <= 1', name='shops_popularity_check'),
    sa.CheckConstraint('quality_score >= 0 AND quality_score <= 1', name='shops_quality_check'),
    sa.CheckConstraint('recommendation_count >= 0', name='shops_reco_count_check'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_name', 'address_name', name='shops_name_address_unique')
    )
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shops_category'), ['category'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_user_id', sa.String(length=200), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('nickname', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone_number', sa.String(length=20), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('current_address', sa.Text(), nullable=True),
    sa.Column('preferred_location', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('terms_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('privacy_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('marketing_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("platform IN ('web', 'mobile_app', 'kakao', 'line', 'facebook', 'test', 'telegram', 'rest')", name='users_platform_check'),
    sa.CheckConstraint("status IN ('ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED')", name='users_status_check'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('external_user_id')
    )
    op.create_table('conversation_contexts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('session_key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('turn_count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_key', name='conversation_contexts_session_unique')
    )
    op.create_table('conversations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('conversation_id', sa.Uuid(), nullable=False),
    sa.Column('input_text', sa.Text(), nullable=False),
    sa.Column('response_text', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('extracted_intent', sa.String(length=50), nullable=True),
    sa.Column('rasa_intent', sa.String(length=80), nullable=True),
    sa.Column('intent_confidence', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('extracted_entities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('conversation_turn', sa.Integer(), nullable=False),
    sa.Column('previous_intent', sa.String(length=50), nullable=True),
    sa.Column('user_strategy', sa.String(length=30), nullable=True),
    sa.Column('processing_time_ms', sa.Integer(), nullable=True),
    sa.Column('nlu_time_ms', sa.Integer(), nullable=True),
    sa.Column('rag_time_ms', sa.Integer(), nullable=True),
    sa.Column('response_time_ms', sa.Integer(), nullable=True),
    sa.Column('response_quality_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('user_satisfaction_inferred', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('conversation_coherence', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('recommended_shop_ids', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql'), nullable=True),
    sa.Column('selected_shop_id', sa.Integer(), nullable=True),
    sa.Column('applied_coupon_ids', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=True),
    sa.CheckConstraint("extracted_intent IN ('FOOD_REQUEST', 'BUDGET_INQUIRY', 'COUPON_INQUIRY', 'LOCATION_INQUIRY', 'TIME_INQUIRY', 'GENERAL_CHAT', 'MENU_OPTION', 'EMERGENCY_FOOD', 'GROUP_DINING', 'BALANCE_CHECK', 'BALANCE_CHARGE', 'UNKNOWN')", name='conversations_intent_check'),
    sa.CheckConstraint("user_strategy IN ('ONBOARDING', 'DATA_BUILDING', 'NORMAL', 'URGENT')", name='conversations_strategy_check'),
    sa.CheckConstraint('(processing_time_ms IS NULL OR processing_time_ms >= 0) AND (nlu_time_ms IS NULL OR nlu_time_ms >= 0) AND (rag_time_ms IS NULL OR rag_time_ms >= 0) AND (response_time_ms IS NULL OR response_time_ms >= 0)', name='conversations_metrics_check'),
    sa.CheckConstraint('intent_confidence IS NULL OR (intent_confidence >= 0 AND intent_confidence <= 1)', name='conversations_confidence_check'),
    sa.ForeignKeyConstraint(['selected_shop_id'], ['shops.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_session_id'), ['session_id'], unique=False)

    op.create_table('foodcard_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=50), nullable=True),
    sa.Column('card_type', sa.String(length=30), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=True),
    sa.Column('monthly_limit', sa.Integer(), nullable=True),
    sa.Column('daily_spent', sa.Integer(), nullable=False),
    sa.Column('monthly_spent', sa.Integer(), nullable=False),
    sa.Column('spent_as_of', sa.Date(), nullable=True),
    sa.Column('target_age_group', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('balance_alert_threshold', sa.Integer(), nullable=False),
    sa.Column('balance_alert_sent', sa.Boolean(), nullable=False),
    sa.Column('last_balance_alert_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("card_type IN ('아동급식카드', '청소년급식카드', '취약계층지원카드', '기타')", name='foodcard_card_type_check'),
    sa.CheckConstraint("status IN ('ACTIVE', 'INACTIVE', 'SUSPENDED', 'EXPIRED', 'LOST')", name='foodcard_status_check'),
    sa.CheckConstraint("target_age_group IN ('초등학생', '중학생', '고등학생', '대학생', '청년', '기타')", name='foodcard_age_group_check'),
    sa.CheckConstraint('balance >= 0', name='foodcard_balance_check'),
    sa.CheckConstraint('daily_limit IS NULL OR daily_limit >= 0', name='foodcard_daily_limit_check'),
    sa.CheckConstraint('daily_spent >= 0 AND monthly_spent >= 0', name='foodcard_spent_check'),
    sa.CheckConstraint('monthly_limit IS NULL OR monthly_limit >= 0', name='foodcard_monthly_limit_check'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_number'),
    sa.UniqueConstraint('user_id')
    )
    op.create_table('menus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('menu_name', sa.String(length=200), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('is_available', sa.Boolean(), nullable=False),
    sa.Column('is_popular', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('recommendation_frequency', sa.Integer(), nullable=False),
    sa.Column('dietary_info', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("category IN ('메인메뉴', '세트메뉴', '사이드메뉴', '음료', '디저트', '기타')", name='menus_category_check'),
    sa.CheckConstraint('price >= 0 AND price <= 1000000', name='menus_price_check'),
    sa.CheckConstraint('recommendation_frequency >= 0', name='menus_reco_freq_check'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'menu_name', name='menus_shop_name_unique')
    )
    with op.batch_alter_table('menus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_menus_price'), ['price'], unique=False)
        batch_op.create_index(batch_op.f('ix_menus_shop_id'), ['shop_id'], unique=False)

    op.create_table('performance_logs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('operation', sa.String(length=80), nullable=False),
    sa.Column('total_ms', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('component_ms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('performance_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_logs_timestamp'), ['timestamp'], unique=False)

    op.create_table('recommendations_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('request_intent', sa.String(length=50), nullable=False),
    sa.Column('request_entities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('user_latitude', sa.Numeric(precision=10, scale=8), nullable=True),
    sa.Column('user_longitude', sa.Numeric(precision=11, scale=8), nullable=True),
    sa.Column('recommendations', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('recommendation_count', sa.Integer(), nullable=False),
    sa.Column('recommendation_method', sa.String(length=50), nullable=False),
    sa.Column('confidence_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('total_candidates', sa.Integer(), nullable=True),
    sa.Column('filtering_steps', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('user_viewed_details', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql'), nullable=True),
    sa.Column('user_final_selection', sa.Integer(), nullable=True),
    sa.Column('time_to_decision_ms', sa.Integer(), nullable=True),
    sa.Column('feedback_rating', sa.Integer(), nullable=True),
    sa.Column('diversity_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('personalization_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('relevance_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('novelty_score', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.CheckConstraint("recommendation_method IN ('WIDE_DEEP', 'RAG', 'HYBRID', 'EMERGENCY', 'COUPON_BASED', 'FALLBACK')", name='reco_log_method_check'),
    sa.CheckConstraint('feedback_rating IS NULL OR (feedback_rating >= 1 AND feedback_rating <= 5)', name='reco_log_rating_check'),
    sa.ForeignKeyConstraint(['user_final_selection'], ['shops.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('user_coupon_wallet',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('acquisition_source', sa.String(length=50), nullable=False),
    sa.Column('acquisition_context', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_shop_id', sa.Integer(), nullable=True),
    sa.Column('used_order_amount', sa.Integer(), nullable=True),
    sa.Column('discount_applied', sa.Integer(), nullable=True),
    sa.Column('redemption_key', sa.String(length=100), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expiry_notified', sa.Boolean(), nullable=False),
    sa.Column('usage_probability', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('recommended_usage_date', sa.Date(), nullable=True),
    sa.CheckConstraint("(status = 'USED' AND used_at IS NOT NULL) OR (status != 'USED' AND used_at IS NULL)", name='user_coupon_status_check'),
    sa.CheckConstraint("acquisition_source IN ('WELCOME_BONUS', 'LOYALTY_REWARD', 'EMERGENCY_ASSIST', 'PROMOTION', 'ADMIN_GRANT', 'REFERRAL')", name='wallet_source_check'),
    sa.CheckConstraint("status IN ('ACTIVE', 'USED', 'EXPIRED', 'CANCELLED')", name='wallet_status_check'),
    sa.CheckConstraint('expires_at >= issued_at', name='wallet_expiry_check'),
    sa.CheckConstraint('usage_probability >= 0 AND usage_probability <= 1', name='wallet_prob_check'),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], ),
    sa.ForeignKeyConstraint(['used_shop_id'], ['shops.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('redemption_key')
    )
    op.create_table('user_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('preferred_categories', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.Column('average_budget', sa.Integer(), nullable=True),
    sa.Column('favorite_shops', sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql'), nullable=False),
    sa.Column('conversation_style', sa.String(length=20), nullable=False),
    sa.Column('taste_preferences', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('companion_patterns', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.Column('location_preferences', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.Column('dietary_restrictions', sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.Column('good_influence_preference', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('interaction_count', sa.Integer(), nullable=False),
    sa.Column('data_completeness', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('recent_orders', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('onboarding_completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_updated', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("conversation_style IN ('friendly', 'formal', 'casual', 'brief')", name='profiles_style_check'),
    sa.CheckConstraint('data_completeness >= 0 AND data_completeness <= 1', name='profiles_completeness_check'),
    sa.CheckConstraint('good_influence_preference >= 0 AND good_influence_preference <= 1', name='profiles_good_influence_check'),
    sa.CheckConstraint('interaction_count >= 0', name='profiles_interactions_check'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )

    if _is_postgres():
        _postgres_upgrade()
    else:
        for statement in PORTABLE_INDEXES:
            op.execute(statement)


def downgrade() -> None:
    if _is_postgres():
        _postgres_downgrade()
    else:
        for statement in PORTABLE_INDEXES:
            op.execute("DROP INDEX IF EXISTS " + statement.split()[2])
    op.drop_table('user_profiles')
    op.drop_table('user_coupon_wallet')
    op.drop_table('recommendations_log')
    with op.batch_alter_table('performance_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_logs_timestamp'))

    op.drop_table('performance_logs')
    with op.batch_alter_table('menus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_menus_shop_id'))
        batch_op.drop_index(batch_op.f('ix_menus_price'))

    op.drop_table('menus')
    op.drop_table('foodcard_users')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_session_id'))

    op.drop_table('conversations')
    op.drop_table('conversation_contexts')
    op.drop_table('users')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shops_category'))

    op.drop_table('shops')
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupons_usage_type'))

    op.drop_table('coupons')
