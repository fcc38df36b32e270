-- The transactional outbox: each change event is a row written in the transaction of the
-- change it announces, so a committed change always has its event and a rolled-back one never
-- does. The metadata service's relay sends pending rows to JetStream with msg_id as
-- Nats-Msg-Id (a row sent twice is stored once) and deletes them once acknowledged; a row
-- NATS can never take is kept with dead = true for an operator to look at.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    subject text NOT NULL,
    payload bytea NOT NULL,
    -- Trace context of the call that made the change (the relay's publish continues it).
    headers jsonb NOT NULL DEFAULT '{}',
    msg_id text NOT NULL UNIQUE,
    created timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    dead boolean NOT NULL DEFAULT false
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE NOT dead;

-- One counter per feed, raised by every change to its pages and carried by its
-- packyard.index.changed event: gateways compare it with the serials events brought them and
-- drop a feed's pages when a change arrived without its event (reconciliation). Rows outlive
-- their feed, so a feed made again under the same name keeps counting upwards.
CREATE TABLE feed_change_serials (
    feed text PRIMARY KEY,
    serial bigint NOT NULL
);

-- Wakes the relays at once (LISTEN packyard_outbox): a notification is delivered when the
-- inserting transaction commits, and only then; the relays' poll is the fallback.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('packyard_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
