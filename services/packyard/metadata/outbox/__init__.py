"""The transactional outbox's relay (events written by ``metadata/change_events``, sent to
JetStream) and the change serials gateways reconcile their caches against."""
