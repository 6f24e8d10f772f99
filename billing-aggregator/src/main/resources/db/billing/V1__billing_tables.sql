-- The monthly billing tables: a finance-facing copy of the compacted billing-statements topic, written by the
-- billing sink (BillingSink). Money is in integer micros (1 USD = 1,000,000 micros); month is 'yyyy-MM' (UTC).

-- One row per tenant and month: the latest revision of its statement. A row only ever moves to a newer revision.
CREATE TABLE billing_statements (
  tenant_id             TEXT        NOT NULL,
  month                 CHAR(7)     NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  revision              INTEGER     NOT NULL CHECK (revision > 0),
  status                TEXT        NOT NULL CHECK (status IN ('OPEN', 'FINAL')),
  plan                  TEXT        NOT NULL,
  currency              CHAR(3)     NOT NULL,
  price_book_version    INTEGER     NOT NULL,
  total_micros          BIGINT      NOT NULL,
  previous_total_micros BIGINT,
  updated_at            TIMESTAMPTZ NOT NULL, -- when the aggregator generated this revision (from the usage log)
  PRIMARY KEY (tenant_id, month)
);
CREATE INDEX billing_statements_by_month ON billing_statements (month, tenant_id);

-- The lines of every revision (the current ones join billing_statements on revision).
CREATE TABLE billing_statement_lines (
  tenant_id         TEXT    NOT NULL,
  month             CHAR(7) NOT NULL,
  revision          INTEGER NOT NULL,
  line_no           INTEGER NOT NULL,
  code              TEXT    NOT NULL,
  description       TEXT    NOT NULL,
  quantity          BIGINT  NOT NULL,
  unit_price_micros BIGINT  NOT NULL,
  amount_micros     BIGINT  NOT NULL,
  PRIMARY KEY (tenant_id, month, revision, line_no)
);

-- Every revision ever emitted, for audit: never updated, never deleted (a tenant's erasure keeps billing records).
CREATE TABLE billing_statement_revisions (
  tenant_id             TEXT        NOT NULL,
  month                 CHAR(7)     NOT NULL,
  revision              INTEGER     NOT NULL,
  status                TEXT        NOT NULL,
  plan                  TEXT        NOT NULL,
  currency              CHAR(3)     NOT NULL,
  price_book_version    INTEGER     NOT NULL,
  total_micros          BIGINT      NOT NULL,
  previous_total_micros BIGINT,
  generated_at          TIMESTAMPTZ NOT NULL,
  source_partition      INTEGER     NOT NULL,
  source_offset         BIGINT      NOT NULL,
  PRIMARY KEY (tenant_id, month, revision)
);

-- Where the sink resumes: the next offset of each billing-statements partition, committed in the same transaction
-- as the rows that offset produced, so a crash can neither lose nor repeat a statement.
CREATE TABLE billing_sink_offsets (
  topic       TEXT    NOT NULL,
  partition   INTEGER NOT NULL,
  next_offset BIGINT  NOT NULL,
  PRIMARY KEY (topic, partition)
);
