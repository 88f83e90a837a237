"""Socket.IO namespaces `/host`, `/bidder`, `/public`: snapshots, then events by sequence number."""
