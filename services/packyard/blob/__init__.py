"""The blob service: owns the bucket; stores distributions content-addressed by sha256."""
