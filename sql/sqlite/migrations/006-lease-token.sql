-- The claim that holds a delivery. A claim writes a fresh token with its lease; renewals and
-- settles name it, so a claim whose lease ran out and was taken over can neither extend the
-- lease again nor overwrite what the newer claim records (fencing).
ALTER TABLE deliveries ADD COLUMN lease_token TEXT;
CREATE INDEX deliveries_lease ON deliveries (lease_token) WHERE state IN ('pending', 'failed');
