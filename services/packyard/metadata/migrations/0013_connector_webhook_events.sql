-- Webhooks hear of connectors too: the upstream domain audits 'connector.failing' when a
-- connector's answers turn stale and 'connector.recovered' when it answers again.
CREATE OR REPLACE FUNCTION enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    kind := CASE NEW.action
        WHEN 'file.uploaded' THEN 'upload'
        WHEN 'release.yanked' THEN 'yank'
        WHEN 'release.unyanked' THEN 'unyank'
        WHEN 'file.deleted' THEN 'delete'
        WHEN 'release.deleted' THEN 'delete'
        WHEN 'release.promoted' THEN 'promote'
        WHEN 'retention.removed' THEN 'retention'
        WHEN 'connector.failing' THEN 'connector_failing'
        WHEN 'connector.recovered' THEN 'connector_recovered'
        ELSE NULL
    END;
    IF kind IS NULL OR NEW.feed = '' THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, event, payload)
    SELECT w.id, kind, jsonb_build_object(
        'event', kind, 'action', NEW.action, 'feed', NEW.feed, 'target', NEW.target,
        'detail', NEW.detail, 'actor', NEW.actor, 'time', NEW.time, 'audit_id', NEW.id)
    FROM webhooks w
    WHERE w.feed = NEW.feed AND (w.events = '{}' OR kind = ANY (w.events));
    RETURN NULL;
END;
$$;
