"""Storage hygiene run by the metadata service: garbage collection and scrubbing.

The design lets no service but metadata delete blobs, because only metadata knows which
objects are referenced. Both jobs talk to the bucket only through BlobService RPCs
(``ListBlobs``, ``DeleteBlob``, ``VerifyBlob``), and each runs on one replica at a time
under a PostgreSQL advisory lock.
"""
