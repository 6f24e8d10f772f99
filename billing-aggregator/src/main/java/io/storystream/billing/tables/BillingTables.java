package io.storystream.billing.tables;

import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementLine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The monthly billing tables in PostgreSQL (schema in {@code db/billing}, created and migrated by Flyway):
 * {@code billing_statements} (latest revision per tenant-month), {@code billing_statement_lines} (the lines of every
 * revision), {@code billing_statement_revisions} (every revision, for audit) and {@code billing_sink_offsets} (where
 * the sink resumes). {@link #apply} writes a batch of statements and the offsets after them in one transaction.
 */
public final class BillingTables {
  /** A statement as read from the topic, with where it was read. */
  public record Consumed(int partition, long offset, Statement statement) {}

  private static final String UPSERT_STATEMENT = """
      INSERT INTO billing_statements (tenant_id, month, revision, status, plan, currency, price_book_version,
                                      total_micros, previous_total_micros, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, month) DO UPDATE SET
        revision = EXCLUDED.revision, status = EXCLUDED.status, plan = EXCLUDED.plan, currency = EXCLUDED.currency,
        price_book_version = EXCLUDED.price_book_version, total_micros = EXCLUDED.total_micros,
        previous_total_micros = EXCLUDED.previous_total_micros, updated_at = EXCLUDED.updated_at
      WHERE billing_statements.revision < EXCLUDED.revision""";
  private static final String INSERT_REVISION = """
      INSERT INTO billing_statement_revisions (tenant_id, month, revision, status, plan, currency, price_book_version,
                                               total_micros, previous_total_micros, generated_at, source_partition,
                                               source_offset)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, month, revision) DO NOTHING""";
  private static final String INSERT_LINE = """
      INSERT INTO billing_statement_lines (tenant_id, month, revision, line_no, code, description, quantity,
                                           unit_price_micros, amount_micros)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, month, revision, line_no) DO NOTHING""";
  private static final String UPSERT_OFFSET = """
      INSERT INTO billing_sink_offsets (topic, partition, next_offset) VALUES (?, ?, ?)
      ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset""";

  private final PostgresConnection db;

  public BillingTables(PostgresConnection db) {
    this.db = db;
  }

  /** Creates the tables, or migrates them to this version's schema. */
  public void migrate() {
    Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).locations("classpath:db/billing")
        .load().migrate();
  }

  /** The next offset to read of each partition of {@code topic} (partitions never written are absent). */
  public Map<Integer, Long> offsets(String topic) throws SQLException {
    Map<Integer, Long> offsets = new HashMap<>();
    try (Connection c = db.open();
         PreparedStatement s = c.prepareStatement(
             "SELECT partition, next_offset FROM billing_sink_offsets WHERE topic = ?")) {
      s.setString(1, topic);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          offsets.put(rs.getInt(1), rs.getLong(2));
        }
      }
    }
    return offsets;
  }

  /**
   * Writes the statements and the offsets to resume from, all or nothing. A statement older than the row already
   * there changes nothing in {@code billing_statements} (a row never goes back to an older revision); every revision
   * is kept in {@code billing_statement_revisions} with its lines.
   */
  public void apply(Connection c, String topic, List<Consumed> batch, Map<Integer, Long> nextOffsets)
      throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (PreparedStatement upsert = c.prepareStatement(UPSERT_STATEMENT);
         PreparedStatement revision = c.prepareStatement(INSERT_REVISION);
         PreparedStatement line = c.prepareStatement(INSERT_LINE);
         PreparedStatement offset = c.prepareStatement(UPSERT_OFFSET)) {
      for (Consumed consumed : batch) {
        Statement s = consumed.statement();
        Timestamp generated = Timestamp.from(s.getGeneratedAt());
        int i = fillCommon(upsert, s);
        upsert.setTimestamp(i, generated);
        upsert.addBatch();
        i = fillCommon(revision, s);
        revision.setTimestamp(i++, generated);
        revision.setInt(i++, consumed.partition());
        revision.setLong(i, consumed.offset());
        revision.addBatch();
        int lineNo = 1;
        for (StatementLine l : s.getLines()) {
          line.setString(1, s.getTenantId());
          line.setString(2, s.getMonth());
          line.setInt(3, s.getRevision());
          line.setInt(4, lineNo++);
          line.setString(5, l.getCode());
          line.setString(6, l.getDescription());
          line.setLong(7, l.getQuantity());
          line.setLong(8, l.getUnitPriceMicros());
          line.setLong(9, l.getAmountMicros());
          line.addBatch();
        }
      }
      for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
        offset.setString(1, topic);
        offset.setInt(2, e.getKey());
        offset.setLong(3, e.getValue());
        offset.addBatch();
      }
      upsert.executeBatch();
      revision.executeBatch();
      line.executeBatch();
      offset.executeBatch();
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /** Binds tenant … previous total (parameters 1–9); returns the next parameter index. */
  private static int fillCommon(PreparedStatement p, Statement s) throws SQLException {
    p.setString(1, s.getTenantId());
    p.setString(2, s.getMonth());
    p.setInt(3, s.getRevision());
    p.setString(4, s.getStatus().name());
    p.setString(5, s.getPlan());
    p.setString(6, s.getCurrency());
    p.setInt(7, s.getPriceBookVersion());
    p.setLong(8, s.getTotalMicros());
    if (s.getPreviousTotalMicros() == null) {
      p.setNull(9, Types.BIGINT);
    } else {
      p.setLong(9, s.getPreviousTotalMicros());
    }
    return 10;
  }
}
